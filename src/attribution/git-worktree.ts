import { execFile, spawn } from 'node:child_process';

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

function gitEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GIT_LITERAL_PATHSPECS: '1', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
}

function git(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: gitEnv(env), maxBuffer: MAX_BUFFER, encoding: 'utf8' }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/**
 * The work tree holding `dir`, or undefined: not in one, git is not installed, or the repository
 * has no commit yet (every file would be "untracked": a repository kept only for the ledger says
 * nothing about who changed what).
 */
export async function openWorkTree(dir: string, env: NodeJS.ProcessEnv): Promise<WorkTree | undefined> {
  const out = await git(['rev-parse', '--is-inside-work-tree', '--show-toplevel', 'HEAD'], dir, env);
  const [inside, top, head] = (out ?? '').split('\n');
  return inside === 'true' && top && /^[0-9a-f]{40,64}$/.test(head ?? '') ? { top, env } : undefined;
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
 * first, at most `limit` per path. One `git log` for all paths, read as it streams: it is stopped
 * as soon as every path has `limit` commits, or after `budgetMs` (then the commits found so far
 * are returned: attribution is advice, and a very old baseline must not hold a check up).
 */
export function commitsSince(tree: WorkTree, paths: string[], since: Date | undefined, limit: number, budgetMs = 2000): Promise<Map<string, CommitInfo[]>> {
  const out = new Map<string, CommitInfo[]>(paths.map((p) => [p, []]));
  if (paths.length === 0) return Promise.resolve(out);
  const args = ['log', '--no-renames', '--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s', '--name-only', '-z'];
  if (since) args.push(`--since=${since.toISOString()}`);
  let waiting = paths.length;
  const take = (record: string): void => {
    const end = record.indexOf('\0');
    if (end < 0) return;
    const [oid, author, email, time, subject] = record.slice(0, end).split('\u001f');
    const commit: CommitInfo = { oid, author, email, time: new Date(time).toISOString(), subject: subject ?? '' };
    for (const name of record.slice(end + 1).replace(/^\n/, '').split('\0')) {
      const list = out.get(name);
      if (!list || list.length >= limit) continue;
      list.push(commit);
      if (list.length === limit) waiting--;
    }
  };
  return new Promise((resolve) => {
    const child = spawn('git', [...args, 'HEAD', '--', ...paths], { cwd: tree.top, env: gitEnv(tree.env), stdio: ['ignore', 'pipe', 'ignore'] });
    let pending = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(out);
    };
    const timer = setTimeout(finish, budgetMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const records = pending.split('\u001e');
      pending = records.pop() ?? '';
      for (const record of records) take(record);
      if (waiting <= 0) finish();
    });
    child.on('error', finish);
    child.on('close', () => {
      if (!done) take(pending);
      finish();
    });
  });
}
