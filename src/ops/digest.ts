import { readAlertsState, readEntryAlertEvents, readEntryRecord, readHead } from '../ledger/reader.js';
import { personLine } from '../ledger/records.js';
import { deliverWithOutbox, type DeliveryOutcome } from '../alerts/delivery.js';
import { withPreviews, type Channel, type PreviewedPayload } from '../channels/channel.js';
import { SEVERITIES, severityRank } from '../drift/severity-levels.js';
import type { Change } from '../drift/report.js';
import { DriftError } from '../errors.js';
import { changeView, type DigestAlert, type DigestView } from '../render/views.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { readHistory } from '../ledger/history.js';
import { loadAlerting, type Alerting } from '../alerts/notify.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import { openWorkspace, withLock, type Workspace } from '../session/workspace.js';
import { readWaivers } from '../ledger/loop-records.js';
import { configWaivers } from '../session/loop-hooks.js';
import { expiringWaivers } from '../drift/waivers.js';

export interface DigestOptions extends ConfigOption {
  /** Window length in ms (default: alerts.digest.since, else 24h). */
  sinceMs?: number;
  /** Send to this channel only (default: alerts.digest.channels, else every channel). */
  channel?: string;
  dryRun?: boolean;
}

export interface DigestResult {
  dryRun: boolean;
  view: DigestView;
  payloads: PreviewedPayload[];
  deliveries: DeliveryOutcome[];
  tip: string;
}

const TOP_CHANGES = 15;
/** The digest lists waivers that expire within this long. */
const WAIVER_NOTICE_MS = 7 * 86_400_000;

/**
 * One message summarising every target over a window: alerts opened, still open and resolved,
 * accepted baselines, the most severe changes, counts per severity. Read from the ledger history.
 */
export async function digest(deps: OpDeps, options: DigestOptions): Promise<DigestResult> {
  const ws = openWorkspace(deps, options);
  const alerting = await loadAlerting(ws.config, deps);
  const channels = pickChannels(alerting, ws, options.channel);
  const run = async (): Promise<DigestResult> => {
    const base = await ws.ledger.requireTip();
    const now = deps.now();
    const view = await buildDigest(ws, base, now, options.sinceMs ?? ws.config.alerts.digest.sinceMs);
    const payloads = channels.map((c) => (c.renderDigest as NonNullable<Channel['renderDigest']>)(view, alerting.templates));
    if (options.dryRun) return { dryRun: true, view, payloads: withPreviews(channels, payloads, deps.env), deliveries: [], tip: base };
    const writer = ws.ledger.writer(base, signatureAt(await resolveActor(ws, deps), now));
    const deliveries = await deliverWithOutbox(ws.ledger, base, writer, alerting.channels, payloads, alerting.delivery, now, ws.config.alerts.outbox);
    const tip = (await writer.publish()) as string;
    return { dryRun: false, view, payloads: [], deliveries, tip };
  };
  return options.dryRun ? run() : withLock(ws, deps, 'digest', run);
}

function pickChannels(alerting: Alerting, ws: Workspace, name: string | undefined): Channel[] {
  if (name) {
    const channel = alerting.channels.find((c) => c.config.name === name);
    if (!channel) {
      throw new DriftError('UNKNOWN_CHANNEL', `no channel named "${name}" in alerts.channels (known: ${alerting.channels.map((c) => c.config.name).join(', ') || 'none'})`, { data: { channel: name } });
    }
    if (!channel.renderDigest) {
      throw new DriftError('DIGEST_UNSUPPORTED', `channel "${name}" is of kind ${channel.config.kind}, which takes alerts but no digests (pick a console, file, slack, webhook or email channel)`, { data: { channel: name, kind: channel.config.kind } });
    }
    return [channel];
  }
  const names = ws.config.alerts.digest.channels;
  // Without a list, every channel that takes digests: pages and texts are for alerts only.
  const chosen = names ? alerting.channels.filter((c) => names.includes(c.config.name)) : alerting.channels.filter((c) => c.renderDigest);
  if (chosen.length === 0) throw new DriftError('NO_CHANNELS', 'no alert channels that take digests are configured (add alerts.channels, or use --dry-run to preview the digest)', {});
  return chosen;
}

export async function buildDigest(ws: Workspace, tip: string, now: Date, windowMs: number): Promise<DigestView> {
  const sinceMs = now.getTime() - windowMs;
  const history = await readHistory(ws.ledger, tip, { sinceMs });
  const opened: DigestAlert[] = [];
  const resolved: DigestAlert[] = [];
  const accepts: DigestView['accepts'] = [];
  const latestChanges = new Map<string, Change & { target: string }>();
  // Every entry that drifted in a report of the window, at the highest severity it had there.
  const seen = new Map<string, Change['severity']>();
  let checks = 0;
  let drifted = 0;
  // Oldest first, so later reports replace earlier views of the same entry.
  for (const entry of [...history].reverse()) {
    if (!entry.target) continue;
    if (entry.kind === 'heartbeat') {
      // Checks that found nothing new, counted by the heartbeat that stands for them.
      const n = Number(entry.trailers['Drift-Checks'] ?? 0);
      checks += n;
      if (entry.trailers['Drift-Verdict'] === 'drift') drifted += n;
    } else if (entry.kind === 'report') {
      checks++;
      if (entry.trailers['Drift-Status'] === 'drift') drifted++;
      const report = await readEntryRecord(ws.ledger, entry, 'report');
      for (const key of [...latestChanges.keys()]) if (key.startsWith(`${entry.target}\u0000`)) latestChanges.delete(key);
      for (const change of report?.changes ?? []) {
        const key = `${entry.target}\u0000${change.source}\u0000${change.key}`;
        latestChanges.set(key, { ...change, target: entry.target });
        const before = seen.get(key);
        if (before === undefined || severityRank(change.severity) < severityRank(before)) seen.set(key, change.severity);
      }
    } else if (entry.kind === 'alert') {
      for (const event of await readEntryAlertEvents(ws.ledger, entry)) {
        const item: DigestAlert = { id: event.alert, target: event.target, source: event.source, class: event.class, severity: event.severity, openedAt: event.openedAt ?? event.time, changes: event.summary.total };
        if (event.event === 'opened') opened.push(item);
        if (event.event === 'resolved') resolved.push(item);
      }
    } else if (entry.kind === 'accept') {
      const record = await readEntryRecord(ws.ledger, entry, 'accept');
      if (record && record.changes.length > 0) accepts.push({ target: record.target, by: personLine(record.by), reason: record.reason, time: record.time, changes: record.changes.length });
    }
  }
  const open: DigestAlert[] = [];
  const targets: DigestView['targets'] = [];
  const expiring: DigestView['expiringWaivers'] = [];
  for (const target of ws.config.targets) {
    const waivers = [...(await readWaivers(ws.ledger, tip, target.name)), ...configWaivers(ws.config, target.name)];
    for (const w of expiringWaivers(waivers, now, WAIVER_NOTICE_MS)) expiring.push({ target: target.name, id: w.id, keys: w.anyContent ? w.keys : w.covers.map((c) => c.key), until: w.until, by: w.by, reason: w.reason });
    const state = await readAlertsState(ws.ledger, tip, target.name);
    for (const a of Object.values(state.open)) open.push({ id: a.id, target: a.target, source: a.source, class: a.class, severity: a.severity, openedAt: a.openedAt, changes: a.changes });
    const head = await readHead(ws.ledger, tip, target.name);
    targets.push({ name: target.name, status: head.report?.status ?? 'never checked', highest: head.report?.highest ?? 'none', lastCheck: head.report?.time ?? null });
  }
  const bySeverityRank = (a: { severity: string }, b: { severity: string }): number => severityRank(a.severity as never) - severityRank(b.severity as never);
  open.sort((a, b) => bySeverityRank(a, b) || (a.openedAt < b.openedAt ? -1 : 1));
  const current = [...latestChanges.values()].sort((a, b) => bySeverityRank(a, b) || (a.target < b.target ? -1 : a.target > b.target ? 1 : a.key < b.key ? -1 : 1));
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<string, number>;
  for (const severity of seen.values()) counts[severity]++;
  const hours = Math.round(windowMs / 3_600_000);
  return {
    now: now.toISOString(),
    since: new Date(sinceMs).toISOString(),
    title: `Drift digest: last ${hours >= 48 && hours % 24 === 0 ? `${hours / 24}d` : `${hours}h`}`,
    counts: { opened: opened.length, resolved: resolved.length, open: open.length, accepts: accepts.length, checks, drifted },
    bySeverity: SEVERITIES.filter((s) => counts[s] > 0).map((severity) => ({ severity, count: counts[severity] })),
    opened,
    open,
    resolved,
    accepts,
    expiringWaivers: expiring.sort((a, b) => (a.until < b.until ? -1 : a.until > b.until ? 1 : 0)),
    topChanges: current.slice(0, TOP_CHANGES).map((c) => ({ ...changeView(c), target: c.target })),
    more: Math.max(0, current.length - TOP_CHANGES),
    targets,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
}
