import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ManifestEntry, TargetManifest } from '../../src/drift/manifest.js';
import { encodeTree, objectId } from '../../src/ledger/git-objects.js';
import { parseTreeObject } from '../../src/ledger/git-objects.js';
import { buildManifest, diffManifests, readManifest, SHARD_LIMIT, type BuiltManifest, type ObjectReader } from '../../src/ledger/manifest-tree.js';
import { makeRepo } from '../helpers/repo.js';

const file = (n: number): ManifestEntry => ({ type: 'file', sha256: n.toString(16).padStart(64, '0'), size: n, mode: '644' });

function manifestOf(entries: Record<string, ManifestEntry>, source = 'files'): TargetManifest {
  return new Map([[source, new Map(Object.entries(entries))]]);
}

/** An in-memory reader over built manifests that counts what it reads. */
function readerOver(...built: BuiltManifest[]): ObjectReader & { reads: number } {
  const reader = {
    reads: 0,
    async readTree(oid: string) {
      reader.reads++;
      for (const b of built) {
        const o = b.objects.get(oid);
        if (o) return parseTreeObject(o.content);
      }
      throw new Error(`missing tree ${oid}`);
    },
    async readBlob(oid: string) {
      reader.reads++;
      for (const b of built) {
        const o = b.objects.get(oid);
        if (o) return o.content;
      }
      throw new Error(`missing blob ${oid}`);
    },
  };
  return reader;
}

test('tree and blob ids agree with git', () => {
  const repo = makeRepo();
  try {
    const blob = Buffer.from('hello\n');
    const gitBlob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: blob, encoding: 'utf8' }).trim();
    assert.is(objectId('blob', blob), gitBlob);
    const tree = encodeTree([
      { mode: '100644', name: 'b.txt', oid: gitBlob },
      { mode: '040000', name: 'a', oid: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' },
      { mode: '100644', name: 'a.txt', oid: gitBlob },
    ]);
    const mktree = execFileSync('git', ['mktree', '--missing'], {
      cwd: repo.dir,
      input: `100644 blob ${gitBlob}\tb.txt\n040000 tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ta\n100644 blob ${gitBlob}\ta.txt\n`,
      encoding: 'utf8',
    }).trim();
    assert.is(objectId('tree', tree), mktree);
  } finally {
    repo.cleanup();
  }
});

test('a manifest round-trips, including "@" directories and bucketed shards', async () => {
  const entries: Record<string, ManifestEntry> = { 'top.txt': file(1), '@scope/pkg/index.js': file(2), 'a/b/c.txt': file(3) };
  for (let i = 0; i < SHARD_LIMIT + 5; i++) entries[`big/f${i}.txt`] = file(100 + i);
  const built = buildManifest(manifestOf(entries));
  const back = await readManifest(readerOver(built), built.oid);
  assert.equal(Object.fromEntries(back.get('files') ?? []), entries);
});

test('diff reports added, removed and changed entries in key order', async () => {
  const a = buildManifest(manifestOf({ 'x/1': file(1), 'x/2': file(2), 'y/3': file(3) }));
  const b = buildManifest(manifestOf({ 'x/1': file(1), 'x/2': file(20), 'z/4': file(4) }));
  const deltas = await diffManifests(readerOver(a, b), a.oid, b.oid);
  assert.equal(
    deltas.map((d) => [d.key, d.before ? 'b' : '-', d.after ? 'a' : '-']),
    [
      ['x/2', 'b', 'a'],
      ['y/3', 'b', '-'],
      ['z/4', '-', 'a'],
    ],
  );
  assert.equal(await diffManifests(readerOver(a), a.oid, a.oid), []);
});

test('diff reads only the subtrees that differ', async () => {
  const entries: Record<string, ManifestEntry> = {};
  for (let d = 0; d < 50; d++) for (let f = 0; f < 20; f++) entries[`dir${d}/sub/f${f}`] = file(d * 100 + f);
  const a = buildManifest(manifestOf(entries));
  const b = buildManifest(manifestOf({ ...entries, 'dir7/sub/f3': file(999999) }));
  const reader = readerOver(a, b);
  const deltas = await diffManifests(reader, a.oid, b.oid);
  assert.is(deltas.length, 1);
  assert.is(deltas[0].key, 'dir7/sub/f3');
  // root, source, dir7, sub on each side, plus the two differing shards: far below the 50 directories.
  assert.ok(reader.reads <= 10, `read ${reader.reads} objects`);
});

test('crossing the shard limit changes bucketing without inventing changes', async () => {
  const small: Record<string, ManifestEntry> = {};
  for (let i = 0; i < SHARD_LIMIT; i++) small[`d/f${i}`] = file(i + 1);
  const big = { ...small, 'd/extra': file(424242) };
  const a = buildManifest(manifestOf(small));
  const b = buildManifest(manifestOf(big));
  const deltas = await diffManifests(readerOver(a, b), a.oid, b.oid);
  assert.equal(deltas.map((d) => d.key), ['d/extra']);
});

test('identical content always yields the same manifest id', () => {
  const one = buildManifest(manifestOf({ 'b/x': file(1), 'a/y': file(2) }));
  const two = buildManifest(new Map([['files', new Map([['a/y', file(2)], ['b/x', file(1)]])]]));
  assert.is(one.oid, two.oid);
});

test.run();
