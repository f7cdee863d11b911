import { SEVERITIES, mostSevere, severityRank, type ChangeKind, type Severity, type SeverityConfig } from '../config/config.js';
import type { ManifestEntry } from './manifest.js';
import { createClassifier } from './severity.js';

/** One entry that differs between baseline and snapshot. */
export interface Change {
  source: string;
  key: string;
  change: ChangeKind;
  severity: Severity;
  rule: string;
  before?: ManifestEntry;
  after?: ManifestEntry;
}

export interface EntryError {
  source: string;
  key: string;
  message: string;
}

export interface DriftSummary {
  added: number;
  removed: number;
  changed: number;
  total: number;
  /** The most severe change, or "none" when there is no drift. */
  highest: Severity | 'none';
  bySeverity: Record<Severity, number>;
}

export interface DriftReport {
  format: 1;
  kind: 'report';
  /** Link to the previous record of the target (see ledger/FORMAT.md, "Hash chain"). */
  chain?: { previous: string | null; sha256: string | null };
  id: string;
  target: string;
  time: string;
  status: 'clean' | 'drift';
  summary: DriftSummary;
  changes: Change[];
  errors: EntryError[];
  baseline: { tree: string | null };
  snapshot: { id: string | null; tree: string | null };
  severity: SeverityConfig;
  tool: { name: string; version: string };
}

export interface Delta {
  source: string;
  key: string;
  before?: ManifestEntry;
  after?: ManifestEntry;
}

/**
 * Classifies entry deltas into a report body (pure). A delta whose current side could not be read
 * is not drift: the entry's state is unknown, and it is listed under `errors` by the caller. One
 * whose baseline side could not be read but is readable now is drift ("changed"): otherwise an
 * entry unreadable when the baseline was taken would never be compared (nor accepted by key) again.
 */
export function classifyDeltas(target: string, deltas: readonly Delta[], severity: SeverityConfig): { changes: Change[]; summary: DriftSummary; status: 'clean' | 'drift' } {
  const classify = createClassifier(severity);
  const changes: Change[] = [];
  for (const delta of deltas) {
    if (delta.after?.error !== undefined) continue;
    const change: ChangeKind = !delta.before ? 'added' : !delta.after ? 'removed' : 'changed';
    const { severity: level, rule } = classify({ target, source: delta.source, key: delta.key, change });
    changes.push({
      source: delta.source,
      key: delta.key,
      change,
      severity: level,
      rule,
      ...(delta.before ? { before: delta.before } : {}),
      ...(delta.after ? { after: delta.after } : {}),
    });
  }
  changes.sort(compareChanges);
  const summary = summarize(changes);
  return { changes, summary, status: changes.length > 0 ? 'drift' : 'clean' };
}

export function compareChanges(a: Change, b: Change): number {
  return severityRank(a.severity) - severityRank(b.severity) || compareStrings(a.key, b.key) || compareStrings(a.source, b.source);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function summarize(changes: readonly Change[]): DriftSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let highest: Severity | undefined;
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const change of changes) {
    counts[change.change]++;
    bySeverity[change.severity]++;
    highest = mostSevere(highest, change.severity);
  }
  return { ...counts, total: changes.length, highest: highest ?? 'none', bySeverity };
}
