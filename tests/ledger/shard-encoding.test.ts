import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupHash, valueEntry, type ManifestEntry, type TargetManifest } from '../../src/drift/manifest.js';
import { canonicalJson } from '../../src/drift/canonical-json.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildManifest, encodeShard, SHARD_LIMIT, ShardMemo } from '../../src/ledger/manifest-tree.js';

const reference = (entries: Map<string, ManifestEntry>): string => canonicalJson({ entries: Object.fromEntries(entries) });

test('encodeShard is byte-identical to canonicalJson for every kind of entry and name', () => {
  const names = ['a.txt', 'B.txt', '10', '2', '0', '007', '4294967294', '4294967295', '1e3', '-1', 'é', '😀.md', 'quote"d', 'back\\slash', 'tab\tname', 'new\nline', '\u0001ctl', 'lone\ud800', 'z', '', 'constructor', 'toString'];
  const entries = new Map<string, ManifestEntry>();
  names.forEach((name, i) => {
    const kind = i % 5;
    if (kind === 0) entries.set(name, { type: 'file', sha256: 'ab'.repeat(32), size: i * 1000, mode: '644' });
    else if (kind === 1) entries.set(name, { type: 'symlink', target: `../${name}`, sha256: 'cd'.repeat(32), size: 3 });
    else if (kind === 2) entries.set(name, { type: 'file', mode: '755', error: 'EACCES: permission denied' });
    else if (kind === 3) entries.set(name, { type: 'symlink', error: 'ENOENT: vanished "while" reading' });
    else entries.set(name, { size: 0, type: 'file', sha256: 'ef'.repeat(32), mode: '600' });
  });
  assert.is(encodeShard(entries), reference(entries));
  assert.is(encodeShard(new Map()), reference(new Map()));
  assert.is(encodeShard(new Map([['x', {} as ManifestEntry]])), reference(new Map([['x', {} as ManifestEntry]])));
});

test('encodeShard falls back to canonicalJson for unusual entries', () => {
  const odd = new Map<string, ManifestEntry>([
    ['a', { type: 'file', sha256: undefined, size: 1 }],
    ['b', { type: 'file', extra: 'x' } as unknown as ManifestEntry],
    ['__proto__', { type: 'file', size: 2 }],
  ]);
  assert.is(encodeShard(odd), reference(odd));
  assert.throws(() => encodeShard(new Map([['n', { type: 'file', size: Number.NaN }]])));
});

test('encodeShard matches canonicalJson on random names', () => {
  let x = 12345;
  const rand = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const alphabet = ['0', '1', '9', 'a', 'Z', '.', '-', '_', 'é', '\u{1F600}', '"', ' '];
  const entries = new Map<string, ManifestEntry>();
  for (let i = 0; i < 2000; i++) {
    let name = '';
    for (let k = 1 + rand(6); k > 0; k--) name += alphabet[rand(alphabet.length)];
    entries.set(name, { type: 'file', sha256: i.toString(16).padStart(64, '0'), size: rand(100000), mode: rand(2) ? '644' : '755' });
  }
  assert.is(encodeShard(entries), reference(entries));
});

test('a shard memo yields the same manifest, and only changed shards are encoded again', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-memo-'));
  try {
    const file = (n: number): ManifestEntry => ({ type: 'file', sha256: n.toString(16).padStart(64, '0'), size: n, mode: '644' });
    const entries = new Map<string, ManifestEntry>();
    for (let i = 0; i < 50; i++) entries.set(`d${i % 5}/f${i}.txt`, file(i));
    for (let i = 0; i < SHARD_LIMIT + 3; i++) entries.set(`big/g${i}`, file(1000 + i));
    const manifest: TargetManifest = new Map([['files', entries]]);
    const plain = buildManifest(manifest);
    const memoFile = path.join(dir, 'shards.memo');
    const first = ShardMemo.load(memoFile);
    assert.is(buildManifest(manifest, first).oid, plain.oid);
    first.save(memoFile);

    // Built again from the same entries: the memo file already says it all and is not rewritten.
    const inode = statSync(memoFile).ino;
    const same = ShardMemo.load(memoFile);
    assert.is(buildManifest(manifest, same).oid, plain.oid);
    same.save(memoFile);
    assert.is(statSync(memoFile).ino, inode, 'an unchanged memo is left in place');

    entries.set('d1/f1.txt', file(99999));
    const changed = buildManifest(new Map([['files', entries]]));
    const second = buildManifest(new Map([['files', entries]]), ShardMemo.load(memoFile));
    assert.is(second.oid, changed.oid);
    assert.equal([...second.objects.keys()].sort(), [...changed.objects.keys()].sort());
    for (const [oid, object] of changed.objects) assert.ok(second.objects.get(oid)?.content.equals(object.content), oid);

    // A changed build is saved (the changed shard's fingerprint replaces the old one), and a damaged memo is rewritten.
    const memo = ShardMemo.load(memoFile);
    buildManifest(new Map([['files', entries]]), memo);
    memo.save(memoFile);
    assert.is.not(statSync(memoFile).ino, inode, 'a changed memo is replaced');
    writeFileSync(memoFile, readFileSync(memoFile, 'utf8').replace(/checksum [0-9a-f]+/, `checksum ${'0'.repeat(64)}`));
    const damaged = ShardMemo.load(memoFile);
    buildManifest(new Map([['files', entries]]), damaged);
    damaged.save(memoFile);
    const repaired = ShardMemo.load(memoFile, (message) => assert.unreachable(message));
    assert.is(buildManifest(new Map([['files', entries]]), repaired).oid, changed.oid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('structured, group, pair and metrics entries are memoised too: content and files through their sha256', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-memo-'));
  try {
    const build = (reading: number, name: string) =>
      new Map([
        [
          'mixed',
          new Map<string, ManifestEntry>([
            ['config/models.yaml', { ...valueEntry({ models: { primary: { name } } }), type: 'file', mode: '644' }],
            ['addons/qr', { type: 'dir', sha256: groupHash({ 'a.py': 'a'.repeat(64) }), files: { 'a.py': 'a'.repeat(64) } }],
            ['aws_s3_bucket.logs', valueEntry({ actions: ['delete'], before: { bucket: 'logs' }, after: null }, { pair: true })],
            ['cpu_percent > 80', { ...valueEntry({ metric: 'cpu_percent' }, { severity: 'high', rule: 'cpu_percent > 80' }), reading }],
          ]),
        ],
      ]) as TargetManifest;
    const memoFile = path.join(dir, 'shards.memo');
    const first = ShardMemo.load(memoFile);
    assert.is(buildManifest(build(91, 'gpt-4o'), first).oid, buildManifest(build(91, 'gpt-4o')).oid);
    first.save(memoFile);
    assert.ok(readFileSync(memoFile, 'utf8').trim().split('\n').length > 1, 'the structured shards have fingerprints');
    for (const [reading, name] of [[91, 'gpt-4o'], [95, 'gpt-4o'], [91, 'gpt-4.1']] as const) {
      const memo = ShardMemo.load(memoFile);
      const memoised = buildManifest(build(reading, name), memo);
      const plain = buildManifest(build(reading, name));
      assert.is(memoised.oid, plain.oid, `reading ${reading}, name ${name}`);
      for (const [oid, object] of plain.objects) assert.ok(memoised.objects.get(oid)?.content.equals(object.content), oid);
    }
    assert.is.not(buildManifest(build(95, 'gpt-4o')).oid, buildManifest(build(91, 'gpt-4o')).oid, 'a reading is stored');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
