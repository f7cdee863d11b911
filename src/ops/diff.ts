import { classifyDeltas, type Change, type DriftSummary } from '../drift/report.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { resolvePoint } from '../ledger/points.js';
import { singleTarget } from '../session/targets.js';
import { openWorkspace } from '../session/workspace.js';

export interface DiffOptions extends ConfigOption {
  from?: string;
  to?: string;
  target?: string;
}

export interface DiffResult {
  target: string;
  from: { spec: string; tree: string | null; commit: string };
  to: { spec: string; tree: string | null; commit: string };
  status: 'clean' | 'drift';
  summary: DriftSummary;
  changes: Change[];
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
  const { changes, summary, status } = classifyDeltas(target, deltas, ws.config.severity);
  return {
    target,
    from: { spec: from.spec, tree: from.tree ?? null, commit: from.commit },
    to: { spec: to.spec, tree: to.tree ?? null, commit: to.commit },
    status,
    summary,
    changes,
  };
}
