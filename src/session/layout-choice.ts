import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { DriftError } from '../errors.js';
import type { GitStore } from '../ledger/git-store.js';
import { Ledger } from '../ledger/ledger.js';
import { LedgerSet, refComponentProblem, type LedgerLayout } from '../ledger/ledger-set.js';

/**
 * The layout the repository holds for `branch`, read from the ref files and packed-refs without
 * git calls: `per-target` when refs exist below `refs/heads/<branch>/`, `branch` when the branch
 * itself exists, undefined when neither does (git cannot hold both: a ref is a file or a folder).
 */
export function layoutInRepository(gitdir: string, branch: string): LedgerLayout | undefined {
  const refPath = path.join(gitdir, 'refs', 'heads', ...branch.split('/'));
  if (existsSync(refPath)) return statSync(refPath).isDirectory() ? (hasFiles(refPath) ? 'per-target' : undefined) : 'branch';
  let packed = '';
  try {
    packed = readFileSync(path.join(gitdir, 'packed-refs'), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of packed.split('\n')) {
    const ref = line.split(' ')[1];
    if (ref === `refs/heads/${branch}`) return 'branch';
    if (ref?.startsWith(`refs/heads/${branch}/`)) return 'per-target';
  }
  return undefined;
}

function hasFiles(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) => e.isFile() || (e.isDirectory() && hasFiles(path.join(dir, e.name))));
}

/**
 * The ledger of `config` in `store`: one branch, or a per-target set (src/ledger/ledger-set.ts).
 * The layout found in the repository wins; a config that says the other one explicitly is refused
 * (LEDGER_LAYOUT_MISMATCH), except with `anyLayout` (migrate, which converts one into the other).
 * Under the set layout a target name git refuses in a ref is refused (TARGET_NAME_NOT_A_REF).
 */
export function ledgerFor(config: Config, store: GitStore, options: { anyLayout?: boolean } = {}): Ledger {
  const { branch, layout: asked } = config.ledger;
  const found = layoutInRepository(store.gitdir, branch);
  if (found && asked && found !== asked && !options.anyLayout) {
    const message =
      found === 'branch'
        ? `${config.file}: ledger.layout is per-target, but the ledger in ${store.gitdir} is the single branch "${branch}": run "driftctl migrate --layout per-target" to convert it (or remove ledger.layout)`
        : `${config.file}: ledger.layout is branch, but the ledger in ${store.gitdir} is a per-target set (refs/heads/${branch}/*, made by "driftctl migrate --layout per-target"): set ledger.layout: per-target (or remove it)`;
    throw new DriftError('LEDGER_LAYOUT_MISMATCH', message, { data: { branch, found, asked } });
  }
  const layout = found ?? asked ?? 'branch';
  if (layout === 'per-target') {
    config.targets.forEach((target, i) => {
      const problem = refComponentProblem(target.name);
      if (problem) {
        throw new DriftError('TARGET_NAME_NOT_A_REF', `${config.file}: targets[${i}].name "${target.name}" ${problem}, which git refuses in a branch name (ledger.layout: per-target keeps each target on refs/heads/${branch}/<name>): rename the target`, {
          data: { target: target.name, index: i },
        });
      }
    });
    return new LedgerSet(store, branch);
  }
  return new Ledger(store, branch);
}
