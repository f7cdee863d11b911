import { severityRank } from '../drift/severity-levels.js';
import { type PolicyConfig, type TargetConfig } from '../config/config.js';
import type { Change } from '../drift/report.js';

/**
 * Which policy, if any, auto-accepts a target's drift. Pure: no IO.
 *
 * A policy applies to a target when the target is listed in `targets` (if given) and carries every
 * label in `labels` (if given). It accepts when every change is at or below its `max_severity` and
 * the report has no unreadable entries. Production targets (label env=prod or env=production, or
 * production="true", case-insensitive) are never auto-accepted unless the policy sets
 * `include_production: true`. The first policy that accepts wins.
 */
export type AutoAcceptDecision =
  | { accept: true; policy: PolicyConfig; reason: string }
  | { accept: false; policy: PolicyConfig; why: string }
  | null;

export function isProductionTarget(target: TargetConfig): boolean {
  const value = (key: string): string => (Object.entries(target.labels).find(([k]) => k.toLowerCase() === key)?.[1] ?? '').toLowerCase();
  return value('env') === 'prod' || value('env') === 'production' || value('production') === 'true';
}

export function policyApplies(policy: PolicyConfig, target: TargetConfig): boolean {
  if (policy.targets && !policy.targets.includes(target.name)) return false;
  return Object.entries(policy.labels ?? {}).every(([k, v]) => target.labels[k] === v);
}

/**
 * The decision for one report: null when no policy applies (or there is nothing to accept);
 * otherwise the first policy that accepts, or why the first applicable one declined.
 */
export function decideAutoAccept(policies: PolicyConfig[], target: TargetConfig, changes: Change[], unreadable: number): AutoAcceptDecision {
  if (changes.length === 0) return null;
  let declined: AutoAcceptDecision = null;
  for (const policy of policies) {
    if (!policy.autoAccept || !policyApplies(policy, target)) continue;
    const max = policy.autoAccept.maxSeverity;
    const above = changes.filter((c) => severityRank(c.severity) < severityRank(max));
    let why: string | null = null;
    if (isProductionTarget(target) && !policy.includeProduction) why = 'production target (set include_production: true to allow)';
    else if (above.length > 0) why = `${above.length} change${above.length === 1 ? '' : 's'} above ${max}`;
    else if (unreadable > 0) why = `${unreadable} unreadable entr${unreadable === 1 ? 'y' : 'ies'}`;
    if (why === null) return { accept: true, policy, reason: `auto-accepted by policy ${policy.name}: all changes at or below ${max}` };
    declined ??= { accept: false, policy, why };
  }
  return declined;
}
