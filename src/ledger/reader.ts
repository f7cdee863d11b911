import type { DriftReport } from '../drift/report.js';
import { severityRank } from '../drift/severity-levels.js';
import { readHistory, type HistoryEntry } from './history.js';
import { alertsPath, headPath, OUTBOX_DIR, recordPath, type RecordKind } from './layout.js';
import type { Ledger } from './ledger.js';
import { emptyHead, type AcceptRecord, type AlertEventRecord, type AlertsState, type OpenAlert, type OutboxEntry, type TargetHead } from './records.js';

/**
 * The typed read model of the ledger: every read an operation makes of head.json, alerts.json,
 * the outbox, report and alert records and the history goes through here. Reads are at one
 * commit; a missing ledger or commit (undefined) reads as empty: an empty head, no open alerts,
 * an empty outbox and history. Read-only, never takes the lock.
 */
export interface LedgerReader {
  /** Undefined when the ledger repository does not exist yet. */
  readonly ledger: Ledger | undefined;
  /** The commit read; undefined when the ledger branch does not exist yet. */
  readonly tip: string | undefined;
  head(target: string): Promise<TargetHead>;
  /** The report `head.json` names as the target's latest; undefined before its first check. */
  latestReport(target: string): Promise<DriftReport | undefined>;
  alertsState(target: string): Promise<AlertsState>;
  outbox(): Promise<OutboxEntry[]>;
  /** The open alerts of these targets, most severe first, then oldest first. */
  openAlerts(targets: readonly string[]): Promise<OpenAlert[]>;
  /** Ledger commits newest first (see ledger/history.ts). */
  history(options?: { sinceMs?: number; limit?: number }): Promise<HistoryEntry[]>;
  /** The most recent alert events, newest first, at most `limit`. */
  recentAlertEvents(limit: number): Promise<AlertEventRecord[]>;
}

export function ledgerReader(ledger: Ledger | undefined, tip: string | undefined): LedgerReader {
  const at = ledger && tip ? { ledger, tip } : undefined;
  return {
    ledger,
    tip,
    head: async (target) => (at ? readHead(at.ledger, at.tip, target) : emptyHead(target)),
    latestReport: async (target) => (at ? readLatestReport(at.ledger, at.tip, target) : undefined),
    alertsState: async (target) => (at ? readAlertsState(at.ledger, at.tip, target) : emptyAlertsState(target)),
    outbox: async () => (at ? readOutbox(at.ledger, at.tip) : []),
    openAlerts: async (targets) => (at ? readOpenAlerts(at.ledger, at.tip, targets) : []),
    history: async (options) => (at ? readHistory(at.ledger, at.tip, options) : []),
    recentAlertEvents: async (limit) => (at ? readRecentAlertEvents(at.ledger, at.tip, limit) : []),
  };
}

export async function readHead(ledger: Ledger, commit: string | undefined, target: string): Promise<TargetHead> {
  if (!commit) return emptyHead(target);
  return (await ledger.readJson<TargetHead>(commit, headPath(target))) ?? emptyHead(target);
}

export async function readLatestReport(ledger: Ledger, commit: string | undefined, target: string): Promise<DriftReport | undefined> {
  const head = await readHead(ledger, commit, target);
  if (!commit || !head.report) return undefined;
  return ledger.readJson<DriftReport>(commit, recordPath(target, head.report.id, 'report'));
}

/** The first record of a history entry (the report of a `report` commit, the accept of an `accept` commit). */
export async function readEntryRecord<K extends 'report' | 'accept'>(ledger: Ledger, entry: HistoryEntry, kind: K): Promise<(K extends 'report' ? DriftReport : AcceptRecord) | undefined> {
  if (!entry.target || entry.records.length === 0) return undefined;
  return ledger.readJson(entry.commit.oid, recordPath(entry.target, entry.records[0], kind as RecordKind));
}

/** The alert events recorded by an `alert` commit, in the order they were recorded. */
export async function readEntryAlertEvents(ledger: Ledger, entry: HistoryEntry): Promise<AlertEventRecord[]> {
  const events: AlertEventRecord[] = [];
  if (!entry.target) return events;
  for (const id of entry.records) {
    const event = await ledger.readJson<AlertEventRecord>(entry.commit.oid, recordPath(entry.target, id, 'alert'));
    if (event) events.push(event);
  }
  return events;
}

function emptyAlertsState(target: string): AlertsState {
  return { format: 1, kind: 'alerts', target, evaluatedReport: null, open: {} };
}

export async function readAlertsState(ledger: Ledger, commit: string | undefined, target: string): Promise<AlertsState> {
  const state = commit ? await ledger.readJson<AlertsState>(commit, alertsPath(target)) : undefined;
  return state ?? emptyAlertsState(target);
}

export async function readOpenAlerts(ledger: Ledger, commit: string | undefined, targets: readonly string[]): Promise<OpenAlert[]> {
  const open: OpenAlert[] = [];
  for (const target of targets) open.push(...Object.values((await readAlertsState(ledger, commit, target)).open));
  return open.sort(bySeverityThenAge);
}

/** Most severe first, then oldest first. */
export function bySeverityThenAge(a: { severity: OpenAlert['severity']; openedAt: string }, b: { severity: OpenAlert['severity']; openedAt: string }): number {
  return severityRank(a.severity) - severityRank(b.severity) || (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : 0);
}

async function readRecentAlertEvents(ledger: Ledger, tip: string, limit: number): Promise<AlertEventRecord[]> {
  const recent: AlertEventRecord[] = [];
  for (const entry of await readHistory(ledger, tip)) {
    if (entry.kind !== 'alert' || !entry.target) continue;
    recent.push(...(await readEntryAlertEvents(ledger, entry)).reverse());
    if (recent.length >= limit) break;
  }
  return recent.slice(0, limit);
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
