import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, LEDGER, oneJson, sha256, tryGit } from '../helpers/e2e.js';

/**
 * Trust under attack (issue 15): nothing forges a baseline, corrupts the ledger through a cache,
 * or hides a file. Every corruption case ends with `git fsck --strict` and `verify`.
 */

function git(repo: TempRepo, args: string[], input?: string | Buffer, env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd: repo.dir, env: { ...TEST_ENV, ...env }, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

/** `git fsck --strict` of the repository passes (exit 0, no error lines). */
function assertFsck(repo: TempRepo, what: string): void {
  const r = tryGit(repo, 'fsck', '--strict', '--no-progress');
  assert.is(r.status, 0, `git fsck --strict (${what}): ${r.stdout}${r.stderr}`);
}

type VerifyOut = { status: string; checks: { id: string; status: string; problems: string[] }[] };
async function verifyJson(repo: TempRepo, args: string[] = []): Promise<VerifyOut> {
  const run = await cli(repo.dir, ['verify', '--json', ...args]);
  const result = oneJson<VerifyOut>(run);
  expectCode(run, result.status === 'PASS' ? 0 : 1, 'verify');
  return result;
}
function problems(result: VerifyOut, id?: string): string {
  return result.checks.filter((c) => !id || c.id === id).flatMap((c) => c.problems).join('\n');
}
async function assertVerifyPasses(repo: TempRepo, what: string): Promise<void> {
  const result = await verifyJson(repo);
  assert.is(result.status, 'PASS', `verify (${what}):\n${problems(result)}`);
}

/** Commits files onto the ledger branch with plain git plumbing, as an attacker would. */
function plainCommit(repo: TempRepo, edit: (put: (file: string, content: string) => void, treeOf: (dir: string) => string) => void, message: string): string {
  const index = path.join(mkdtempSync(path.join(tmpdir(), 'driftctl-idx-')), 'index');
  const env = { GIT_INDEX_FILE: index };
  git(repo, ['read-tree', LEDGER], undefined, env);
  const put = (file: string, content: string): void => {
    const blob = git(repo, ['hash-object', '-w', '--stdin'], content);
    git(repo, ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], undefined, env);
  };
  const treeOf = (dir: string): string => git(repo, ['rev-parse', `${git(repo, ['write-tree'], undefined, env)}:${dir}`]);
  edit(put, treeOf);
  const tree = git(repo, ['write-tree'], undefined, env);
  const commit = git(repo, ['commit-tree', tree, '-p', LEDGER, '-m', message]);
  git(repo, ['update-ref', `refs/heads/${LEDGER}`, commit]);
  return commit;
}

function show(repo: TempRepo, file: string): any {
  return JSON.parse(git(repo, ['show', `${LEDGER}:${file}`]));
}
function canonical(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  return `${JSON.stringify(sorted(value), null, 2)}\n`;
}

/** The forgery of item 1: the baseline shard and head.json rewritten to a drifted file's state. */
function forgeBaseline(repo: TempRepo, extra?: (put: (file: string, content: string) => void, baselineTree: string) => void): void {
  const shardPath = 'targets/default/baseline/files/src/@.json';
  const content = 'print("pwned")\n';
  const shard = show(repo, shardPath);
  shard.entries['main.py'].sha256 = sha256(content);
  shard.entries['main.py'].size = Buffer.byteLength(content);
  const head = show(repo, 'targets/default/head.json');
  plainCommit(
    repo,
    (put, treeOf) => {
      put(shardPath, canonical(shard));
      const baselineTree = treeOf('targets/default/baseline');
      head.baseline.tree = baselineTree;
      put('targets/default/head.json', canonical(head));
      extra?.(put, baselineTree);
    },
    'accept default: 1 change\n\nDrift-Target: default\nDrift-Kind: accept',
  );
}

test(
  '1. a baseline forged with plain git (accept trailer only) fails verify; an accept record naming other changes fails too',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('src/main.py', 'print("pwned")\n');
    forgeBaseline(repo);
    assertFsck(repo, 'forged baseline');
    let result = await verifyJson(repo);
    assert.is(result.status, 'FAIL');
    assert.match(problems(result, 'append-only'), /baseline of target "default" changed in commit [0-9a-f]{12} with no accept record/);

    // Second forgery on a fresh ledger: an accept record that is copied from init (wrong changes, no chain link).
    git(repo, ['update-ref', '-d', `refs/heads/${LEDGER}`]);
    repo.remove('.git/driftctl');
    repo.write('src/main.py', 'print("hello")\n');
    expectCode(await cli(repo.dir, ['init']), 0, 'init again');
    repo.write('src/main.py', 'print("pwned")\n');
    const [initAccept] = git(repo, ['ls-tree', '-r', '--name-only', LEDGER]).split('\n').filter((f) => f.endsWith('.accept.json'));
    const record = show(repo, initAccept);
    const before = git(repo, ['rev-parse', `${LEDGER}:targets/default/baseline`]);
    forgeBaseline(repo, (put, baselineTree) => {
      record.id = record.id.replace(/-[0-9a-f]{6}$/, '-0f0f0f');
      record.baseline = { before, after: baselineTree };
      put(initAccept.replace(/[^/]+\.accept\.json$/, `${record.id}.accept.json`), canonical(record));
    });
    assertFsck(repo, 'forged accept');
    result = await verifyJson(repo);
    assert.is(result.status, 'FAIL');
    const found = problems(result, 'append-only');
    assert.match(found, /does not name exactly the changed entries \("files:src\/main\.py" changed but is not named\)/);
    assert.match(found, /is not the next link of the target's hash chain/);
    // A real accept of the same change passes.
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, `${LEDGER}~1`]);
    repo.write('.git/driftctl/checkpoints', '');
    expectCode(await cli(repo.dir, ['check']), 2, 'check sees the drift');
    expectCode(await cli(repo.dir, ['accept', 'src/main.py', '--reason', 'real']), 0, 'accept');
    await assertVerifyPasses(repo, 'real accept');
    assertFsck(repo, 'real accept');
  }),
);

test.run();
