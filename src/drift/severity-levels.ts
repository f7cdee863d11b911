/** Severity levels and change kinds: the vocabulary of drift reports, severity rules and alerts. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CHANGE_KINDS = ['added', 'removed', 'changed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface SeverityRule {
  /** What reports name as the deciding rule: the rule's `name`, else its globs joined by ", ". */
  id: string;
  match: string[];
  change?: ChangeKind[];
  source?: string;
  target?: string;
  /** Only entries of these resource types (globs): a Terraform resource type or a Kubernetes kind. */
  type?: string[];
  severity: Severity;
  /** Drift class for alert grouping; absent means the default class "drift". */
  alert?: string;
}

export interface SeverityConfig {
  default: Severity;
  rules: SeverityRule[];
}

/** Rank for comparisons: 0 is the most severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function mostSevere(a: Severity | undefined, b: Severity): Severity {
  if (a === undefined) return b;
  return severityRank(a) <= severityRank(b) ? a : b;
}

