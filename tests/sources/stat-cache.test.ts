import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RACY_WINDOW_MS, StatCache } from '../../src/sources/stat-cache.js';

const sha = (n: number): string => n.toString(16).padStart(64, '0');

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-statcache-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records round-trip, in any order, and only matching stat data hits', () => {
  withDir((dir) => {
    const file = path.join(dir, 'files.statcache');
    const scanStart = 1_000_000;
    const old = scanStart - RACY_WINDOW_MS - 1;
    const cache = StatCache.load(file, '/root');
    cache.remember('b/é.txt', [10, old, old, 7, 0o100644, sha(2)]);
    cache.remember('a.txt', [5, old + 0.25, old, 8, 0o100644, sha(1)]);
    cache.remember('c', [1, scanStart, scanStart, 9, 0o100644, sha(3)]); // racy
    cache.remember('d', [1, old, old, 9, 0o100644, 'not a hash']);
    cache.save(scanStart);

    const back = StatCache.load(file, '/root');
    assert.is(back.size, 3);
    assert.is(back.lookup('a.txt', 5, old + 0.25, old, 8, 0o100644), sha(1));
    assert.is(back.lookup('b/é.txt', 10, old, old, 7, 0o100644), sha(2));
    assert.is(back.lookup('a.txt', 5, old + 0.25, old, 8, 0o100644), sha(1), 'out-of-order lookups work');
    assert.is(back.lookup('b/é.txt', 11, old, old, 7, 0o100644), undefined, 'size differs');
    assert.is(back.lookup('b/é.txt', 10, old, old + 1, 7, 0o100644), undefined, 'ctime differs');
    assert.is(back.lookup('c', 1, scanStart, scanStart, 9, 0o100644), undefined, 'racy record');
    assert.is(back.lookup('d', 1, old, old, 9, 0o100644), undefined);
    assert.is(back.lookup('zzz', 1, old, old, 9, 0o100644), undefined);

    assert.is(StatCache.load(file, '/elsewhere').size, 0, 'another root');
    writeFileSync(file, 'garbage');
    assert.is(StatCache.load(file, '/root').size, 0, 'damaged file');
    assert.is(StatCache.load(path.join(dir, 'missing'), '/root').size, 0, 'missing file');
  });
});

test('an empty cache saves and loads', () => {
  withDir((dir) => {
    const file = path.join(dir, 'files.statcache');
    StatCache.load(file, '/r').save(5);
    assert.is(StatCache.load(file, '/r').size, 0);
  });
});

test.run();
