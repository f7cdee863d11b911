import type { DriftReport } from '../drift/report.js';
import { DriftError } from '../errors.js';
import type { ConfigOption, OpDeps, TargetFilter } from './deps.js';
import { computeReport, observeTarget, readHead, stageReport, stageSnapshot, type StagedSnapshot } from './record-steps.js';
import { openWorkspace, resolveActor, selectTargets, signatureAt, withLock } from './workspace.js';

export interface SnapshotSummary {
  target: string;
  id: string;
  tree: string;
  entries: number;
  errors: number;
}

export interface CheckResult {
  status: 'clean' | 'drift';
  reports: DriftReport[];
  snapshots: SnapshotSummary[];
  skipped: { target: string; reason: string }[];
  branch: string;
  tip: string;
}

export interface SnapshotResult {
  snapshots: SnapshotSummary[];
  skipped: { target: string; reason: string }[];
  branch: string;
  tip: string;
}

/** Observes every selected target and commits a snapshot of each (no report). */
export async function snapshot(deps: OpDeps, options: ConfigOption & TargetFilter): Promise<SnapshotResult> {
  const result = await observeAndRecord(deps, options, false);
  return { snapshots: result.snapshots, skipped: result.skipped, branch: result.branch, tip: result.tip };
}

/**
 * Snapshot, diff against the baseline, and commit the drift report, for every selected target.
 * All commits land together: the ledger ref moves once, at the end.
 */
export async function check(deps: OpDeps, options: ConfigOption & TargetFilter): Promise<CheckResult> {
  return observeAndRecord(deps, options, true);
}

async function observeAndRecord(deps: OpDeps, options: ConfigOption & TargetFilter, withReport: boolean): Promise<CheckResult> {
  const ws = openWorkspace(deps, options);
  const { selected, disabled } = selectTargets(ws.config, options.targets);
  return withLock(ws, deps, withReport ? 'check' : 'snapshot', async () => {
    const base = await ws.ledger.requireTip();
    const time = deps.now();
    const writer = ws.ledger.writer(base, signatureAt(await resolveActor(ws, deps), time));
    const reports: DriftReport[] = [];
    const snapshots: SnapshotSummary[] = [];
    for (const target of selected) {
      const head = await readHead(ws.ledger, base, target.name);
      if (withReport && !head.baseline) {
        throw new DriftError('NO_BASELINE', `target "${target.name}" has no baseline yet (run "driftctl init" to record one)`, { data: { target: target.name } });
      }
      const observation = await observeTarget(ws, target, deps);
      const staged: StagedSnapshot = await stageSnapshot(ws, writer, target.name, observation, time, head);
      snapshots.push({ target: target.name, id: staged.record.id, tree: staged.built.oid, entries: head.snapshot?.entries ?? 0, errors: observation.errors.length });
      if (withReport) {
        deps.onProgress?.({ phase: 'diff', target: target.name, done: 0 });
        const report = await computeReport(ws, target.name, time, staged, head.baseline?.tree);
        await stageReport(writer, report, head);
        reports.push(report);
      }
    }
    const tip = (await writer.publish()) as string;
    return {
      status: reports.some((r) => r.status === 'drift') ? 'drift' : 'clean',
      reports,
      snapshots,
      skipped: disabled.map((t) => ({ target: t.name, reason: 'disabled (enabled: false)' })),
      branch: ws.config.ledger.branch,
      tip,
    };
  });
}
