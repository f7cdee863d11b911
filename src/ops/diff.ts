import { classifyDeltas, type DriftSummary } from '../drift/report.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { resolvePoint } from '../ledger/points.js';
import { singleTarget } from '../session/targets.js';
import { openWorkspace } from '../session/workspace.js';
import { contentDiffs, withDiffs, withRecordedAttribution, type ShownChange } from '../session/change-content.js';


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
  let changes: ShownChange[] = from.spec === 'baseline' && to.spec === 'latest' ? await withRecordedAttribution(ws.ledger, tip, target, classified.changes) : classified.changes;
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
