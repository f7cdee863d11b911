import { indexedHistory, type IndexedCommit } from './commit-index.js';
import type { Ledger } from './ledger.js';

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
 * `limit` entries. Reads the commit index (see ledger/commit-index.ts), never trees.
 */
export async function readHistory(ledger: Ledger, tip: string, options: { sinceMs?: number; limit?: number; warn?: (message: string) => void } = {}): Promise<HistoryEntry[]> {
  const commits = await indexedHistory(ledger.store, ledger.branch, tip, options.warn);
  const out: HistoryEntry[] = [];
  for (let i = commits.length - 1; i >= 0; i--) {
    const commit = commits[i];
    const time = commit.time * 1000;
    if (options.sinceMs !== undefined && time < options.sinceMs) break;
    out.push(describeCommit(commit));
    if (options.limit !== undefined && out.length >= options.limit) break;
  }
  return out;
}

export function describeCommit(commit: IndexedCommit): HistoryEntry {
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
