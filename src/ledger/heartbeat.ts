import { readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../drift/canonical-json.js';
import type { DriftReport } from '../drift/report.js';
import { heartbeatPath } from './layout.js';
import type { Ledger, LedgerWriter } from './ledger.js';
import { encodeRecord, type TargetHead } from './records.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { writeFileAtomic } from '../write-atomic.js';

/**
 * Record change, not repetition (ledger/FORMAT.md "Heartbeats"). A check whose observation and
 * verdict equal the target's last recorded ones writes no records; this agent counts such checks
 * in a file outside the branch, and at most once per `ledger.heartbeat` interval replaces
 * `targets/<target>/heartbeat.json`, so the ledger proves that monitoring went on.
 */
export interface HeartbeatRecord {
  format: 1;
  kind: 'heartbeat';
  target: string;
  time: string;
  /** Checks since the last recorded check or heartbeat of the target (this agent's count, this one included). */
  checks: number;
  /** Time of the target's last record before this heartbeat. */
  since: string;
  last: { time: string; tree: string; report: string | null };
  tool: { name: string; version: string };
}

/** True when a check that observed `tree` would write the same report as the last one recorded. */
export function sameVerdict(last: DriftReport | undefined, head: TargetHead, tree: string, errors: unknown, severity: unknown, observed: string[]): boolean {
  if (!last || !head.snapshot || head.snapshot.tree !== tree) return false;
  return (
    last.snapshot.tree === tree &&
    (last.baseline.tree ?? null) === (head.baseline?.tree ?? null) &&
    canonicalJson(last.errors) === canonicalJson(errors) &&
    canonicalJson(last.severity) === canonicalJson(severity) &&
    canonicalJson(last.observed ?? []) === canonicalJson(observed)
  );
}

/** Unrecorded checks of one target on this machine, kept in the target's cache directory. */
export interface CheckCounter {
  count: number;
}

export function readCheckCounter(cacheDir: string): CheckCounter {
  try {
    const data = JSON.parse(readFileSync(path.join(cacheDir, 'unrecorded-checks.json'), 'utf8')) as Partial<CheckCounter>;
    return { count: Number.isInteger(data.count) && (data.count as number) >= 0 ? (data.count as number) : 0 };
  } catch {
    return { count: 0 };
  }
}

export function saveCheckCounter(cacheDir: string, counter: CheckCounter): void {
  writeFileAtomic(path.join(cacheDir, 'unrecorded-checks.json'), `${JSON.stringify(counter)}\n`);
}

/** When the target last left evidence on the ledger: its last report or heartbeat (ms), or undefined. */
export async function lastEvidence(ledger: Ledger, commit: string, head: TargetHead): Promise<{ time: number; heartbeat: HeartbeatRecord | undefined }> {
  const heartbeat = await ledger.readJson<HeartbeatRecord>(commit, heartbeatPath(head.target));
  const times = [head.report ? Date.parse(head.report.time) : NaN, heartbeat ? Date.parse(heartbeat.time) : NaN].filter(Number.isFinite);
  return { time: times.length ? Math.max(...times) : NaN, heartbeat };
}

/** Stages a heartbeat operation (grouped with whatever else the writer's group holds). */
export async function stageHeartbeat(writer: LedgerWriter, head: TargetHead, time: Date, checks: number, since: number): Promise<HeartbeatRecord> {
  const record: HeartbeatRecord = {
    format: 1,
    kind: 'heartbeat',
    target: head.target,
    time: time.toISOString(),
    checks,
    since: new Date(since).toISOString(),
    last: { time: time.toISOString(), tree: head.snapshot?.tree as string, report: head.report?.id ?? null },
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
  await writer.commit([{ path: heartbeatPath(head.target), blob: encodeRecord('heartbeat', record) }], `heartbeat ${head.target}: ${checks} check${checks === 1 ? '' : 's'} unchanged since ${record.since}`, {
    'Drift-Target': head.target,
    'Drift-Kind': 'heartbeat',
    'Drift-Checks': String(checks),
    // Not Drift-Status: `log --status drift` and `git log --grep 'Drift-Status: drift'` list reports.
    ...(head.report ? { 'Drift-Verdict': head.report.status } : {}),
  });
  return record;
}
