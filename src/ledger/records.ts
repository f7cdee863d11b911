import type { AlertEventName, ChannelKind } from '../config/config.js';
import type { Severity, SeverityConfig } from '../drift/severity-levels.js';
import type { Change, DriftReport, EntryError } from '../drift/report.js';
import { DriftError } from '../errors.js';
import { validateAgainst, type SchemaName } from '../schemas.js';
import { canonicalJson } from '../drift/canonical-json.js';

/** The immutable JSON records of the ledger. Their schemas live in schemas/*.schema.json. */

/** A record's link to the previous record of its target (absent in records from before chains). */
export interface ChainRef {
  previous: string | null;
  sha256: string | null;
}
export interface LedgerMeta {
  format: 1 | 2 | 3;
  /** Format 3: a member branch of a ledger set (`ledger.layout: per-target`), holding `member` only. */
  layout?: 'per-target';
  /** The target this member branch holds, or `_shared` (records of no target). */
  member?: string;
  kind: 'ledger';
  created: string;
  tool: { name: string; version: string };
  /** Set by the commit that brought a format-1 ledger to format 2 (`driftctl migrate`). */
  migrated?: { from: number; time: string; tool: { name: string; version: string } };
}

export interface SnapshotRecord {
  format: 1;
  kind: 'snapshot';
  chain?: ChainRef;
  id: string;
  target: string;
  time: string;
  /** Id of the target manifest tree this snapshot observed (also `targets/<t>/latest` at its commit). */
  tree: string;
  sources: { name: string; kind: string; entries: number; errors: number }[];
  errors: EntryError[];
  tool: { name: string; version: string };
}

/** Who did something: a git identity. */
export interface Person {
  name: string;
  email: string;
}

/** `Name <email>`, as git writes an identity (trailers, head.json, alerts, views). */
export function personLine(person: Person): string {
  return `${person.name} <${person.email}>`;
}

export interface AcceptRecord {
  format: 1;
  kind: 'accept';
  chain?: ChainRef;
  id: string;
  target: string;
  time: string;
  by: Person;
  reason: string;
  scope: 'all' | 'keys';
  keys: string[];
  snapshot: { id: string | null; tree: string };
  baseline: { before: string | null; after: string };
  changes: Change[];
  tool: { name: string; version: string };
}

export type LedgerRecord = SnapshotRecord | DriftReport | AcceptRecord;
export type { DriftReport, SeverityConfig };

/** Canonical bytes of a record after checking it against its schema; a failure is a bug, not user error. */
export function encodeRecord(schema: SchemaName, record: object): Buffer {
  const issues = validateAgainst(schema, record);
  if (issues.length > 0) {
    throw new DriftError('RECORD_INVALID', `internal error: ${schema} record fails its schema: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`, {
      data: { schema, issues },
    });
  }
  return Buffer.from(canonicalJson(record));
}

/** `targets/<target>/head.json`: where the target's latest snapshot, report and baseline are. */
export interface TargetHead {
  format: 1;
  kind: 'head';
  target: string;
  snapshot: { id: string; time: string; tree: string; entries: number; errors: number } | null;
  report: { id: string; time: string; status: 'clean' | 'drift'; highest: string; total: number } | null;
  baseline: { accept: string; time: string; tree: string; by: string } | null;
  /** Reports recorded so far (optional: ledgers from before it existed lack it). */
  checks?: number;
}

export function emptyHead(target: string): TargetHead {
  return { format: 1, kind: 'head', target, snapshot: null, report: null, baseline: null, checks: 0 };
}

/** An open alert as kept in `targets/<t>/alerts.json` (see alerts/lifecycle.ts). */
export interface OpenAlert {
  id: string;
  fingerprint: string;
  target: string;
  source: string;
  class: string;
  severity: Severity;
  openedAt: string;
  updatedAt: string;
  /** Hash of the changes as a notification would describe them. */
  contentHash: string;
  changes: number;
  lastNotifiedAt: string;
  lastNotifiedHash: string;
  reportId: string | null;
  /**
   * Channels told that this alert is open, with the severity each was last told. They hear its
   * resolution whatever their min_severity, and hear once when it drops below their threshold.
   * Absent in alerts.json written before 0.2.1 (resolutions then go by min_severity alone).
   */
  notifiedChannels?: Record<string, Severity>;
}

/** `targets/<t>/alerts.json`: the open alerts of a target and the report last evaluated. */
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
  chain?: ChainRef;
  id: string;
  alert: string;
  fingerprint: string;
  target: string;
  source: string;
  class: string;
  event: AlertEventName;
  time: string;
  /** When the alert was opened (equal to `time` for an `opened` event). */
  openedAt: string;
  severity: Severity;
  summary: { total: number; added: number; removed: number; changed: number };
  changes: Change[];
  report: string | null;
  reason: AlertReason | null;
  notified: string[];
  tool: { name: string; version: string };
}

/**
 * Why an alert event happened: a resolution (the drift is gone, accepted, waived, fixed by a
 * remediation command, or restored from captured content), or an update saying remediation failed.
 */
export type AlertReason = 'drift-gone' | 'accepted' | 'waived' | 'remediated' | 'restored' | 'remediation-failed';

/** A notification waiting in `outbox/` for delivery. */
export interface OutboxEntry {
  format: 1;
  kind: 'outbox';
  id: string;
  channel: string;
  channelKind: ChannelKind;
  subject: string;
  body: string;
  text?: string;
  created: string;
  attempts: number;
  lastError: string;
}

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
