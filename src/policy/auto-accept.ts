import type { PolicyConfig, TargetConfig } from '../config/config.js';
import type { DriftReport } from '../drift/report.js';
import type { LedgerWriter } from '../ledger/ledger.js';
import type { TargetHead } from '../ledger/records.js';
import { decideAutoAccept } from './auto-accept-policy.js';
import { stageAccept } from '../ledger/recorder.js';

/** What a policy did with one target's report in a check (`result.autoAccepted`). */
export interface AutoAcceptOutcome {
  target: string;
  policy: string;
  status: 'accepted' | 'declined';
  /** The accept record, when accepted. */
  accept: string | null;
  changes: number;
  /** The rule that allowed it, or why the policy declined. */
  reason: string;
}

/** The actor recorded on accepts made by a policy (the accept schema needs a non-empty name). */
export const policyActor = (name: string): { name: string; email: string } => ({ name: `policy:${name}`, email: '' });

/**
 * After `check` staged `report` for `target`, stages an accept of every change in it when a
 * policy allows (see decideAutoAccept): the latest snapshot becomes the baseline, recorded as an
 * accept by `policy:<name>` with the rule as its reason. Returns null when no policy applies.
 */
export async function stageAutoAccept(writer: LedgerWriter, target: TargetConfig, policies: PolicyConfig[], report: DriftReport, head: TargetHead, time: Date): Promise<AutoAcceptOutcome | null> {
  const tree = report.snapshot.tree;
  if (report.status !== 'drift' || !tree) return null;
  const decision = decideAutoAccept(policies, target, report.changes, report.errors.length);
  if (!decision) return null;
  const base = { target: target.name, policy: decision.policy.name, changes: report.changes.length };
  if (!decision.accept) return { ...base, status: 'declined', accept: null, reason: decision.why };
  // Metrics breaches are observed, never accepted: while one lasts, the target stays in drift.
  const observed = new Set(report.observed ?? []);
  const breaches = report.changes.filter((c) => observed.has(c.source)).length;
  if (breaches > 0) return { ...base, status: 'declined', accept: null, reason: `${breaches} metrics breach${breaches === 1 ? '' : 'es'} (observed values are never accepted)` };
  const record = await stageAccept(
    writer,
    {
      target: target.name,
      time,
      by: policyActor(decision.policy.name),
      reason: decision.reason,
      scope: 'all',
      keys: [],
      snapshot: { id: report.snapshot.id, tree },
      baselineBefore: report.baseline.tree ?? undefined,
      baselineAfter: tree,
      changes: report.changes,
    },
    head,
  );
  return { ...base, status: 'accepted', accept: record.id, reason: decision.reason };
}
