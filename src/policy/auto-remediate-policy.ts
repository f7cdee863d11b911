import { severityRank } from '../drift/severity-levels.js';
import type { PolicyConfig, TargetConfig } from '../config/config.js';
import type { Change } from '../drift/report.js';
import { isProductionTarget, policyApplies } from './auto-accept-policy.js';

/**
 * Which policy, if any, remediates a target's drift automatically after a check. Pure.
 *
 * A policy with `remediate` applies like an auto-accept policy (its `targets` and `labels`), and
 * also needs every label in `remediate.labels`. It runs the target's `remediate:` when every change
 * is at or below `remediate.max_severity`, never on a production target (see isProductionTarget)
 * unless `include_production`, and never once the same drift has failed `max_attempts` times.
 */
export type AutoRemediateDecision = { run: true; policy: PolicyConfig } | { run: false; policy: PolicyConfig; why: string } | null;

export function decideAutoRemediate(policies: PolicyConfig[], target: TargetConfig, drift: Change[], failedAttempts: number, declared: boolean): AutoRemediateDecision {
  if (drift.length === 0) return null;
  let declined: AutoRemediateDecision = null;
  for (const policy of policies) {
    const rule = policy.remediate;
    if (!rule || !policyApplies(policy, target)) continue;
    if (!Object.entries(rule.labels ?? {}).every(([k, v]) => target.labels[k] === v)) continue;
    const above = drift.filter((c) => severityRank(c.severity) < severityRank(rule.maxSeverity));
    let why: string | null = null;
    if (!declared) why = 'neither the target nor its sources declare a remediate: command';
    else if (isProductionTarget(target) && !policy.includeProduction) why = 'production target (set include_production: true to allow)';
    else if (above.length > 0) why = `${above.length} change${above.length === 1 ? '' : 's'} above ${rule.maxSeverity}`;
    else if (failedAttempts >= rule.maxAttempts) why = `remediation of this drift already failed ${failedAttempts} time${failedAttempts === 1 ? '' : 's'} (max_attempts ${rule.maxAttempts})`;
    if (why === null) return { run: true, policy };
    declined ??= { run: false, policy, why };
  }
  return declined;
}
