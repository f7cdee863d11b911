import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { TEST_ENV, type CliRun, type TempRepo } from './repo.js';

/**
 * Helpers for the end-to-end CLI tests: run a test body against a temporary repository that is
 * always removed, assert exit codes with the command's stderr in the failure message, and read
 * the ledger back with plain git (never through driftctl's own code).
 */

export const RECORD_ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;
export const LEDGER = 'drift-ledger';

/** Wraps a test body: builds the repo, runs the body, removes the repo whatever happens. */
export function inRepo(make: () => TempRepo | Promise<TempRepo>, body: (repo: TempRepo) => Promise<void>): () => Promise<void> {
  return async () => {
    const repo = await make();
    const started = Date.now();
    try {
      await body(repo);
    } finally {
      repo.cleanup();
      if (process.env.E2E_TIMING) process.stderr.write(`  [${Date.now() - started} ms] ${body.name || ''}\n`);
    }
  };
}

/** Asserts the exit code, showing what the command printed when it differs. */
export function expectCode(run: CliRun, code: number, what = 'command'): void {
  assert.is(run.code, code, `${what}: exit ${run.code}, expected ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
}

/** Parses stdout as exactly one JSON document (JSON.parse rejects two concatenated documents). */
export function oneJson<T = any>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (error) {
    assert.unreachable(`stdout is not exactly one JSON document (${(error as Error).message}):\n${run.stdout}\nstderr: ${run.stderr}`);
    throw error;
  }
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A git command in the repo that may fail: exit status and output, never throws. */
export function tryGit(repo: TempRepo, ...args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync('git', args, { cwd: repo.dir, env: TEST_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { status: e.status ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export function ledgerTip(repo: TempRepo): string | undefined {
  const r = tryGit(repo, 'rev-parse', '--verify', '-q', `refs/heads/${LEDGER}`);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function commitCount(repo: TempRepo): number {
  return Number(repo.git('rev-list', '--count', LEDGER).trim());
}

export interface LedgerCommit {
  oid: string;
  parents: string[];
  subject: string;
  trailers: Record<string, string>;
  /** Every `Drift-Kind` of the commit: one per operation (a check commit holds several). */
  kinds: string[];
  /** Every `Drift-Record` of the commit, in order. */
  records: string[];
  /** The subject of each operation: the commit subject, then the body lines of a grouped commit. */
  subjects: string[];
}

/** `git log` of the ledger branch, newest first, with trailers parsed from the commit bodies. */
export function ledgerLog(repo: TempRepo, ref = LEDGER): LedgerCommit[] {
  const out = repo.git('log', ref, '--format=%H%x00%P%x00%s%x00%(trailers:only,unfold)%x00%b%x1e');
  return out
    .split('\x1e')
    .map((chunk) => chunk.replace(/^\n/, ''))
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const [oid, parents, subject, trailerText, body] = chunk.split('\x00');
      const trailers: Record<string, string> = {};
      const kinds: string[] = [];
      const records: string[] = [];
      for (const line of trailerText.split('\n')) {
        const kind = /^Drift-Kind: (.*)$/.exec(line);
        if (kind) kinds.push(kind[1]);
        const record = /^Drift-Record: (.*)$/.exec(line);
        if (record) records.push(record[1]);
        const m = /^([A-Za-z-]+): (.*)$/.exec(line);
        // A grouped commit (one check) repeats keys per operation: the first names the commit.
        if (m) trailers[m[1]] ??= m[2];
      }
      const paragraphs = (body ?? '').trim().split(/\n\s*\n/);
      const subjects = [subject, ...(paragraphs.length > 1 ? paragraphs[0].split('\n').filter(Boolean) : [])];
      return { oid, parents: parents.split(' ').filter(Boolean), subject, trailers, kinds, records, subjects };
    });
}

/** Every path on the ledger branch (or a sub-tree of it). */
export function ledgerPaths(repo: TempRepo, ref = LEDGER): string[] {
  return repo.git('ls-tree', '-r', '-z', '--name-only', ref).split('\0').filter(Boolean);
}

/** The path of a record on the ledger, found by listing the branch. */
export function recordPathOf(repo: TempRepo, id: string, kind: 'snapshot' | 'report' | 'accept'): string {
  const found = ledgerPaths(repo).filter((p) => p.endsWith(`/${id}.${kind}.json`));
  assert.is(found.length, 1, `record ${id}.${kind}.json on the ledger: ${found.join(', ') || 'none'}`);
  return found[0];
}

export function showJson<T = any>(repo: TempRepo, filepath: string, ref = LEDGER): T {
  return JSON.parse(repo.git('show', `${ref}:${filepath}`)) as T;
}

export function revParse(repo: TempRepo, rev: string): string {
  return repo.git('rev-parse', rev).trim();
}

/** Blobs by object id, read with one `git cat-file --batch`. */
export function readBlobs(repo: TempRepo, oids: string[]): Buffer[] {
  if (oids.length === 0) return [];
  const out = execFileSync('git', ['cat-file', '--batch'], { cwd: repo.dir, env: TEST_ENV, input: `${oids.join('\n')}\n`, maxBuffer: 1 << 30 });
  const blobs: Buffer[] = [];
  let at = 0;
  for (const oid of oids) {
    const eol = out.indexOf(0x0a, at);
    const [got, type, size] = out.toString('utf8', at, eol).split(' ');
    assert.equal([got, type], [oid, 'blob'], `git cat-file --batch ${oid}`);
    blobs.push(out.subarray(eol + 1, eol + 1 + Number(size)));
    at = eol + 1 + Number(size) + 1;
  }
  return blobs;
}

/** Every entry of a target's manifest (`latest` or `baseline`) as stored on the branch, by "source:key". */
export function manifestEntries(repo: TempRepo, which: 'latest' | 'baseline', target = 'default', ref = LEDGER): Map<string, any> {
  const root = `${ref}:targets/${target}/${which}`;
  const listing = repo
    .git('ls-tree', '-r', '-z', root)
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, file] = line.split('\t');
      return { oid: meta.split(' ')[2], file };
    })
    .filter(({ file }) => !/(^|\/)@blob\.[0-9a-f]{40}$/.test(file)); // captured content, not entries
  const blobs = readBlobs(repo, listing.map((l) => l.oid));
  const out = new Map<string, any>();
  listing.forEach(({ file }, i) => {
    const parts = file.split('/');
    const shard = parts.pop() as string;
    assert.match(shard, /^@([0-9a-f]{2})?\.json$/, `shard name ${file}`);
    const source = parts.shift() as string;
    const dir = parts.map((p) => (p.startsWith('@') ? p.slice(1) : p)).join('/');
    const doc = JSON.parse(blobs[i].toString('utf8')) as { entries: Record<string, unknown> };
    for (const [name, entry] of Object.entries(doc.entries)) out.set(`${source}:${dir ? `${dir}/` : ''}${name}`, entry);
  });
  return out;
}

/** What driftctl must never touch: HEAD, the index and the work tree, as git sees them. */
export function userState(repo: TempRepo): { head: string; symbolic: string; index: string; status: string; refs: string } {
  return {
    head: tryGit(repo, 'rev-parse', '--verify', '-q', 'HEAD').stdout.trim(),
    symbolic: tryGit(repo, 'symbolic-ref', 'HEAD').stdout.trim(),
    index: repo.git('ls-files', '--stage'),
    status: repo.git('status', '--porcelain=v1', '-uall'),
    refs: repo
      .git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/')
      .split('\n')
      .filter((line) => !line.startsWith(`refs/heads/${LEDGER} `))
      .join('\n'),
  };
}

/** `git fsck --full --strict` must pass; dangling objects are fine, anything else is not. */
export function assertFsckClean(repo: TempRepo, when: string): void {
  const r = tryGit(repo, 'fsck', '--full', '--strict', '--no-progress');
  const bad = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^dangling /.test(line) && !/^notice: HEAD points to an unborn branch/.test(line) && !/^Checking /.test(line));
  assert.is(r.status, 0, `git fsck ${when}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.equal(bad, [], `git fsck ${when} reported problems`);
}

/**
 * The tip of the ledger is a complete state: head.json points at records that exist, and its
 * trees are the `latest` and `baseline` trees of the same commit. Returns head.json.
 */
export function assertLedgerConsistent(repo: TempRepo, when: string, target = 'default'): any {
  assert.is(repo.git('cat-file', '-t', LEDGER).trim(), 'commit', `${when}: ledger tip is a commit`);
  const head = showJson(repo, `targets/${target}/head.json`);
  assert.is(head.kind, 'head', when);
  assert.ok(head.snapshot && head.baseline, `${when}: head.json has a snapshot and a baseline`);
  assert.is(revParse(repo, `${LEDGER}:targets/${target}/latest`), head.snapshot.tree, `${when}: latest tree = head.snapshot.tree`);
  assert.is(revParse(repo, `${LEDGER}:targets/${target}/baseline`), head.baseline.tree, `${when}: baseline tree = head.baseline.tree`);
  const records = ledgerPaths(repo, `${LEDGER}:targets/${target}/records`);
  const record = (id: string, kind: string): any => {
    const found = records.filter((p) => p.endsWith(`/${id}.${kind}.json`));
    assert.is(found.length, 1, `${when}: record ${id}.${kind}.json`);
    return showJson(repo, `targets/${target}/records/${found[0]}`);
  };
  const snapshot = record(head.snapshot.id, 'snapshot');
  assert.is(snapshot.tree, head.snapshot.tree, `${when}: snapshot record tree`);
  const accept = record(head.baseline.accept, 'accept');
  assert.is(accept.baseline.after, head.baseline.tree, `${when}: accept record baseline`);
  if (head.report) {
    const report = record(head.report.id, 'report');
    assert.is(report.status, head.report.status, `${when}: report status`);
    assert.is(report.summary.total, head.report.total, `${when}: report total`);
  }
  const entries = manifestEntries(repo, 'latest', target);
  assert.is(entries.size, head.snapshot.entries, `${when}: latest manifest has head.snapshot.entries entries`);
  return head;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export { spawnCliWith } from './repo.js';
