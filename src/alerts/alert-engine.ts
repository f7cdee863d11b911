import { DEFAULT_OUTBOX_MAX_AGE_MS, DEFAULT_OUTBOX_MAX_ATTEMPTS, severityRank, type Config, type TargetConfig } from '../config/config.js';
import type { Change } from '../drift/report.js';
import { isDriftError, messageOf } from '../errors.js';
import { alertsPath, deadPath, newRecordId, OUTBOX_DIR, outboxPath, recordPath } from '../ledger/layout.js';
import type { Edit, Ledger, LedgerWriter } from '../ledger/ledger.js';
import { encodeRecord } from '../ledger/records.js';
import type { Channel, DeliveryContext, Payload } from '../channels/channel.js';
import { channelWants } from '../channels/channel.js';
import type { TemplateEnv } from '../render/template-env.js';
import { summarizeChanges, type AlertNotice } from '../render/views.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { DEFAULT_ALERT_CLASS, evaluateAlerts, fingerprintOf, type AlertTransition, type OpenAlert } from './lifecycle.js';

/**
 * Runs the alert lifecycle against the ledger: reads a target's open alerts, evaluates the new
 * drift, stages the alert events and state, and routes notices to channels. Delivery goes
 * through the outbox: what cannot be delivered is committed under `outbox/` and retried by the
 * next run; what is delivered is removed in the same commit that records the run.
 */
export interface AlertsState {
  format: 1;
  kind: 'alerts';
  target: string;
  evaluatedReport: string | null;
  open: Record<string, OpenAlert>;
}

export interface AlertEventRecord {
  format: 1;
  kind: 'alert';
  chain?: { previous: string | null; sha256: string | null };
  id: string;
  alert: string;
  fingerprint: string;
  target: string;
  source: string;
  class: string;
  event: AlertTransition['event'];
  time: string;
  /** When the alert was opened (equal to `time` for an `opened` event). */
  openedAt: string;
  severity: OpenAlert['severity'];
  summary: { total: number; added: number; removed: number; changed: number };
  changes: Change[];
  report: string | null;
  reason: 'drift-gone' | 'accepted' | null;
  notified: string[];
  tool: { name: string; version: string };
}

export interface OutboxEntry {
  format: 1;
  kind: 'outbox';
  id: string;
  channel: string;
  channelKind: Payload['kind'];
  subject: string;
  body: string;
  text?: string;
  created: string;
  attempts: number;
  lastError: string;
}

export async function readAlertsState(ledger: Ledger, commit: string | undefined, target: string): Promise<AlertsState> {
  const state = commit ? await ledger.readJson<AlertsState>(commit, alertsPath(target)) : undefined;
  return state ?? { format: 1, kind: 'alerts', target, evaluatedReport: null, open: {} };
}

export interface TargetAlertInput {
  target: TargetConfig;
  changes: Change[];
  reportId: string | null;
  firstCheck: boolean;
  reason: 'drift-gone' | 'accepted';
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
  });
  const classOf = (change: Change): string => classes.get(change.rule) ?? DEFAULT_ALERT_CLASS;
  const reports = new Map<string, Promise<Change[]>>();
  const notices: AlertNotice[] = [];
  const events: AlertEventRecord[] = [];
  for (const t of transitions) {
    // The report this alert was last evaluated against (its `reportId` before this evaluation).
    const lastReport = state.open[t.alert.fingerprint]?.reportId;
    if (t.event === 'resolved' && at?.commit && lastReport) {
      const reportId = lastReport;
      let changes = reports.get(reportId);
      if (!changes) reports.set(reportId, (changes = readReportChanges(at.ledger, at.commit, input.target.name, reportId)));
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
    const summary = summarizeChanges(t.changes);
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

/**
 * Renders each notice for every channel that wants it. A template that fails on this particular
 * notice (templates were already checked against samples at load) costs that message only, never
 * the run's report: it comes back as an `unrendered` outcome.
 */
export function renderNotices(channels: Channel[], templates: TemplateEnv, notices: AlertNotice[], now: string): { payloads: Payload[]; failures: DeliveryOutcome[] } {
  const payloads: Payload[] = [];
  const failures: DeliveryOutcome[] = [];
  for (const notice of notices) {
    for (const channel of channels) {
      if (!(notice.channels ? notice.channels.includes(channel.config.name) : channelWants(channel.config, notice))) continue;
      try {
        payloads.push(channel.renderAlert(notice, templates, now));
      } catch (error) {
        failures.push({ channel: channel.config.name, subject: `${notice.event} ${notice.alertId}`, status: 'unrendered', error: messageOf(error), retried: false });
      }
    }
  }
  return { payloads, failures };
}

export interface DeliveryOutcome {
  channel: string;
  subject: string;
  /**
   * unrendered: its template failed on this notice, so there was nothing to send or keep.
   * abandoned: out of its retry budget (or dropped): removed from the outbox and recorded under dead/.
   */
  status: 'delivered' | 'queued' | 'kept' | 'unrendered' | 'abandoned';
  error: string | null;
  /** True when this delivery came from the outbox of an earlier run. */
  retried: boolean;
  /** Outbox id of a queued, kept or abandoned entry. */
  id?: string;
  /** Failed deliveries so far and the budget, for queued, kept and abandoned entries. */
  attempts?: number;
  maxAttempts?: number;
  /** For an abandoned entry: why (attempts, age or dropped) and its dead record id. */
  reason?: DeadRecord['reason'];
  dead?: string;
}

/** Retry budget of outbox entries (alerts.outbox). */
export interface OutboxBudget {
  maxAttempts: number;
  maxAgeMs: number;
}

export const DEFAULT_OUTBOX_BUDGET: OutboxBudget = { maxAttempts: DEFAULT_OUTBOX_MAX_ATTEMPTS, maxAgeMs: DEFAULT_OUTBOX_MAX_AGE_MS };

/** `dead/YYYY/MM/DD/<id>.dead.json`: an outbox entry abandoned, kept whole so nothing is lost silently. */
export interface DeadRecord {
  format: 1;
  kind: 'dead';
  id: string;
  time: string;
  reason: 'attempts' | 'age' | 'dropped';
  /** "driftctl" when the budget ran out, else who dropped it. */
  by: string;
  entry: OutboxEntry;
}

/** Stages the removal of an outbox entry and its dead record; returns the dead record's id. */
export function abandonEdits(entry: OutboxEntry, reason: DeadRecord['reason'], by: string, now: Date): { edits: Edit[]; id: string } {
  const record: DeadRecord = { format: 1, kind: 'dead', id: newRecordId(now), time: now.toISOString(), reason, by, entry };
  return { id: record.id, edits: [{ path: outboxPath(entry.id), remove: true }, { path: deadPath(record.id), blob: encodeRecord('dead', record) }] };
}

/**
 * Delivers the outbox of `base` and then the new payloads, and stages one `outbox` commit if the
 * outbox changed. Each entry has a retry budget: it is abandoned (removed, and recorded whole under
 * `dead/`) after `maxAttempts` failed deliveries, or once older than `maxAgeMs`. An entry whose
 * channel is no longer configured is not attempted (another machine sharing the ledger may still
 * have that channel) and is abandoned by age.
 */
export async function deliverWithOutbox(
  ledger: Ledger,
  base: string | undefined,
  writer: LedgerWriter,
  channels: Channel[],
  payloads: Payload[],
  context: DeliveryContext,
  now: Date,
  budget: OutboxBudget = DEFAULT_OUTBOX_BUDGET,
): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  const edits: Edit[] = [];
  const byName = new Map(channels.map((c) => [c.config.name, c]));
  const tooOld = (entry: OutboxEntry): boolean => now.getTime() - Date.parse(entry.created) >= budget.maxAgeMs;
  const settle = (entry: OutboxEntry, error: string, retried: boolean, status: 'queued' | 'kept'): void => {
    const reason = entry.attempts >= budget.maxAttempts ? 'attempts' : tooOld(entry) ? 'age' : undefined;
    const base = { channel: entry.channel, subject: entry.subject, error, retried, id: entry.id, attempts: entry.attempts, maxAttempts: budget.maxAttempts };
    if (reason) {
      const dead = abandonEdits(entry, reason, 'driftctl', now);
      edits.push(...(retried ? dead.edits : dead.edits.slice(1)));
      outcomes.push({ ...base, status: 'abandoned', reason, dead: dead.id });
    } else {
      edits.push({ path: outboxPath(entry.id), blob: encodeRecord('outbox', entry) });
      outcomes.push({ ...base, status });
    }
  };
  for (const entry of await readOutbox(ledger, base)) {
    const channel = byName.get(entry.channel);
    if (!channel) {
      const error = `channel "${entry.channel}" is no longer configured`;
      if (tooOld(entry)) settle(entry, error, true, 'kept');
      else outcomes.push({ channel: entry.channel, subject: entry.subject, status: 'kept', error, retried: true, id: entry.id, attempts: entry.attempts, maxAttempts: budget.maxAttempts });
      continue;
    }
    const error = await tryDeliver(channel, { channel: entry.channel, kind: entry.channelKind, subject: entry.subject, body: entry.body, ...(entry.text !== undefined ? { text: entry.text } : {}) }, context);
    if (error === null) {
      edits.push({ path: outboxPath(entry.id), remove: true });
      outcomes.push({ channel: entry.channel, subject: entry.subject, status: 'delivered', error: null, retried: true });
    } else {
      settle({ ...entry, attempts: entry.attempts + 1, lastError: error }, error, true, 'kept');
    }
  }
  for (const payload of payloads) {
    const channel = byName.get(payload.channel) as Channel;
    const error = await tryDeliver(channel, payload, context);
    if (error === null) {
      outcomes.push({ channel: payload.channel, subject: payload.subject, status: 'delivered', error: null, retried: false });
      continue;
    }
    const entry: OutboxEntry = {
      format: 1,
      kind: 'outbox',
      id: `${newRecordId(now)}-${payload.channel}`,
      channel: payload.channel,
      channelKind: payload.kind,
      subject: payload.subject,
      body: payload.body,
      ...(payload.text !== undefined ? { text: payload.text } : {}),
      created: now.toISOString(),
      attempts: 1,
      lastError: error,
    };
    settle(entry, error, false, 'queued');
  }
  if (edits.length > 0) await writer.commit(edits, outboxSubject(outcomes), { 'Drift-Kind': 'outbox' });
  return outcomes;
}

export function outboxSubject(outcomes: readonly DeliveryOutcome[]): string {
  const delivered = outcomes.filter((o) => o.status === 'delivered').length;
  const abandoned = outcomes.filter((o) => o.status === 'abandoned').length;
  const waiting = outcomes.length - delivered - abandoned;
  return `outbox: ${delivered} delivered, ${waiting} waiting${abandoned > 0 ? `, ${abandoned} abandoned` : ''}`;
}

export async function tryDeliver(channel: Channel, payload: Payload, context: DeliveryContext): Promise<string | null> {
  try {
    await channel.deliver(payload, context);
    return null;
  } catch (error) {
    return `${channel.config.kind} channel "${channel.config.name}": ${isDriftError(error) ? error.message : messageOf(error)}`;
  }
}

export async function readOutbox(ledger: Ledger, commit: string | undefined): Promise<OutboxEntry[]> {
  if (!commit) return [];
  const tree = await ledger.treeAt(commit, OUTBOX_DIR);
  if (!tree) return [];
  const entries: OutboxEntry[] = [];
  for (const file of (await ledger.store.readTree(tree)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (file.type !== 'blob') continue;
    entries.push(JSON.parse((await ledger.store.readBlob(file.oid)).toString('utf8')) as OutboxEntry);
  }
  return entries;
}

