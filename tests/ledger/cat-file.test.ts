import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchOutputParser, CatFileReader, streamReachableObjects, type GitObject } from '../../src/ledger/cat-file.js';
import { GitStore } from '../../src/ledger/git-store.js';
import { expectCode, LEDGER } from '../helpers/e2e.js';
import { cli, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * The batched object reader (`git cat-file --batch` fed by `git rev-list --objects`) that
 * `verify` walks history with: it must return exactly the objects isomorphic-git reads, whether
 * everything arrives in the stream, the stream stops at its memory budget, or git is missing.
 */

/** A ledger with several commits: snapshots, reports with drift, an accept, alert events. */
async function ledgerRepo(): Promise<TempRepo> {
  const repo = seedProject(`version: 1
sources:
  - name: files
    kind: files
    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml"]
alerts:
  channels:
    - kind: file
      path: .drift/alerts.jsonl
`);
  const at = (t: string) => ({ DRIFTCTL_NOW: t });
  expectCode(await cli(repo.dir, ['init'], at('2026-03-01T08:00:00.000Z')), 0, 'init');
  expectCode(await cli(repo.dir, ['check'], at('2026-03-01T09:00:00.000Z')), 0, 'check 1');
  repo.write('config/models.yaml', 'models:\n  primary:\n    name: other\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-03-01T10:00:00.000Z')), 2, 'check 2');
  expectCode(await cli(repo.dir, ['accept', '--all', '--reason', 'new model'], at('2026-03-01T11:00:00.000Z')), 0, 'accept');
  repo.write('src/extra.py', 'x = 2\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-03-01T12:00:00.000Z')), 2, 'check 3');
  return repo;
}

function git(repo: TempRepo, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd: repo.dir, env: TEST_ENV, input, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
}

/** id → type for every object reachable from `revs`, as git lists them. */
function reachable(repo: TempRepo, revs: string[]): Map<string, string> {
  const oids = git(repo, ['rev-list', '--objects', '--no-object-names', ...revs]).split('\n').filter(Boolean);
  const types = git(repo, ['cat-file', '--batch-check=%(objecttype)'], `${oids.join('\n')}\n`).split('\n');
  return new Map(oids.map((oid, i) => [oid, types[i]]));
}

function stream(gitdir: string, tips: string[], exclude: string[] = []): Promise<{ objects: Map<string, GitObject>; order: string[]; complete: boolean }> {
  return new Promise((resolve) => {
    const objects = new Map<string, GitObject>();
    const order: string[] = [];
    streamReachableObjects(
      gitdir,
      tips,
      exclude,
      (oid, object) => {
        objects.set(oid, object);
        order.push(oid);
      },
      (complete) => resolve({ objects, order, complete }),
    );
  });
}

/** Every object read through the store's public reads, by type. */
async function readAll(store: GitStore, objects: Map<string, string>): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const [oid, type] of objects) {
    if (type === 'commit') out.set(oid, await store.readCommit(oid));
    else if (type === 'tree') out.set(oid, await store.readTree(oid));
    else out.set(oid, (await store.readBlob(oid)).toString('base64'));
  }
  return out;
}

async function withoutGit<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = mkdtempSync(path.join(tmpdir(), 'driftctl-no-git-'));
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

test('the stream holds every object reachable from the tip, commits first and oldest first, with the bytes git stores', async () => {
  const repo = await ledgerRepo();
  try {
    const gitdir = path.join(repo.dir, '.git');
    const expected = reachable(repo, [LEDGER]);
    const tip = git(repo, ['rev-parse', LEDGER]);
    const got = await stream(gitdir, [tip]);
    assert.ok(got.complete);
    assert.equal([...got.objects.keys()].sort(), [...expected.keys()].sort());
    const commits = git(repo, ['rev-list', '--reverse', LEDGER]).split('\n');
    assert.equal(got.order.slice(0, commits.length), commits, 'commits first, oldest first');
    for (const [oid, object] of got.objects) {
      assert.is(object.type, expected.get(oid));
      assert.is(object.content.toString('base64'), execFileSync('git', ['cat-file', object.type, oid], { cwd: repo.dir }).toString('base64'), oid);
    }
    // Only what is new since an earlier commit.
    const earlier = commits[2];
    const since = await stream(gitdir, [tip], [earlier]);
    assert.ok(since.complete);
    assert.equal([...since.objects.keys()].sort(), [...reachable(repo, [tip, `^${earlier}`]).keys()].sort());
    // An id the repository does not have: nothing, and not complete.
    const unknown = await stream(gitdir, ['0'.repeat(40)]);
    assert.is(unknown.complete, false);
    assert.is(unknown.objects.size, 0);
  } finally {
    repo.cleanup();
  }
});

test('batched reads (prefetched, past the memory budget, and without git) return what isomorphic-git reads', async () => {
  const repo = await ledgerRepo();
  try {
    const objects = reachable(repo, [LEDGER]);
    const tip = git(repo, ['rev-parse', LEDGER]);
    const plain = await readAll(GitStore.open(repo.dir), objects);

    const prefetched = GitStore.open(repo.dir);
    prefetched.beginBatchReads();
    prefetched.prefetchReachable([tip]);
    assert.equal(await readAll(prefetched, objects), plain, 'everything prefetched');
    prefetched.endBatchReads();

    const overBudget = GitStore.open(repo.dir);
    overBudget.beginBatchReads();
    overBudget.prefetchReachable([tip], [], 2000); // stops after a few objects; the rest one by one
    assert.equal(await readAll(overBudget, objects), plain, 'past the budget');
    overBudget.endBatchReads();

    const partial = GitStore.open(repo.dir);
    partial.beginBatchReads();
    partial.prefetchReachable([tip], [git(repo, ['rev-parse', `${LEDGER}~2`])]); // older objects are not in the stream
    assert.equal(await readAll(partial, objects), plain, 'objects outside the stream');
    partial.endBatchReads();

    const twice = GitStore.open(repo.dir);
    twice.beginBatchReads();
    const older = git(repo, ['rev-parse', `${LEDGER}~1`]);
    twice.prefetchReachable([older]); // as for two branches walked in one batch
    twice.prefetchReachable([tip], [older]);
    assert.equal(await readAll(twice, objects), plain, 'two streams in one batch');
    twice.endBatchReads();

    await withoutGit(async () => {
      const store = GitStore.open(repo.dir);
      store.beginBatchReads();
      store.prefetchReachable([tip]);
      assert.equal(await readAll(store, objects), plain, 'without git on PATH');
      store.endBatchReads();
    });
  } finally {
    repo.cleanup();
  }
});

test('a missing object is reported the same way with and without the batch', async () => {
  const repo = await ledgerRepo();
  try {
    const absent = 'f'.repeat(40);
    const codeOf = async (store: GitStore): Promise<string | undefined> => {
      try {
        await store.readBlob(absent);
        return undefined;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    const batched = GitStore.open(repo.dir);
    batched.beginBatchReads();
    batched.prefetchReachable([git(repo, ['rev-parse', LEDGER])]);
    assert.is(await codeOf(batched), 'LEDGER_DAMAGED');
    batched.endBatchReads();
    assert.is(await codeOf(GitStore.open(repo.dir)), 'LEDGER_DAMAGED');
    const reader = CatFileReader.start(path.join(repo.dir, '.git'));
    assert.is(await reader.read(absent), undefined);
    reader.close();
  } finally {
    repo.cleanup();
  }
});

test('the output parser splits objects at any chunk boundary', () => {
  const big = Buffer.alloc(70_000, 7);
  const objects: [string, GitObject | undefined][] = [
    ['a'.repeat(40), { type: 'blob', content: Buffer.from('{\n  "x": 1\n}\n') }],
    ['b'.repeat(40), undefined],
    ['c'.repeat(40), { type: 'tree', content: Buffer.from([0, 10, 32, 1, 2, 10]) }],
    ['d'.repeat(40), { type: 'blob', content: big }],
    ['e'.repeat(40), { type: 'blob', content: Buffer.alloc(0) }],
  ];
  const output = Buffer.concat(objects.map(([oid, o]) => (o ? Buffer.concat([Buffer.from(`${oid} ${o.type} ${o.content.length}\n`), o.content, Buffer.from('\n')]) : Buffer.from(`${oid} missing\n`))));
  for (const size of [1, 2, 7, 40, 41, 64, 4096, 65_536, output.length]) {
    const got: [string, GitObject | undefined][] = [];
    const parser = new BatchOutputParser((oid, object) => got.push([oid, object]));
    for (let i = 0; i < output.length; i += size) parser.push(output.subarray(i, i + size));
    assert.ok(parser.idle, `chunks of ${size}`);
    assert.equal(got.map(([oid, o]) => [oid, o?.type, o?.content.toString('base64')]), objects.map(([oid, o]) => [oid, o?.type, o?.content.toString('base64')]), `chunks of ${size}`);
  }
});

test.run();
