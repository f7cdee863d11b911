import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CommitInfo, GitStore } from './git-store.js';
import { parseTrailers, trailerValues } from './layout.js';
import { writeFileAtomic } from '../write-atomic.js';

/**
 * A local index of the ledger's commits (oid, parents, times, author, message), kept under
 * `<gitdir>/driftctl/commit-index/`, outside the branch. Reading 10,000 commits through
 * isomorphic-git takes seconds; the index makes history queries read only the commits added since
 * the last query. It follows first parents (the ledger's history is linear), is rebuilt when the
 * branch no longer contains its tip, and is only a cache: deleting it loses nothing. The file
 * carries the sha256 of its commits' JSON; one that fails it (a changed character could hide a
 * report from `log`) is discarded and rebuilt from the commits, with a warning.
 */
export interface IndexedCommit {
  oid: string;
  parents: string[];
  /** Committer time, seconds since the epoch. */
  time: number;
  author: { name: string; email: string; timestamp: number };
  message: string;
  /** The message's trailers (first value per key) and every `Drift-Record`, parsed once when indexed. */
  trailers: Record<string, string>;
  records: string[];
}

interface IndexFile {
  version: 3;
  /** Oldest first. */
  commits: IndexedCommit[];
  /** sha256 of `JSON.stringify(commits)`. */
  checksum: string;
}

function checksumOf(commits: unknown): string {
  return createHash('sha256').update(JSON.stringify(commits) ?? '').digest('hex');
}

export async function indexedHistory(store: GitStore, branch: string, tip: string, warn?: (message: string) => void): Promise<IndexedCommit[]> {
  const file = path.join(store.gitdir, 'driftctl', 'commit-index', `${branch.replace(/\//g, '%2F')}.json`);
  let commits: IndexedCommit[] = [];
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no index yet
  }
  if (text !== undefined) {
    let data: Partial<IndexFile> | undefined;
    try {
      data = JSON.parse(text) as Partial<IndexFile>;
    } catch {
      data = undefined;
    }
    if (data?.version === 3 && Array.isArray(data.commits) && data.checksum === checksumOf(data.commits)) commits = data.commits;
    else if (data === undefined || data.version === 3) warn?.(`commit index ${file} is damaged (checksum mismatch): discarded, and rebuilt from the ledger's commits`);
  }
  const position = new Map(commits.map((c, i) => [c.oid, i]));
  const fresh: IndexedCommit[] = [];
  let cursor: string | undefined = tip;
  // Without an index, isomorphic-git's own walk is faster than reading commits one by one.
  const walked = commits.length === 0 ? await store.log(tip) : undefined;
  let next = 0;
  while (cursor !== undefined && !position.has(cursor)) {
    const commit: CommitInfo = walked?.[next]?.oid === cursor ? walked[next++] : await store.readCommit(cursor);
    fresh.push({
      oid: commit.oid,
      parents: commit.parents,
      time: commit.committer.timestamp,
      author: { name: commit.author.name, email: commit.author.email, timestamp: commit.author.timestamp },
      message: commit.message,
      trailers: parseTrailers(commit.message),
      records: trailerValues(commit.message, 'Drift-Record'),
    });
    cursor = commit.parents[0];
  }
  // Keep the indexed commits up to where the new ones join (all of them if nothing was found).
  const kept = cursor === undefined ? [] : commits.slice(0, (position.get(cursor) as number) + 1);
  const all = [...kept, ...fresh.reverse()];
  if (fresh.length > 0 || kept.length !== commits.length) {
    writeFileAtomic(file, JSON.stringify({ version: 3, commits: all, checksum: checksumOf(all) } satisfies IndexFile));
  }
  return all;
}
