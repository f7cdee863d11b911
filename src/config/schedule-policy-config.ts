import { cronProblem, timezoneProblem } from '../schedule/cron-scheduler.js';
import type { Severity } from '../drift/severity-levels.js';
import type { PolicyConfig, TargetConfig } from './config.js';

/** The `schedule`/`timezone` and `policies` parts of driftctl.yml, as written (after the schema). */
export interface RawSchedule {
  schedule?: string;
  timezone?: string;
}
export interface RawPolicy {
  name: string;
  targets?: string[];
  labels?: Record<string, string>;
  auto_accept?: { max_severity: Severity };
  remediate?: { max_severity: Severity; labels?: Record<string, string>; max_attempts?: number };
  include_production?: boolean;
}

type Issue = (segments: (string | number)[], message: string) => void;

/**
 * A target's schedule, checked with the cron library and the platform's time zones, so that a bad
 * expression is a config error naming its field instead of a daemon that never runs.
 */
export function normalizeSchedule(raw: RawSchedule, base: (string | number)[], issue: Issue): Pick<TargetConfig, 'schedule' | 'timezone'> {
  if (raw.schedule !== undefined) {
    const problem = cronProblem(raw.schedule);
    if (problem) issue([...base, 'schedule'], problem);
  }
  if (raw.timezone !== undefined) {
    const problem = timezoneProblem(raw.timezone);
    if (problem) issue([...base, 'timezone'], problem);
    else if (raw.schedule === undefined) issue([...base, 'timezone'], 'has no effect without "schedule"');
  }
  return { ...(raw.schedule !== undefined ? { schedule: raw.schedule.trim() } : {}), ...(raw.timezone !== undefined ? { timezone: raw.timezone } : {}) };
}

/** Policies with unique names whose `targets` name configured targets. */
export function normalizePolicies(raw: RawPolicy[] | undefined, targets: TargetConfig[], issue: Issue): PolicyConfig[] {
  const names = new Set<string>();
  const known = new Set(targets.map((t) => t.name));
  return (raw ?? []).map((policy, index) => {
    if (names.has(policy.name)) issue(['policies', index, 'name'], `duplicate policy name "${policy.name}"`);
    names.add(policy.name);
    if (!policy.auto_accept && !policy.remediate) issue(['policies', index], 'needs auto_accept or remediate (or both)');
    (policy.targets ?? []).forEach((name, i) => {
      if (!known.has(name)) issue(['policies', index, 'targets', i], `unknown target "${name}" (known: ${[...known].join(', ')})`);
    });
    return {
      name: policy.name,
      ...(policy.targets ? { targets: [...policy.targets] } : {}),
      ...(policy.labels ? { labels: { ...policy.labels } } : {}),
      ...(policy.auto_accept ? { autoAccept: { maxSeverity: policy.auto_accept.max_severity } } : {}),
      ...(policy.remediate
        ? { remediate: { maxSeverity: policy.remediate.max_severity, ...(policy.remediate.labels ? { labels: { ...policy.remediate.labels } } : {}), maxAttempts: policy.remediate.max_attempts ?? 1 } }
        : {}),
      includeProduction: policy.include_production ?? false,
    };
  });
}
