import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CommitInfo, GitStore } from './git-store.js';
import { parseTrailers, trailerValues } from './layout.js';
import { writeFileAtomic } from '../write-atomic.js';
import { memberBranch, viewMembers } from './ledger-set.js';

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
  /**
   * A commit driftctl did not write (no `Drift-Kind`: a forge's squash of an accept pull request)
   * is described by the records it adds: one part per kind and target (see derivedParts).
   */
  parts?: { kind: string; target: string; records: string[] }[];
}

interface IndexFile {
  version: 4;
  /** Oldest first. */
  commits: IndexedCommit[];
  /** sha256 of `JSON.stringify(commits)`. */
  checksum: string;
}

function checksumOf(commits: unknown): string {
  return createHash('sha256').update(JSON.stringify(commits) ?? '').digest('hex');
}

export async function indexedHistory(store: GitStore, branch: string, tip: string, warn?: (message: string) => void): Promise<IndexedCommit[]> {
  // A ledger set's view (src/ledger/ledger-set.ts): each member's history, merged by time.
  const members = viewMembers(await store.readCommit(tip));
  if (members) return mergeHistories(await Promise.all(members.map((m) => indexedHistory(store, memberBranch(branch, m.name), m.tip, warn))));
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
    if (data?.version === 4 && Array.isArray(data.commits) && data.checksum === checksumOf(data.commits)) commits = data.commits;
    else if (data === undefined || data.version === 4) warn?.(`commit index ${file} is damaged (checksum mismatch): discarded, and rebuilt from the ledger's commits`);
  }
  const position = new Map(commits.map((c, i) => [c.oid, i]));
  const fresh: IndexedCommit[] = [];
  let cursor: string | undefined = tip;
  // Without an index, isomorphic-git's own walk is faster than reading commits one by one.
  const walked = commits.length === 0 ? await store.log(tip) : undefined;
  let next = 0;
  const describe = async (commit: CommitInfo): Promise<IndexedCommit> => {
    const trailers = parseTrailers(commit.message);
    const parts = trailers['Drift-Kind'] === undefined && commit.parents.length === 1 ? await derivedParts(store, commit) : [];
    return {
      oid: commit.oid,
      parents: commit.parents,
      time: commit.committer.timestamp,
      author: { name: commit.author.name, email: commit.author.email, timestamp: commit.author.timestamp },
      message: commit.message,
      trailers,
      records: parts.length > 0 ? parts.flatMap((p) => p.records) : trailerValues(commit.message, 'Drift-Record'),
      ...(parts.length > 0 ? { parts } : {}),
    };
  };
  while (cursor !== undefined && !position.has(cursor)) {
    const commit: CommitInfo = walked?.[next]?.oid === cursor ? walked[next++] : await store.readCommit(cursor);
    fresh.push(await describe(commit));
    // A merge commit (an accept pull request merged with a merge commit): the commits it brings
    // in are indexed just before it, so `log` and `blame` see the accept, its author and reason.
    for (const side of commit.parents.slice(1)) {
      for (const brought of await sideCommits(store, commit.parents[0], side)) fresh.push(await describe(brought));
    }
    cursor = commit.parents[0];
  }
  // Keep the indexed commits up to where the new ones join (all of them if nothing was found).
  const kept = cursor === undefined ? [] : commits.slice(0, (position.get(cursor) as number) + 1);
  const all = [...kept, ...fresh.reverse()];
  if (fresh.length > 0 || kept.length !== commits.length) {
    writeFileAtomic(file, JSON.stringify({ version: 4, commits: all, checksum: checksumOf(all) } satisfies IndexFile));
  }
  return all;
}

/**
 * Member histories (each oldest first) as one, oldest first: a k-way merge by committer time that
 * keeps each member's own order; a commit several members share (the history before a
 * `migrate --layout per-target`) appears once.
 */
function mergeHistories(lists: IndexedCommit[][]): IndexedCommit[] {
  const out: IndexedCommit[] = [];
  const seen = new Set<string>();
  const at = lists.map(() => 0);
  for (;;) {
    let pick = -1;
    for (let i = 0; i < lists.length; i++) {
      while (at[i] < lists[i].length && seen.has(lists[i][at[i]].oid)) at[i]++;
      if (at[i] < lists[i].length && (pick < 0 || lists[i][at[i]].time < lists[pick][at[pick]].time)) pick = i;
    }
    if (pick < 0) return out;
    const commit = lists[pick][at[pick]++];
    seen.add(commit.oid);
    out.push(commit);
  }
}

/** Commits on `side`'s first-parent chain down to the first one `main` contains, newest first (at most 1,000). */
async function sideCommits(store: GitStore, main: string, side: string): Promise<CommitInfo[]> {
  const out: CommitInfo[] = [];
  let cursor: string | undefined = side;
  while (cursor !== undefined && out.length < 1000 && !(await store.isAncestor(cursor, main))) {
    const commit = await store.readCommit(cursor);
    out.push(commit);
    cursor = commit.parents[0];
  }
  return out;
}

/** The records a commit adds (compared with its parent), grouped by kind and target, in kind order. */
export async function derivedParts(store: GitStore, commit: CommitInfo): Promise<{ kind: string; target: string; records: string[] }[]> {
  const parent = await store.readCommit(commit.parents[0]);
  const added: string[] = [];
  const walk = async (before: string | undefined, after: string, prefix: string, depth: number): Promise<void> => {
    if (before === after) return;
    const old = new Map(before ? (await store.readTree(before)).map((e) => [e.name, e.oid]) : []);
    for (const entry of await store.readTree(after)) {
      if (old.get(entry.name) === entry.oid) continue;
      const at = `${prefix}${entry.name}`;
      // targets/<t>/records/… only
      if (depth === 0 && entry.name !== 'targets') continue;
      if (depth === 2 && entry.name !== 'records') continue;
      if (entry.type === 'tree') await walk(old.get(entry.name), entry.oid, `${at}/`, depth + 1);
      else if (depth > 2) added.push(at);
    }
  };
  await walk(parent.tree, commit.tree, '', 0);
  const order = ['snapshot', 'report', 'accept', 'alert'];
  const parts = new Map<string, { kind: string; target: string; records: string[] }>();
  for (const file of added.sort()) {
    const m = /^targets\/([^/]+)\/records\/.*\/([^/]+)\.(snapshot|report|accept|alert)\.json$/.exec(file);
    if (!m) continue;
    const key = `${m[3]}\u0000${m[1]}`;
    const part = parts.get(key) ?? { kind: m[3], target: m[1], records: [] };
    part.records.push(m[2]);
    parts.set(key, part);
  }
  return [...parts.values()].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}
