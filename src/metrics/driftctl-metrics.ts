import { SEVERITIES, type Severity } from '../drift/severity-levels.js';
import { renderExposition, type MetricFamily } from './exposition.js';

/**
 * driftctl's metrics, built from plain data (read from the ledger by ops/metrics.ts) with no IO,
 * so `check --metrics-file` and `serve` expose exactly the same families.
 */

export const CHECK_STATUSES = ['clean', 'drift', 'error'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export interface TargetMetricsInput {
  target: string;
  /** The latest check: its time and verdict (`error` when its source failed); null if never checked. */
  lastCheck: { timeSeconds: number; status: CheckStatus } | null;
  /** Changes in the latest report by severity; null when the target has no report. */
  changes: Record<Severity, number> | null;
  /** Reports on the ledger for this target, and how many of them found drift. */
  checks: number;
  driftReports: number;
  /** Accept commits on the ledger for this target (the baseline recorded by init included). */
  accepts: number;
  /** Open alerts by severity. */
  openAlerts: Record<Severity, number>;
  /** Wall time of the check run that checked this target, when this process ran it. */
  checkDurationSeconds: number | null;
}

export interface MetricsInput {
  ledgerCommits: number;
  targets: TargetMetricsInput[];
}

export function zeroBySeverity(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

/** Every family, always in the same order, with HELP and TYPE even when it has no samples. */
export function buildDriftctlMetrics(input: MetricsInput): MetricFamily[] {
  const perTarget = (name: string, help: string, type: MetricFamily['type'], value: (t: TargetMetricsInput) => number | null): MetricFamily => ({
    name,
    help,
    type,
    samples: input.targets.flatMap((t) => {
      const v = value(t);
      return v === null ? [] : [{ labels: { target: t.target }, value: v }];
    }),
  });
  const bySeverity = (name: string, help: string, counts: (t: TargetMetricsInput) => Record<Severity, number> | null): MetricFamily => ({
    name,
    help,
    type: 'gauge',
    samples: input.targets.flatMap((t) => {
      const c = counts(t);
      return c === null ? [] : SEVERITIES.map((severity) => ({ labels: { target: t.target, severity }, value: c[severity] ?? 0 }));
    }),
  });
  return [
    bySeverity('driftctl_drift_changes', 'Changes in the latest drift report of the target, by severity.', (t) => t.changes),
    perTarget('driftctl_drift_total', 'Drift reports (checks that found drift) recorded on the ledger for the target.', 'counter', (t) => t.driftReports),
    perTarget('driftctl_checks_total', 'Drift reports (checks) recorded on the ledger for the target.', 'counter', (t) => t.checks),
    perTarget('driftctl_check_duration_seconds', 'Wall time of the last check run of the target, in seconds (written by check --metrics-file).', 'gauge', (t) => t.checkDurationSeconds),
    perTarget('driftctl_last_check_timestamp_seconds', 'Time of the last check of the target, in seconds since the epoch.', 'gauge', (t) => t.lastCheck?.timeSeconds ?? null),
    {
      name: 'driftctl_last_check_status',
      help: 'Outcome of the last check of the target: 1 for the current status (clean, drift or error), 0 for the others.',
      type: 'gauge',
      samples: input.targets.flatMap((t) =>
        t.lastCheck === null ? [] : CHECK_STATUSES.map((status) => ({ labels: { target: t.target, status }, value: t.lastCheck?.status === status ? 1 : 0 })),
      ),
    },
    bySeverity('driftctl_open_alerts', 'Open drift alerts of the target, by severity.', (t) => t.openAlerts),
    perTarget('driftctl_accepts_total', 'Accept commits (baselines recorded) on the ledger for the target.', 'counter', (t) => t.accepts),
    { name: 'driftctl_ledger_commits_total', help: 'Commits on the ledger branch.', type: 'counter', samples: [{ labels: {}, value: input.ledgerCommits }] },
  ];
}

export function renderDriftctlMetrics(input: MetricsInput): string {
  return renderExposition(buildDriftctlMetrics(input));
}
