import type { SeverityConfig } from '../drift/severity-levels.js';
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
  format: 1;
  kind: 'ledger';
  created: string;
  tool: { name: string; version: string };
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

export interface AcceptRecord {
  format: 1;
  kind: 'accept';
  chain?: ChainRef;
  id: string;
  target: string;
  time: string;
  by: { name: string; email: string };
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
