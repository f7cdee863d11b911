import { indexedHistory, type IndexedCommit } from './commit-index.js';
import type { Ledger } from './ledger.js';
import { trailerLines } from './layout.js';

export interface HistoryEntry {
  commit: IndexedCommit;
  /** Committer time in milliseconds. */
  time: number;
  kind: string;
  target: string | null;
  records: string[];
  trailers: Record<string, string>;
}

/**
 * Ledger commits newest first, with their trailers parsed, back to `sinceMs` (commit time) or
 * `limit` entries. A commit that groups several operations (a check: snapshot, report, alert
 * events, outbox; see ledger/FORMAT.md "Commits") yields one entry per operation, newest
 * operation first. Reads the commit index (see ledger/commit-index.ts), never trees.
 */
export async function readHistory(ledger: Ledger, tip: string, options: { sinceMs?: number; limit?: number; warn?: (message: string) => void } = {}): Promise<HistoryEntry[]> {
  const commits = await indexedHistory(ledger.store, ledger.branch, tip, options.warn);
  const out: HistoryEntry[] = [];
  for (let i = commits.length - 1; i >= 0; i--) {
    const commit = commits[i];
    const time = commit.time * 1000;
    if (options.sinceMs !== undefined && time < options.sinceMs) break;
    for (const part of describeCommitParts(commit).reverse()) {
      out.push(part);
      if (options.limit !== undefined && out.length >= options.limit) return out;
    }
  }
  return out;
}

/** The commit's primary operation (the first `Drift-Kind` trailer), as one history entry. */
export function describeCommit(commit: IndexedCommit): HistoryEntry {
  if (commit.parts) {
    const parts = describeCommitParts(commit);
    return parts.find((p) => p.kind === 'accept') ?? parts[0];
  }
  const trailers = commit.trailers;
  return {
    commit,
    time: commit.time * 1000,
    kind: trailers['Drift-Kind'] ?? 'other',
    target: trailers['Drift-Target'] ?? null,
    records: commit.records,
    trailers,
  };
}

/** Operations in the order they happened within a commit (a check's snapshot before its report). */
const PART_ORDER = ['ledger', 'snapshot', 'report', 'heartbeat', 'accept', 'alert', 'outbox'];

/**
 * Every operation a commit records, oldest first. A commit with one `Drift-Kind` trailer is one
 * operation with all its trailers (format 1 and single-operation commits); a grouped commit's
 * trailer paragraph is a sequence of parts, each starting at its `Drift-Kind` line and holding that
 * operation's own trailers (`Drift-Target`, `Drift-Record`, `Drift-Status`, …).
 */
export function describeCommitParts(commit: IndexedCommit): HistoryEntry[] {
  if (commit.parts) {
    // A forge's squash of an accept pull request: described by the records it adds.
    return commit.parts.map((p) => ({ commit, time: commit.time * 1000, kind: p.kind, target: p.target, records: p.records, trailers: { 'Drift-Kind': p.kind, 'Drift-Target': p.target } }));
  }
  const lines = trailerLines(commit.message);
  if (lines.filter(([key]) => key === 'Drift-Kind').length <= 1) return [describeCommit(commit)];
  const parts: { trailers: Record<string, string>; records: string[] }[] = [];
  for (const [key, value] of lines) {
    if (key === 'Drift-Kind') parts.push({ trailers: {}, records: [] });
    const part = parts[parts.length - 1];
    if (!part) continue;
    part.trailers[key] ??= value;
    if (key === 'Drift-Record') part.records.push(value);
  }
  const rank = (kind: string): number => (PART_ORDER.includes(kind) ? PART_ORDER.indexOf(kind) : PART_ORDER.length);
  return parts
    .map((p) => ({ commit, time: commit.time * 1000, kind: p.trailers['Drift-Kind'] ?? 'other', target: p.trailers['Drift-Target'] ?? null, records: p.records, trailers: p.trailers }))
    .sort((a, b) => rank(a.kind) - rank(b.kind));
}
