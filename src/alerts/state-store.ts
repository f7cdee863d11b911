import type { Config, TargetConfig } from '../config/config.js';
import { summarize, type Change } from '../drift/report.js';
import { alertsPath, newRecordId, recordPath } from '../ledger/layout.js';
import type { Edit, Ledger, LedgerWriter } from '../ledger/ledger.js';
import { encodeRecord, type AlertEventRecord, type AlertReason, type AlertsState, type OpenAlert } from '../ledger/records.js';
import { severityRank } from '../drift/severity-levels.js';
import { channelWants, type Channel } from '../channels/channel.js';
import type { AlertNotice } from '../render/views.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { DEFAULT_ALERT_CLASS, evaluateAlerts, fingerprintOf, type AlertTransition } from './lifecycle.js';

/**
 * The alert state of a target on the ledger: evaluates new drift against its open alerts
 * (read with ledger/reader.ts) and stages the alert events and the new `alerts.json` in one
 * `alert` commit, returning the notices for channels (rendered and delivered by notify.ts).
 */
export interface TargetAlertInput {
  target: TargetConfig;
  changes: Change[];
  reportId: string | null;
  firstCheck: boolean;
  reason: AlertReason;
  /** Changes left out because a waiver covers them: an alert whose drift is all waived resolves as `waived`. */
  waived?: Change[];
  /** Set after a failed remediation: the target's open alerts are updated to say so. */
  remediationFailed?: boolean;
}

export interface StagedAlerts {
  target: string;
  transitions: AlertTransition[];
  events: AlertEventRecord[];
  notices: AlertNotice[];
  open: number;
}

/**
 * Evaluates one target and, when anything changed, stages one `alert` commit. `at` is the ledger
 * commit the state was read from: a resolution lists the changes that were open, read from the
 * report its alert was last evaluated against.
 */
export async function stageTargetAlerts(
  config: Config,
  channels: Channel[],
  writer: LedgerWriter | undefined,
  state: AlertsState,
  input: TargetAlertInput,
  now: Date,
  at?: { ledger: Ledger; commit: string | undefined },
): Promise<StagedAlerts> {
  const classes = new Map<string, string>();
  for (const rule of config.severity.rules) if (!classes.has(rule.id)) classes.set(rule.id, rule.alert ?? DEFAULT_ALERT_CLASS);
  const time = now.toISOString();
  const classOf = (change: Change): string => classes.get(change.rule) ?? DEFAULT_ALERT_CLASS;
  const waivedPrints = new Set((input.waived ?? []).map((c) => fingerprintOf(input.target.name, c.source, classOf(c))));
  const { open, transitions } = evaluateAlerts({
    target: input.target.name,
    open: state.open,
    changes: input.changes,
    classOf: (change) => classes.get(change.rule) ?? DEFAULT_ALERT_CLASS,
    now: time,
    newId: () => newRecordId(now),
    repeatIntervalMs: config.alerts.repeatIntervalMs,
    reportId: input.reportId,
    firstCheck: input.firstCheck,
    resolveReason: input.reason,
    resolveReasonOf: (fp) => (waivedPrints.has(fp) ? 'waived' : undefined),
    ...(input.remediationFailed ? { remediationFailed: new Set(Object.keys(state.open)) } : {}),
  });
  const reports = new Map<string, Promise<Change[]>>();
  const notices: AlertNotice[] = [];
  const events: AlertEventRecord[] = [];
  for (const t of transitions) {
    // The report this alert was last evaluated against (its `reportId` before this evaluation).
    const lastReport = state.open[t.alert.fingerprint]?.reportId;
    if (t.event === 'resolved' && at?.commit && lastReport) {
      let changes = reports.get(lastReport);
      if (!changes) reports.set(lastReport, (changes = readReportChanges(at.ledger, at.commit, input.target.name, lastReport)));
      t.changes = (await changes).filter((c) => fingerprintOf(input.target.name, c.source, classOf(c)) === t.alert.fingerprint);
    }
    const notice: AlertNotice | undefined = t.notify
      ? {
          event: t.notify,
          time,
          alertId: t.alert.id,
          fingerprint: t.alert.fingerprint,
          alertClass: t.alert.class,
          target: t.alert.target,
          labels: input.target.labels,
          source: t.alert.source,
          severity: t.alert.severity,
          openedAt: t.alert.openedAt,
          changes: t.changes,
          reportId: input.reportId,
          reportLink: reportLink(config, input.target.name, input.reportId),
          reason: t.reason,
        }
      : undefined;
    const recipients = notice ? routeNotice(channels, t.alert, notice) : [];
    if (notice) notices.push({ ...notice, channels: recipients });
    const summary = summarize(t.changes);
    events.push({
      format: 1,
      kind: 'alert',
      id: newRecordId(now),
      alert: t.alert.id,
      fingerprint: t.alert.fingerprint,
      target: t.alert.target,
      source: t.alert.source,
      class: t.alert.class,
      event: t.event,
      time,
      openedAt: t.alert.openedAt,
      severity: t.alert.severity,
      summary: { total: summary.total, added: summary.added, removed: summary.removed, changed: summary.changed },
      changes: t.changes,
      report: input.reportId,
      reason: t.reason,
      notified: recipients,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
    });
  }
  const next: AlertsState = { format: 1, kind: 'alerts', target: input.target.name, evaluatedReport: input.reportId, open };
  if (writer && events.length > 0) {
    const edits: Edit[] = [];
    for (const e of events) edits.push(...(await writer.record(e.target, e.id, 'alert', e)));
    edits.push({ path: alertsPath(input.target.name), blob: encodeRecord('alerts', next) });
    const counts = ['opened', 'updated', 'reminded', 'resolved']
      .map((kind) => [kind, events.filter((e) => e.event === kind).length] as const)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`);
    const highest = events.map((e) => e.severity).sort((a, b) => ['critical', 'high', 'medium', 'low', 'info'].indexOf(a) - ['critical', 'high', 'medium', 'low', 'info'].indexOf(b))[0];
    await writer.commit(edits, `alert ${input.target.name}: ${counts.length ? counts.join(', ') : 'no transitions'}, ${Object.keys(open).length} open`, {
      'Drift-Target': input.target.name,
      'Drift-Kind': 'alert',
      ...(highest ? { 'Drift-Severity': highest } : {}),
      'Drift-Record': events.map((e) => e.id),
    });
  }
  return { target: input.target.name, transitions, events, notices, open: Object.keys(open).length };
}

/**
 * Who hears a notice about `alert`: every channel that wants it (severity floor, filters, event
 * kinds), plus the channels already told that the alert is open: they hear its resolution whatever
 * its severity has become, and hear once when an update drops it below their min_severity (then
 * nothing more until it resolves or rises again). Records what each recipient was told on `alert`.
 * Channel-generic: every channel kind is routed the same way.
 */
function routeNotice(channels: Channel[], alert: OpenAlert, notice: AlertNotice): string[] {
  const told = { ...(alert.notifiedChannels ?? {}) };
  const recipients: string[] = [];
  for (const channel of channels) {
    const { name, events, minSeverity } = channel.config;
    const before = told[name];
    const wanted = channelWants(channel.config, notice);
    const toldOpen = before !== undefined && events.includes(notice.event);
    const droppedBelow = toldOpen && notice.event === 'updated' && severityRank(before) <= severityRank(minSeverity) && severityRank(notice.severity) > severityRank(minSeverity);
    if (wanted || (toldOpen && notice.event === 'resolved') || droppedBelow) {
      recipients.push(name);
      if (notice.event !== 'resolved') told[name] = notice.severity;
    }
  }
  alert.notifiedChannels = told;
  return recipients;
}

async function readReportChanges(ledger: Ledger, commit: string, target: string, reportId: string): Promise<Change[]> {
  const report = await ledger.readJson<{ changes?: Change[] }>(commit, recordPath(target, reportId, 'report'));
  return report?.changes ?? [];
}

export function reportLink(config: Config, target: string, reportId: string | null): string | null {
  if (!config.alerts.reportUrl || !reportId) return null;
  const filePath = recordPath(target, reportId, 'report');
  return config.alerts.reportUrl
    .replace(/\{path\}/g, filePath)
    .replace(/\{id\}/g, reportId)
    .replace(/\{target\}/g, encodeURIComponent(target))
    .replace(/\{branch\}/g, encodeURIComponent(config.ledger.branch));
}

/** What the alert lifecycle did for one target in a run (check and alert results). */
export interface AlertSummary {
  target: string;
  opened: number;
  updated: number;
  reminded: number;
  resolved: number;
  open: number;
  /** Why no alert was evaluated, when none was. */
  note: string | null;
}

export function alertSummary(staged: StagedAlerts, note: string | null): AlertSummary {
  const count = (event: string): number => staged.events.filter((e) => e.event === event).length;
  return { target: staged.target, opened: count('opened'), updated: count('updated'), reminded: count('reminded'), resolved: count('resolved'), open: staged.open, note };
}
