import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

test('a scan that hit every record leaves the file as it is; any miss or change rewrites it', () => {
  withDir((dir) => {
    const file = path.join(dir, 'files.statcache');
    const scanStart = 1_000_000;
    const old = scanStart - RACY_WINDOW_MS - 1;
    const records: [string, [number, number, number, number, number, string]][] = [
      ['a', [1, old, old, 1, 0o100644, sha(1)]],
      ['b', [2, old, old, 2, 0o100644, sha(2)]],
    ];
    const first = StatCache.load(file, '/r');
    for (const [key, record] of records) first.remember(key, record);
    first.save(scanStart);
    const written = readFileSync(file);
    const inode = statSync(file).ino;

    const rescan = (change?: (key: string, record: (typeof records)[number][1]) => (typeof records)[number][1]): StatCache => {
      const cache = StatCache.load(file, '/r');
      for (const [key, record] of records) {
        const now = change ? change(key, record) : record;
        const hit = cache.lookup(key, now[0], now[1], now[2], now[3], now[4]);
        cache.remember(key, [...now.slice(0, 5), hit ?? now[5]] as typeof now);
      }
      return cache;
    };
    rescan().save(scanStart + 60_000);
    assert.is(statSync(file).ino, inode, 'not replaced');
    assert.ok(readFileSync(file).equals(written), 'same bytes, same scan start');
    assert.is(StatCache.load(file, '/r').lookup('a', 1, old, old, 1, 0o100644), sha(1));

    rescan((key, r) => (key === 'b' ? [3, old, old, 2, 0o100644, sha(3)] : r)).save(scanStart + 120_000);
    assert.is.not(statSync(file).ino, inode, 'a changed file rewrites the cache');
    assert.is(StatCache.load(file, '/r').lookup('b', 3, old, old, 2, 0o100644), sha(3));

    // A record that missed (racy under the old scan start) is saved again under the new one.
    const racy = scanStart + 120_000 - 1;
    const cache = StatCache.load(file, '/r');
    cache.remember('a', [1, old, old, 1, 0o100644, sha(1)]);
    cache.remember('c', [4, racy, racy, 4, 0o100644, sha(4)]);
    cache.save(scanStart + 120_000);
    const inode2 = statSync(file).ino;
    const again = StatCache.load(file, '/r');
    assert.is(again.lookup('a', 1, old, old, 1, 0o100644), sha(1));
    assert.is(again.lookup('c', 4, racy, racy, 4, 0o100644), undefined, 'racy under the last scan start');
    again.remember('a', [1, old, old, 1, 0o100644, sha(1)]);
    again.remember('c', [4, racy, racy, 4, 0o100644, sha(4)]);
    again.save(scanStart + 240_000);
    assert.is.not(statSync(file).ino, inode2, 'rehashed records move the scan start forward');
    assert.is(StatCache.load(file, '/r').lookup('c', 4, racy, racy, 4, 0o100644), sha(4));
  });
});

test.run();
