import { DriftError } from '../errors.js';
import { LEDGER_FORMAT, LEDGER_FORMAT_SET, LEDGER_META_PATH } from '../ledger/layout.js';
import type { LedgerMeta } from '../ledger/records.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { openStore, openWorkspace, withLocalLock, withLock, workspaceFor } from '../session/workspace.js';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { LedgerSet } from '../ledger/ledger-set.js';
import { migrateToSet, type LayoutMigration } from './migrate-layout.js';

export interface MigrateOptions extends ConfigOption {
  dryRun: boolean;
  /** `--layout per-target`: convert a single-branch ledger into a per-target set (migrate-layout.ts). */
  layout?: 'per-target';
  /** `--delete-remote-branch`: with ledger.remote, replace the remote's single branch by the set. */
  deleteRemoteBranch?: boolean;
}

export interface MigrateResult {
  branch: string;
  /** `migrated`: this run wrote the migrate commit; `would-migrate`: --dry-run, nothing written; `current`: nothing to do. */
  state: 'migrated' | 'would-migrate' | 'current';
  from: number;
  to: number;
  /** The branch tip after the run (before it with --dry-run). */
  tip: string;
  /** The ref that keeps the tip from before the migration (null when nothing was migrated). */
  backup: string | null;
  /** `--layout per-target`: the member branches and what happened on the remote. */
  layout?: LayoutMigration;
}

/** Where `migrate` keeps the tip of a ledger from before its migration to `to`. */
export function backupRef(branch: string, from: number): string {
  return `refs/driftctl/backup/${branch}/format-${from}`;
}

/**
 * Brings a format-1 ledger to the current format: one `migrate` commit on top of the branch that
 * changes only `ledger.json` (format, and `migrated: {from, time, tool}`), so every record, commit
 * and signature of the history stays as it was and `verify` keeps passing. The tip before is kept
 * under `backupRef`. A ledger already of the current format is left alone (idempotent); with
 * `dryRun` nothing is written. With `ledger.remote`, the commit is pushed like any write.
 */
export async function migrate(deps: OpDeps, options: MigrateOptions): Promise<MigrateResult> {
  if (options.layout === 'per-target') {
    const config = loadConfig(resolveConfigPath(deps.cwd, options.config), deps.cwd);
    const ws = workspaceFor(config, openStore(config), { anyLayout: true });
    const run = async (): Promise<MigrateResult> => {
      const actor = await resolveActor(ws, deps);
      const layout = await migrateToSet(deps, config, ws.store, ws.ledger, signatureAt(actor, deps.now()), { dryRun: options.dryRun, deleteRemoteBranch: options.deleteRemoteBranch === true });
      const tip = layout.state === 'migrated' ? ((await new LedgerSet(ws.store, config.ledger.branch).tip()) ?? '') : layout.oldTip ?? ((await ws.ledger.tip()) ?? '');
      return { branch: config.ledger.branch, state: layout.state, from: layout.from, to: LEDGER_FORMAT_SET, tip, backup: layout.backup, layout };
    };
    return options.dryRun ? run() : withLocalLock(ws, deps, 'migrate', run);
  }
  const ws = openWorkspace(deps, options);
  const branch = ws.config.ledger.branch;
  const plan = async (): Promise<{ tip: string; from: number }> => {
    const tip = await ws.ledger.requireTip();
    const meta = await ws.ledger.readJson<LedgerMeta>(tip, LEDGER_META_PATH);
    if (!meta) throw new DriftError('NOT_A_LEDGER', `branch "${branch}" has no readable ${LEDGER_META_PATH}: nothing to migrate`, { data: { branch, tip } });
    return { tip, from: meta.format };
  };
  if (options.dryRun) {
    const { tip, from } = await plan();
    return { branch, state: from < LEDGER_FORMAT ? 'would-migrate' : 'current', from, to: LEDGER_FORMAT, tip, backup: null };
  }
  return withLock(ws, deps, 'migrate', async () => {
    const { tip, from } = await plan();
    if (from >= LEDGER_FORMAT) return { branch, state: 'current' as const, from, to: LEDGER_FORMAT, tip, backup: null };
    const actor = await resolveActor(ws, deps);
    const writer = ws.ledger.writer(tip, signatureAt(actor, deps.now()));
    await writer.migrateFrom(tip);
    const backup = backupRef(branch, from);
    await ws.store.setRef(backup, tip);
    const migrated = (await writer.publish()) as string;
    return { branch, state: 'migrated' as const, from, to: LEDGER_FORMAT, tip: migrated, backup };
  });
}
