import { classifyDeltas, type Change, type DriftSummary } from '../drift/report.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { resolvePoint } from '../ledger/points.js';
import { singleTarget } from '../session/targets.js';
import { openWorkspace, type Workspace } from '../session/workspace.js';
import { contentDiffs, withDiffs, type ShownChange } from '../session/change-content.js';
import { readHead } from '../ledger/reader.js';
import { recordPath } from '../ledger/layout.js';
import type { DriftReport } from '../drift/report.js';

/**
 * From the baseline to the latest snapshot, the latest report compared exactly these two manifests
 * when its trees match: its changes carry the attribution observed then.
 */
async function withRecordedAttribution(ws: Workspace, tip: string, target: string, from: string, to: string, changes: Change[]): Promise<Change[]> {
  if (from !== 'baseline' || to !== 'latest' || changes.length === 0) return changes;
  const head = await readHead(ws.ledger, tip, target);
  if (!head.report || !head.baseline || !head.snapshot) return changes;
  const report = await ws.ledger.readJson<DriftReport>(tip, recordPath(target, head.report.id, 'report'));
  if (!report || report.baseline.tree !== head.baseline.tree || report.snapshot.tree !== head.snapshot.tree) return changes;
  const recorded = new Map(report.changes.filter((c) => c.attribution).map((c) => [`${c.source}\u0000${c.key}`, c.attribution]));
  return changes.map((c) => (recorded.has(`${c.source}\u0000${c.key}`) ? { ...c, attribution: recorded.get(`${c.source}\u0000${c.key}`) } : c));
}

export interface DiffOptions extends ConfigOption {
  from?: string;
  to?: string;
  target?: string;
  /** Add each change's content diff (default true). */
  content?: boolean;
  /** Lines of context in content diffs (default 3). */
  context?: number;
}

export interface DiffResult {
  target: string;
  from: { spec: string; tree: string | null; commit: string };
  to: { spec: string; tree: string | null; commit: string };
  status: 'clean' | 'drift';
  summary: DriftSummary;
  /** Each change with its content `diff`, and, from the baseline to the latest snapshot, the attribution the latest report recorded. */
  changes: ShownChange[];
}

/**
 * Compares two ledger points of one target, classified by the current severity rules. Reads only
 * subtrees whose ids differ, so the cost follows the number of changed entries. Writes nothing.
 */
export async function diff(deps: OpDeps, options: DiffOptions): Promise<DiffResult> {
  const ws = openWorkspace(deps, options);
  const target = singleTarget(ws.config, options.target).name;
  const tip = await ws.ledger.requireTip();
  const from = await resolvePoint(ws.ledger, tip, target, options.from ?? 'baseline');
  const to = await resolvePoint(ws.ledger, tip, target, options.to ?? 'latest');
  const deltas = await ws.ledger.diff(from.tree, to.tree);
  const classified = classifyDeltas(target, deltas, ws.config.severity);
  const { summary, status } = classified;
  let changes: ShownChange[] = await withRecordedAttribution(ws, tip, target, from.spec, to.spec, classified.changes);
  if (options.content !== false) changes = withDiffs({ changes }, await contentDiffs(ws.ledger.reader(), changes, { before: from.tree, after: to.tree }, { context: options.context })).changes;
  return {
    target,
    from: { spec: from.spec, tree: from.tree ?? null, commit: from.commit },
    to: { spec: to.spec, tree: to.tree ?? null, commit: to.commit },
    status,
    summary,
    changes,
  };
}
