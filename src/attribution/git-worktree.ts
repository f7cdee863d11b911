import { execFile } from 'node:child_process';

/**
 * The git CLI as attribution reads it (the one adapter that runs `git` on the watched work tree;
 * the ledger itself is read and written through isomorphic-git only). Every call is read-only,
 * names paths literally (GIT_LITERAL_PATHSPECS) and never prompts. A failing call yields nothing:
 * attribution is advice, never a reason for a check to fail.
 */
export interface WorkTree {
  /** Absolute path of the work tree's top directory. */
  top: string;
  env: NodeJS.ProcessEnv;
}

export interface PathStates {
  /** Blob id in HEAD, in the index, and of the work-tree file (as `git add` would store it); absent when there is none. */
  head?: string;
  index?: string;
  work?: string;
}

export interface CommitInfo {
  oid: string;
  author: string;
  email: string;
  /** Author time, ISO 8601. */
  time: string;
  subject: string;
}

const MAX_BUFFER = 64 * 1024 * 1024;

function git(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const childEnv = { ...env, GIT_LITERAL_PATHSPECS: '1', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: childEnv, maxBuffer: MAX_BUFFER, encoding: 'utf8' }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/** The work tree holding `dir`, or undefined (not in one, or git is not installed). */
export async function openWorkTree(dir: string, env: NodeJS.ProcessEnv): Promise<WorkTree | undefined> {
  const out = await git(['rev-parse', '--is-inside-work-tree', '--show-toplevel'], dir, env);
  const [inside, top] = (out ?? '').split('\n');
  return inside === 'true' && top ? { top, env } : undefined;
}

/** HEAD, index and work-tree blob ids of each path (relative to the top, "/"-separated). */
export async function pathStates(tree: WorkTree, paths: string[], existing: string[]): Promise<Map<string, PathStates>> {
  const states = new Map<string, PathStates>(paths.map((p) => [p, {}]));
  if (paths.length === 0) return states;
  const [head, index, work] = await Promise.all([
    git(['ls-tree', '-r', '-z', '--full-tree', 'HEAD', '--', ...paths], tree.top, tree.env),
    git(['ls-files', '-s', '-z', '--', ...paths], tree.top, tree.env),
    existing.length > 0 ? git(['hash-object', '--', ...existing], tree.top, tree.env) : Promise.resolve(''),
  ]);
  for (const record of (head ?? '').split('\0')) {
    const m = /^\d+ blob ([0-9a-f]{40,64})\t(.*)$/s.exec(record);
    if (m) states.get(m[2]) && ((states.get(m[2]) as PathStates).head = m[1]);
  }
  for (const record of (index ?? '').split('\0')) {
    const m = /^\d+ ([0-9a-f]{40,64}) 0\t(.*)$/s.exec(record);
    if (m) states.get(m[2]) && ((states.get(m[2]) as PathStates).index = m[1]);
  }
  const oids = (work ?? '').split('\n').filter(Boolean);
  if (oids.length === existing.length) existing.forEach((p, i) => ((states.get(p) as PathStates).work = oids[i]));
  return states;
}

/**
 * Commits since `since` (committer time; the walk stops there) that touched each path, newest
 * first, at most `limit` per path. One `git log` for all paths.
 */
export async function commitsSince(tree: WorkTree, paths: string[], since: Date | undefined, limit: number): Promise<Map<string, CommitInfo[]>> {
  const out = new Map<string, CommitInfo[]>(paths.map((p) => [p, []]));
  if (paths.length === 0) return out;
  const args = ['log', '--no-renames', '--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s', '--name-only', '-z'];
  if (since) args.push(`--since=${since.toISOString()}`);
  const text = await git([...args, 'HEAD', '--', ...paths], tree.top, tree.env);
  for (const chunk of (text ?? '').split('\u001e')) {
    const end = chunk.indexOf('\0');
    if (end < 0) continue;
    const [oid, author, email, time, subject] = chunk.slice(0, end).split('\u001f');
    const commit: CommitInfo = { oid, author, email, time: new Date(time).toISOString(), subject: subject ?? '' };
    for (const name of chunk.slice(end + 1).replace(/^\n/, '').split('\0')) {
      const list = out.get(name);
      if (list && list.length < limit) list.push(commit);
    }
  }
  return out;
}
