import { Ledger } from '../ledger/ledger.js';
import type { CommitInfo } from '../ledger/git-store.js';
import { trailerValues } from '../ledger/layout.js';

export interface HistoryEntry {
  commit: CommitInfo;
  time: number;
  kind: string;
  target: string | null;
  records: string[];
  trailers: Record<string, string>;
}

/**
 * Ledger commits newest first, with their trailers parsed, back to `sinceMs` (commit time) or
 * `limit` entries. Reads commits only, never trees.
 */
export async function readHistory(ledger: Ledger, tip: string, options: { sinceMs?: number; limit?: number } = {}): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  let depth = 64;
  for (;;) {
    const commits = await ledger.store.log(tip, depth);
    out.length = 0;
    let reachedEnd = commits.length < depth;
    for (const commit of commits) {
      const time = commit.committer.timestamp * 1000;
      if (options.sinceMs !== undefined && time < options.sinceMs) {
        reachedEnd = true;
        break;
      }
      const { trailers } = Ledger.describe(commit.message);
      out.push({ commit, time, kind: trailers['Drift-Kind'] ?? 'other', target: trailers['Drift-Target'] ?? null, records: trailerValues(commit.message, 'Drift-Record'), trailers });
      if (options.limit !== undefined && out.length >= options.limit) return out;
    }
    if (reachedEnd) return out;
    depth *= 4;
  }
}
