import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A per-source cache of stat data and content hashes, kept outside the ledger (under the
 * repository's git directory). A file whose size, mtime, ctime, inode and mode all match its
 * cached record keeps its cached hash; everything else is hashed again.
 *
 * Racy files: a file modified in the same timestamp tick as the scan that hashed it could change
 * again without its mtime moving. As git does with its index, records whose mtime is not safely
 * older than the scan start are treated as unknown on the next scan and rehashed.
 */
export const RACY_WINDOW_MS = 2000;

/** [size, mtimeMs, ctimeMs, ino, mode, sha256] */
export type StatRecord = [number, number, number, number, number, string];

interface CacheFile {
  version: 1;
  root: string;
  scanStartMs: number;
  records: Record<string, StatRecord>;
}

export class StatCache {
  private readonly trusted: Map<string, StatRecord>;
  readonly next = new Map<string, StatRecord>();

  private constructor(
    private readonly file: string,
    private readonly root: string,
    trusted: Map<string, StatRecord>,
  ) {
    this.trusted = trusted;
  }

  /** Loads the cache; a missing, unreadable or foreign cache is simply empty. */
  static load(file: string, root: string): StatCache {
    const trusted = new Map<string, StatRecord>();
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (data.version === 1 && data.root === root) {
        const racyFrom = data.scanStartMs - RACY_WINDOW_MS;
        for (const [key, record] of Object.entries(data.records)) {
          if (record[1] < racyFrom && record[2] < racyFrom) trusted.set(key, record);
        }
      }
    } catch {
      // No cache yet, or a damaged one: everything is hashed.
    }
    return new StatCache(file, root, trusted);
  }

  /** The cached hash when the stat data is unchanged, else undefined. */
  lookup(key: string, size: number, mtimeMs: number, ctimeMs: number, ino: number, mode: number): string | undefined {
    const record = this.trusted.get(key);
    if (!record) return undefined;
    if (record[0] !== size || record[1] !== mtimeMs || record[2] !== ctimeMs || record[3] !== ino || record[4] !== mode) return undefined;
    return record[5];
  }

  remember(key: string, record: StatRecord): void {
    this.next.set(key, record);
  }

  /** Replaces the cache file atomically with the records of this scan. */
  save(scanStartMs: number): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const data: CacheFile = { version: 1, root: this.root, scanStartMs, records: Object.fromEntries(this.next) };
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.file);
  }
}
