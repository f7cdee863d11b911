import { createHash } from 'node:crypto';
import { mostSevere, type Severity } from '../drift/severity-levels.js';
import type { Change } from '../drift/report.js';
import type { AlertEventName } from '../config/config.js';
import type { AlertReason, OpenAlert } from '../ledger/records.js';

/**
 * The alert state machine (pure). One drift condition (target, source, drift class) is one alert
 * with a stable fingerprint, however many checks see it:
 * - `opened` when drift of that class appears (never on a target's first check);
 * - `updated` when its set of changes or its highest severity changes; a notification goes out
 *   only when what it would say changed, or as a `reminder` once `repeatIntervalMs` has elapsed;
 * - `resolved` when the drift is gone or was accepted, with a resolution notification.
 */
export const DEFAULT_ALERT_CLASS = 'drift';


/** `reminded`: nothing changed, but the repeat interval elapsed and channels heard about it again. */
export type AlertEventKind = AlertEventName;

export interface AlertTransition {
  event: AlertEventKind;
  /** Whether channels hear about it, and as what. */
  notify: 'opened' | 'updated' | 'reminded' | 'resolved' | null;
  alert: OpenAlert;
  changes: Change[];
  reason: AlertReason | null;
}

export interface EvaluateInput {
  target: string;
  /** Open alerts of the target before this evaluation, by fingerprint. */
  open: Record<string, OpenAlert>;
  /** The changes that are drift now (against the baseline). */
  changes: Change[];
  /** The alert class each change belongs to (from its severity rule; default "drift"). */
  classOf: (change: Change) => string;
  now: string;
  /** A new id for an alert being opened. */
  newId: () => string;
  repeatIntervalMs: number | null;
  reportId: string | null;
  /** True on a target's first check: nothing is opened (there is no previous state). */
  firstCheck: boolean;
  /** Why alerts whose drift disappeared are resolved. */
  resolveReason: AlertReason;
  /** A reason for one alert's resolution that overrides `resolveReason` (waived drift). */
  resolveReasonOf?: (fingerprint: string) => AlertReason | undefined;
  /** Fingerprints whose alert is told, as an update, that remediation failed (`remediation-failed`). */
  remediationFailed?: ReadonlySet<string>;
}

export interface EvaluateResult {
  open: Record<string, OpenAlert>;
  transitions: AlertTransition[];
}

export function fingerprintOf(target: string, source: string, alertClass: string): string {
  return createHash('sha256').update(`${target}\u0000${source}\u0000${alertClass}`).digest('hex').slice(0, 16);
}

export function contentHashOf(changes: readonly Change[]): string {
  const hash = createHash('sha256');
  for (const c of [...changes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    hash.update(`${c.source}\u0000${c.key}\u0000${c.change}\u0000${c.severity}\u0000${c.after?.sha256 ?? ''}\u0000${c.before?.sha256 ?? ''}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

export function evaluateAlerts(input: EvaluateInput): EvaluateResult {
  const groups = new Map<string, { source: string; class: string; changes: Change[] }>();
  for (const change of input.changes) {
    const alertClass = input.classOf(change);
    const fp = fingerprintOf(input.target, change.source, alertClass);
    let group = groups.get(fp);
    if (!group) groups.set(fp, (group = { source: change.source, class: alertClass, changes: [] }));
    group.changes.push(change);
  }
  const open: Record<string, OpenAlert> = {};
  const transitions: AlertTransition[] = [];
  for (const [fp, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const severity = group.changes.reduce<Severity | undefined>((s, c) => mostSevere(s, c.severity), undefined) as Severity;
    const contentHash = contentHashOf(group.changes);
    const previous = input.open[fp];
    if (!previous) {
      if (input.firstCheck) continue;
      const alert: OpenAlert = {
        id: input.newId(),
        fingerprint: fp,
        target: input.target,
        source: group.source,
        class: group.class,
        severity,
        openedAt: input.now,
        updatedAt: input.now,
        contentHash,
        changes: group.changes.length,
        lastNotifiedAt: input.now,
        lastNotifiedHash: contentHash,
        reportId: input.reportId,
      };
      open[fp] = alert;
      transitions.push({ event: 'opened', notify: 'opened', alert, changes: group.changes, reason: null });
      continue;
    }
    const changed = previous.contentHash !== contentHash || previous.severity !== severity;
    const due = input.repeatIntervalMs !== null && Date.parse(input.now) - Date.parse(previous.lastNotifiedAt) >= input.repeatIntervalMs;
    const notify: AlertTransition['notify'] = changed && previous.lastNotifiedHash !== contentHash ? 'updated' : due ? 'reminded' : null;
    const alert: OpenAlert = {
      ...previous,
      severity,
      contentHash,
      changes: group.changes.length,
      updatedAt: changed ? input.now : previous.updatedAt,
      lastNotifiedAt: notify ? input.now : previous.lastNotifiedAt,
      lastNotifiedHash: notify ? contentHash : previous.lastNotifiedHash,
      reportId: input.reportId,
    };
    open[fp] = alert;
    if (input.remediationFailed?.has(fp)) {
      const told: OpenAlert = { ...alert, updatedAt: input.now, lastNotifiedAt: input.now, lastNotifiedHash: contentHash };
      open[fp] = told;
      transitions.push({ event: 'updated', notify: 'updated', alert: told, changes: group.changes, reason: 'remediation-failed' });
    } else if (changed) transitions.push({ event: 'updated', notify, alert, changes: group.changes, reason: null });
    else if (notify) transitions.push({ event: 'reminded', notify, alert, changes: group.changes, reason: null });
  }
  for (const [fp, previous] of Object.entries(input.open)) {
    if (groups.has(fp)) continue;
    const alert: OpenAlert = { ...previous, updatedAt: input.now, lastNotifiedAt: input.now, reportId: input.reportId };
    transitions.push({ event: 'resolved', notify: 'resolved', alert, changes: [], reason: input.resolveReasonOf?.(fp) ?? input.resolveReason });
  }
  return { open, transitions };
}
