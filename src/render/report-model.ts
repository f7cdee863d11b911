import { SEVERITIES, type Severity } from '../drift/severity-levels.js';
import type { ChangeView } from './views.js';

/**
 * The data model of `driftctl report` (pure types): what `report --json` prints and what the HTML
 * page is rendered from. Times are ISO strings (UTC); every field is always present (null when
 * unknown), so the model is stable for machines and for strict templates.
 */
export type SeverityCounts = Record<Severity, number>;

export interface ReportModel {
  kind: 'driftctl-report';
  generatedAt: string;
  window: { since: string; until: string; label: string };
  ledger: { branch: string; tip: string };
  summary: {
    targets: number;
    /** The most recent check of any target (ever, not only within the window). */
    lastCheck: string | null;
    /** Checks within the window, and how many of them found drift. */
    checks: number;
    drifted: number;
    openAlerts: number;
    /** Accepts within the window. */
    accepts: number;
    /** Current drift: the changes of each target's latest report, by severity. */
    drift: SeverityCounts;
    driftTotal: number;
  };
  targets: TargetReport[];
  tool: { name: string; version: string };
}

export interface TargetReport {
  name: string;
  enabled: boolean;
  labels: Record<string, string>;
  status: 'clean' | 'drift' | 'never checked';
  highest: Severity | 'none';
  lastCheck: string | null;
  baseline: { accept: string; time: string; by: string } | null;
  /** Checks (reports) within the window, oldest first. */
  checks: CheckPoint[];
  openAlerts: OpenAlertRow[];
  /** Waivers in force now (ledger records and driftctl.yml `waivers:`), soonest expiry first. */
  waivers?: { id: string; keys: string[]; until: string; by: string; reason: string }[];
  /** Accepts within the window, newest first. */
  accepts: AcceptRow[];
  /** The latest report's changes (whatever its age), at most `REPORT_MAX_CHANGES` of them. */
  latest: LatestReport | null;
}

export interface CheckPoint {
  report: string;
  time: string;
  status: 'clean' | 'drift';
  highest: Severity | 'none';
  total: number;
  bySeverity: SeverityCounts;
  /** A heartbeat: how many checks found this report's verdict again (absent: one check, a report). */
  repeated?: number;
}

export interface OpenAlertRow {
  id: string;
  fingerprint: string;
  source: string;
  class: string;
  severity: Severity;
  openedAt: string;
  updatedAt: string;
  changes: number;
  report: string | null;
}

export interface AcceptRow {
  id: string;
  time: string;
  by: string;
  reason: string;
  scope: 'all' | 'keys';
  keys: string[];
  changes: number;
  bySeverity: SeverityCounts;
}

export interface LatestReport {
  report: string;
  time: string;
  status: 'clean' | 'drift';
  highest: Severity | 'none';
  added: number;
  removed: number;
  changed: number;
  total: number;
  bySeverity: SeverityCounts;
  changes: ChangeView[];
  /** Changes of the report not listed in `changes`. */
  more: number;
}

/** Changes listed per target; the rest are counted in `more` (the page stays light with 100k changes). */
export const REPORT_MAX_CHANGES = 250;

export function zeroCounts(): SeverityCounts {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
}
