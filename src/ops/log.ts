import { severityRank, SEVERITIES, type Severity } from '../drift/severity-levels.js';
import { personLine } from '../ledger/records.js';
import { parseDuration } from '../config/config.js';
import type { Change } from '../drift/report.js';
import { DriftError } from '../errors.js';
import { recordPath, type RecordKind } from '../ledger/layout.js';
import { createKeyMatcher, type KeyMatcher } from '../match/glob.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { readHistory, type HistoryEntry } from '../ledger/history.js';
import { indexedHistory } from '../ledger/commit-index.js';
import { monitoringGaps, type MonitoringGap } from '../ledger/gaps.js';
import { openWorkspace, type Workspace } from '../session/workspace.js';

export interface LogOptions extends ConfigOption {
  target?: string;
  kind?: string;
  status?: 'clean' | 'drift';
  /** Only commits whose severity is at least this (reports and alerts). */
  severity?: Severity;
  /** Only commits that touch an entry whose key matches this glob. */
  key?: string;
  /** ISO date/time, or a duration back from now (7d). */
  since?: string;
  until?: string;
  limit?: number;
  /** 1-based page of `limit` entries. */
  page?: number;
}

export interface LogEntry {
  commit: string;
  time: string;
  kind: string;
  target: string | null;
  status: string | null;
  severity: string | null;
  record: string | null;
  records: string[];
  subject: string;
  author: string;
  /** With --key: the matching keys this commit touched. */
  keys?: string[];
}

export interface LogResult {
  branch: string;
  page: number;
  limit: number;
  /** True when more entries match beyond this page. */
  more: boolean;
  entries: LogEntry[];
  /**
   * Monitoring gaps longer than twice `ledger.heartbeat` (no report or heartbeat of a target for
   * that long, up to now included), longest first, of the selected target (or every target).
   */
  gaps: MonitoringGap[];
}

/**
 * Ledger history, newest first, one entry per commit, filtered by trailers (target, kind, status,
 * severity), time window and entry key, and paged. Trailer filters read only the commit index;
 * the key filter reads the records (or manifests) of the commits that pass the other filters.
 */
export async function log(deps: OpDeps, options: LogOptions): Promise<LogResult> {
  const ws = openWorkspace(deps, options);
  const tip = await ws.ledger.requireTip();
  const now = deps.now().getTime();
  const since = options.since ? parseWhen(options.since, now, 'since') : undefined;
  const until = options.until ? parseWhen(options.until, now, 'until', true) : undefined;
  const limit = Math.max(1, options.limit ?? 50);
  const page = Math.max(1, options.page ?? 1);
  const skip = (page - 1) * limit;
  const matcher = options.key ? createKeyMatcher([options.key]) : undefined;
  const entries: LogEntry[] = [];
  let matched = 0;
  let more = false;
  const history = await readHistory(ws.ledger, tip, { ...(since !== undefined ? { sinceMs: since } : {}), warn: deps.warn });
  for (let i = 0; i < history.length; i++) {
    const h = history[i];
    if (until !== undefined && h.time > until) continue;
    if (options.target && h.target !== options.target) continue;
    if (options.kind && h.kind !== options.kind) continue;
    if (options.status && h.trailers['Drift-Status'] !== options.status) continue;
    if (options.severity) {
      const severity = h.trailers['Drift-Severity'];
      if (!severity || severity === 'none' || !SEVERITIES.includes(severity as Severity) || severityRank(severity as Severity) > severityRank(options.severity)) continue;
    }
    let keys: string[] | undefined;
    if (matcher) {
      keys = await touchedKeys(ws, h, history[i + 1], matcher);
      if (keys.length === 0) continue;
    }
    matched++;
    if (matched <= skip) continue;
    if (entries.length >= limit) {
      more = true;
      break;
    }
    entries.push({
      commit: h.commit.oid,
      time: new Date(h.time).toISOString(),
      kind: h.kind,
      target: h.target,
      status: h.trailers['Drift-Status'] ?? (h.kind === 'heartbeat' && h.trailers['Drift-Checks'] ? `${h.trailers['Drift-Checks']} unchanged` : null),
      severity: h.trailers['Drift-Severity'] ?? null,
      record: h.records[0] ?? null,
      records: h.records,
      subject: h.commit.message.split('\n')[0],
      author: personLine(h.commit.author),
      ...(keys ? { keys } : {}),
    });
  }
  const gaps = monitoringGaps(await indexedHistory(ws.store, ws.ledger.branch, tip), now, 2 * ws.config.ledger.heartbeatMs).filter((g) => !options.target || g.target === options.target);
  return { branch: ws.config.ledger.branch, page, limit, more, entries, gaps };
}

/** Keys matching `matcher` that a commit's records (or, for snapshots, its manifest) touch. */
async function touchedKeys(ws: Workspace, entry: HistoryEntry, older: HistoryEntry | undefined, matcher: KeyMatcher): Promise<string[]> {
  if (!entry.target) return [];
  const keys = new Set<string>();
  if (entry.kind === 'snapshot') {
    const before = older ? await ws.ledger.latestTree(older.commit.oid, entry.target) : undefined;
    const after = await ws.ledger.latestTree(entry.commit.oid, entry.target);
    for (const delta of await ws.ledger.diff(before, after)) if (matcher(delta.key)) keys.add(delta.key);
  } else if (entry.kind === 'report' || entry.kind === 'accept' || entry.kind === 'alert') {
    for (const id of entry.records) {
      const record = await ws.ledger.readJson<{ changes?: Change[] }>(entry.commit.oid, recordPath(entry.target, id, entry.kind as RecordKind));
      for (const change of record?.changes ?? []) if (matcher(change.key)) keys.add(change.key);
    }
  }
  return [...keys].sort();
}

/** An ISO date or time, or a duration back from now. A bare date as `until` means the end of that day. */
export function parseWhen(text: string, now: number, field: string, endOfDay = false): number {
  if (/^\d+(ms|s|m|h|d|w)$/.test(text)) return now - parseDuration(text);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = Date.parse(`${text}T00:00:00.000Z`);
    if (Number.isFinite(start)) return endOfDay ? start + 86_400_000 - 1 : start;
  }
  const time = Date.parse(text);
  if (!Number.isFinite(time)) throw new DriftError('USAGE', `--${field}: "${text}" is not a date, time or duration (use 2026-01-31, 2026-01-31T12:00:00Z or 7d)`, { data: { field, value: text } });
  return time;
}

