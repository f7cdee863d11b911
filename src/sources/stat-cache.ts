import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../write-atomic.js';

/**
 * A per-source cache of stat data and content hashes, kept outside the ledger (under the
 * repository's git directory). A file whose size, mtime, ctime, inode and mode all match its
 * cached record keeps its cached hash; everything else is hashed again.
 *
 * Racy files: a file modified in the same timestamp tick as the scan that hashed it could change
 * again without its mtime moving. As git does with its index, records whose mtime is not safely
 * older than the scan start are treated as unknown on the next scan and rehashed.
 *
 * The file is binary so that loading and saving 100,000 records costs milliseconds, not the
 * hundreds a JSON object of that size takes (see FORMAT below). It ends with a checksum: a file
 * that fails it (a flipped bit would otherwise become a false hash, false drift, and an accept that
 * bakes it in) or anything else unexpected makes the cache empty, which only costs a rehash.
 */
export const RACY_WINDOW_MS = 2000;

/** [size, mtimeMs, ctimeMs, ino, mode, sha256] */
export type StatRecord = [number, number, number, number, number, string];

/**
 * FORMAT (version 3), all integers little-endian:
 *   MAGIC, u32 header length, header JSON `{ root, scanStartMs, count }`, zero padding to a
 *   multiple of 8 bytes, `count` x 5 float64 (size, mtimeMs, ctimeMs, ino, mode), `count` x 32
 *   bytes of sha256, the keys in strictly ascending code-unit order, joined by NUL, and last the
 *   32-byte sha256 of everything before it.
 */
const MAGIC = Buffer.from('driftctl-statcache 3\n');
const CHECKSUM_BYTES = 32;
const FIELDS = 5;
const SHA_BYTES = 32;

interface Loaded {
  keys: string[];
  nums: Float64Array;
  shas: Buffer;
  racyFrom: number;
}

export class StatCache {
  private readonly loaded: Loaded | undefined;
  private cursor = 0;
  /** Lookups answered from the cache during this scan. */
  private hits = 0;
  private readonly nextKeys: string[] = [];
  private readonly nextNums: number[] = [];
  private readonly nextShas: string[] = [];

  private constructor(
    private readonly file: string,
    private readonly root: string,
    loaded: Loaded | undefined,
  ) {
    this.loaded = loaded;
  }

  /**
   * Loads the cache; a missing, unreadable or foreign cache is simply empty, and a damaged one
   * (failing its checksum) is empty too, with a warning.
   */
  static load(file: string, root: string, warn?: (message: string) => void): StatCache {
    let loaded: Loaded | undefined;
    let data: Buffer | undefined;
    try {
      data = readFileSync(file);
    } catch {
      // No cache yet: everything is hashed.
    }
    if (data !== undefined && data.subarray(0, MAGIC.length).equals(MAGIC)) {
      const body = data.subarray(0, Math.max(0, data.length - CHECKSUM_BYTES));
      const intact = data.length >= MAGIC.length + CHECKSUM_BYTES && createHash('sha256').update(body).digest().equals(data.subarray(body.length));
      try {
        loaded = intact ? decode(body, root) : undefined;
      } catch {
        loaded = undefined;
      }
      if (!intact) warn?.(`stat cache ${file} is damaged (checksum mismatch): discarded, every file is hashed again`);
    }
    return new StatCache(file, root, loaded);
  }

  /** Number of records loaded (trusted or not). */
  get size(): number {
    return this.loaded?.keys.length ?? 0;
  }

  /**
   * The cached hash when the stat data is unchanged and the record is not racy, else undefined.
   * Lookups in ascending key order (the order scans go in) cost O(1) each.
   */
  lookup(key: string, size: number, mtimeMs: number, ctimeMs: number, ino: number, mode: number): string | undefined {
    const loaded = this.loaded;
    if (!loaded) return undefined;
    const i = this.find(loaded.keys, key);
    if (i < 0) return undefined;
    const nums = loaded.nums;
    const o = i * FIELDS;
    if (nums[o] !== size || nums[o + 1] !== mtimeMs || nums[o + 2] !== ctimeMs || nums[o + 3] !== ino || nums[o + 4] !== mode) return undefined;
    if (!(mtimeMs < loaded.racyFrom && ctimeMs < loaded.racyFrom)) return undefined;
    this.hits++;
    return loaded.shas.toString('hex', i * SHA_BYTES, (i + 1) * SHA_BYTES);
  }

  private find(keys: string[], key: string): number {
    const c = this.cursor;
    if (c < keys.length && keys[c] === key) {
      this.cursor = c + 1;
      return c;
    }
    let lo = 0;
    let hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid];
      if (k === key) {
        this.cursor = mid + 1;
        return mid;
      }
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Records the stat data and hash of `key` for the next scan. */
  remember(key: string, record: StatRecord): void {
    if (record[5].length !== SHA_BYTES * 2) return;
    this.nextKeys.push(key);
    this.nextNums.push(record[0], record[1], record[2], record[3], record[4]);
    this.nextShas.push(record[5]);
  }

  /**
   * Replaces the cache file atomically with the records remembered during this scan. When every
   * record was a cache hit and the scan remembered exactly the loaded records, the file already says
   * all of that (records older than its scan start stay trusted), and it is left as it is.
   */
  save(scanStartMs: number): void {
    if (this.sameAsLoaded()) return;
    writeFileAtomic(this.file, encode(this.root, scanStartMs, this.nextKeys, this.nextNums, this.nextShas));
    // Version 1 lived in a JSON file beside this one.
    if (this.file.endsWith('.statcache')) rmSync(`${this.file.slice(0, -'.statcache'.length)}.json`, { force: true });
  }

  private sameAsLoaded(): boolean {
    const loaded = this.loaded;
    const count = this.nextKeys.length;
    if (!loaded || loaded.keys.length !== count || this.hits !== count) return false;
    for (let i = 0; i < count; i++) {
      if (loaded.keys[i] !== this.nextKeys[i]) return false;
      if (loaded.shas.toString('hex', i * SHA_BYTES, (i + 1) * SHA_BYTES) !== this.nextShas[i]) return false;
    }
    for (let i = 0; i < count * FIELDS; i++) if (loaded.nums[i] !== this.nextNums[i]) return false;
    return true;
  }
}

function encode(root: string, scanStartMs: number, keys: string[], nums: number[], shas: string[]): Buffer {
  let order: number[] | undefined;
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1] < keys[i])) {
      order = keys.map((_, j) => j).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
      break;
    }
  }
  // Sorted, without duplicates (the last record of a key wins).
  const picked: number[] = [];
  for (const i of order ?? keys.keys()) {
    if (picked.length > 0 && keys[picked[picked.length - 1]] === keys[i]) picked[picked.length - 1] = i;
    else picked.push(i);
  }
  const count = picked.length;
  const header = Buffer.from(JSON.stringify({ root, scanStartMs, count }));
  const numsAt = align8(MAGIC.length + 4 + header.length);
  const shasAt = numsAt + count * FIELDS * 8;
  const keysAt = shasAt + count * SHA_BYTES;
  const keyText = picked.map((i) => keys[i]).join('\0');
  const out = Buffer.alloc(keysAt + Buffer.byteLength(keyText));
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  const view = new Float64Array(count * FIELDS);
  picked.forEach((i, n) => {
    for (let f = 0; f < FIELDS; f++) view[n * FIELDS + f] = nums[i * FIELDS + f];
    // Not hex: a NaN size never matches, so the record is never used.
    if (out.write(shas[i], shasAt + n * SHA_BYTES, SHA_BYTES, 'hex') !== SHA_BYTES) view[n * FIELDS] = Number.NaN;
  });
  Buffer.from(view.buffer, view.byteOffset, view.byteLength).copy(out, numsAt);
  out.write(keyText, keysAt, 'utf8');
  return Buffer.concat([out, createHash('sha256').update(out).digest()]);
}

function decode(data: Buffer, root: string): Loaded | undefined {
  if (data.length < MAGIC.length + 4 || !data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const headerLength = data.readUInt32LE(MAGIC.length);
  const header = JSON.parse(data.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength)) as { root: unknown; scanStartMs: unknown; count: unknown };
  if (header.root !== root || typeof header.scanStartMs !== 'number' || typeof header.count !== 'number' || !Number.isInteger(header.count) || header.count < 0) return undefined;
  const count = header.count;
  const numsAt = align8(MAGIC.length + 4 + headerLength);
  const shasAt = numsAt + count * FIELDS * 8;
  const keysAt = shasAt + count * SHA_BYTES;
  if (data.length < keysAt) return undefined;
  // Float64Array needs an aligned offset: copy the numbers unless the buffer happens to allow a view.
  const numBytes = count * FIELDS * 8;
  const nums =
    (data.byteOffset + numsAt) % 8 === 0
      ? new Float64Array(data.buffer, data.byteOffset + numsAt, count * FIELDS)
      : new Float64Array(new Uint8Array(data.subarray(numsAt, numsAt + numBytes)).buffer);
  const keys = count === 0 ? [] : data.toString('utf8', keysAt).split('\0');
  if (keys.length !== count) return undefined;
  for (let i = 1; i < count; i++) if (!(keys[i - 1] < keys[i])) return undefined;
  return { keys, nums, shas: data.subarray(shasAt, keysAt), racyFrom: header.scanStartMs - RACY_WINDOW_MS };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
