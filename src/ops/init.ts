import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfigPath, loadConfig } from '../config/load-config.js';
import { starterConfig } from '../config/starter-config.js';
import { schemaUrl } from '../schemas.js';
import { isDriftError } from '../errors.js';
import { GitStore } from '../ledger/git-store.js';
import { buildManifest } from '../ledger/manifest-tree.js';
import { LedgerWriter } from '../ledger/ledger.js';
import type { LedgerMeta, TargetHead } from '../ledger/records.js';
import { LEDGER_FORMAT } from '../ledger/layout.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { observeAhead } from '../session/observe.js';
import { readHead } from '../ledger/reader.js';
import { observedOnlySources, withoutObserved, stageAccept, stageSnapshot, TOOL } from '../ledger/recorder.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import { openStore, withLock, workspaceFor } from '../session/workspace.js';

export interface InitResult {
  configFile: string;
  configWritten: boolean;
  ledgerCreated: boolean;
  branch: string;
  gitdir: string;
  targets: { target: string; status: 'baselined' | 'existing' | 'disabled' | 'failed'; snapshot?: string; entries?: number; errors?: number; message?: string }[];
  /** The ledger tip after init (unchanged when there was nothing to do). */
  tip: string;
  changed: boolean;
}

/**
 * Writes a starter config if none exists, creates the ledger branch, and records a first snapshot
 * as the baseline of every enabled target that has none. Running it again changes nothing.
 */
export async function init(deps: OpDeps, options: ConfigOption): Promise<InitResult> {
  const configFile = resolveConfigPath(deps.cwd, options.config);
  let configWritten = false;
  if (!existsSync(configFile)) {
    const schemaFile = fileURLToPath(schemaUrl('config'));
    const relative = path.relative(path.dirname(configFile), schemaFile).split(path.sep).join('/');
    writeFileSync(configFile, starterConfig(relative.startsWith('..') || path.isAbsolute(relative) ? schemaFile : relative), { flag: 'wx' });
    configWritten = true;
  }
  const config = loadConfig(configFile, deps.cwd);
  const store = config.ledger.path && !existsSync(config.ledger.path) ? await GitStore.initBare(config.ledger.path, config.ledger.branch) : openStore(config);
  const ws = workspaceFor(config, store);

  return withLock(ws, deps, 'init', async () => {
    const base = await ws.ledger.tip();
    const actor = await resolveActor(ws, deps);
    const time = deps.now();
    const writer: LedgerWriter = ws.ledger.writer(base, signatureAt(actor, time));
    const ledgerCreated = base === undefined;
    if (ledgerCreated) {
      const meta: LedgerMeta = { format: LEDGER_FORMAT as LedgerMeta['format'], kind: 'ledger', created: time.toISOString(), tool: { ...TOOL } };
      await writer.commit([LedgerWriter.meta(meta)], 'driftctl ledger created', { 'Drift-Kind': 'ledger' });
    }
    const targets: InitResult['targets'] = [];
    const heads = new Map<string, TargetHead>();
    for (const target of config.targets) if (target.enabled) heads.set(target.name, await readHead(ws.ledger, base, target.name));
    const pending = config.targets.filter((t) => t.enabled && !heads.get(t.name)?.baseline);
    const observations = observeAhead(ws, pending, deps);
    for (const target of config.targets) {
      if (!target.enabled) {
        targets.push({ target: target.name, status: 'disabled' });
        continue;
      }
      const head = heads.get(target.name) as TargetHead;
      const index = pending.indexOf(target);
      if (head.baseline) {
        targets.push({ target: target.name, status: 'existing' });
        continue;
      }
      let observation;
      try {
        observation = await observations(index);
      } catch (error) {
        // An unreachable host or a failing source leaves that target without a baseline (a later
        // init records it); the other targets are baselined.
        if (!isDriftError(error) || error.code !== 'SOURCE_FAILED') throw error;
        targets.push({ target: target.name, status: 'failed', message: error.message });
        continue;
      }
      const snapshot = await stageSnapshot(ws.cacheDir(target.name), writer, target.name, observation, time, head, deps.warn);
      // Observed-only sources (metrics breaches) never enter a baseline.
      let baselineTree = snapshot.built.oid;
      const trimmed = withoutObserved(observation.manifest, observedOnlySources(target));
      if (trimmed) {
        const built = buildManifest(trimmed);
        await writer.writeManifest(built);
        baselineTree = built.oid;
      }
      await stageAccept(
        writer,
        {
          target: target.name,
          time,
          by: actor,
          reason: 'initial baseline (driftctl init)',
          scope: 'all',
          keys: [],
          snapshot: { id: snapshot.record.id, tree: snapshot.built.oid },
          baselineBefore: undefined,
          baselineAfter: baselineTree,
          changes: [],
        },
        head,
      );
      targets.push({ target: target.name, status: 'baselined', snapshot: snapshot.record.id, entries: head.snapshot?.entries, errors: observation.errors.length });
    }
    const tip = (await writer.publish()) as string;
    return {
      configFile,
      configWritten,
      ledgerCreated,
      branch: config.ledger.branch,
      gitdir: store.gitdir,
      targets,
      tip,
      changed: tip !== base,
    };
  });
}
