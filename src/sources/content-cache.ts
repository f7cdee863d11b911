import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Json } from '../drift/manifest.js';
import { parseJsonKeepingIntegers, stringifyKeepingIntegers } from '../drift/exact-json.js';
import { writeFileAtomic } from '../write-atomic.js';

/**
 * A per-source cache of parsed structured files, kept beside the stat cache (outside the ledger),
 * so that a file whose bytes did not change is never parsed again, even when its stat data did
 * (a touch, a checkout, a racy mtime).
 *
 * Records are keyed by entry key and checked against the sha256 of the raw bytes: the key decides
 * the format and which per-key `ignore_fields` rules apply, so identical bytes under two keys may
 * normalise differently. The file as a whole carries a fingerprint (the parser version and the
 * source's `ignore_fields` rules); a different fingerprint makes the cache empty.
 *
 * FORMAT: one JSON document `{ format, fingerprint, records: [[key, rawSha256, contentSha256 | null,
 * content?], ...], checksum }`, where `checksum` is the sha256 of `JSON.stringify(records)`; a null
 * content hash records a file that did not parse. Anything unexpected
 * makes the cache empty, which only costs a re-parse. Saved atomically (write then rename), only
 * when something changed, with just the records used by the latest scan.
 */
const FORMAT = 'driftctl-contentcache 2';

/** sha256 of the records' JSON: a flipped bit anywhere in them fails it. */
function checksumOf(records: unknown): string {
  return createHash('sha256').update(JSON.stringify(records) ?? '').digest('hex');
}

export type CachedContent = { sha256: string; content: Json } | { unparsable: true };

type CacheRecord = [raw: string, sha256: string | null, content?: Json];

export class ContentCache {
  private readonly next = new Map<string, CacheRecord>();
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly fingerprint: string,
    private readonly loaded: Map<string, CacheRecord>,
  ) {}

  /**
   * Loads the cache; a missing or differently fingerprinted cache is simply empty, and a damaged
   * one (unparsable, or failing its checksum) is empty too, with a warning.
   */
  static load(file: string, fingerprint: string, warn?: (message: string) => void): ContentCache {
    const loaded = new Map<string, CacheRecord>();
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // No cache yet: every structured file is parsed.
    }
    try {
      const data = text === undefined ? {} : (parseJsonKeepingIntegers(text) as { format?: unknown; fingerprint?: unknown; records?: unknown; checksum?: unknown });
      if (data.format === FORMAT && data.checksum !== checksumOf(data.records)) throw new Error('damaged');
      if (data.format === FORMAT && data.fingerprint === fingerprint && Array.isArray(data.records)) {
        for (const record of data.records as unknown[]) {
          if (!Array.isArray(record) || typeof record[0] !== 'string' || typeof record[1] !== 'string') continue;
          const [key, raw, sha256, content] = record as [string, string, unknown, Json | undefined];
          if (typeof sha256 === 'string' && content !== undefined) loaded.set(key, [raw, sha256, content]);
          else if (sha256 === null) loaded.set(key, [raw, null]);
        }
      }
    } catch {
      loaded.clear();
      warn?.(`content cache ${file} is damaged (checksum mismatch): discarded, every structured file is parsed again`);
    }
    return new ContentCache(file, fingerprint, loaded);
  }

  /** Number of records loaded. */
  get size(): number {
    return this.loaded.size;
  }

  /** The cached result for `key` when its raw bytes still hash to `raw`; keeps the record for the next save. */
  lookup(key: string, raw: string): CachedContent | undefined {
    const record = this.loaded.get(key);
    if (record === undefined || record[0] !== raw) return undefined;
    this.next.set(key, record);
    return record[1] === null ? { unparsable: true } : { sha256: record[1], content: record[2] as Json };
  }

  /** Records a freshly parsed result for the next save. */
  remember(key: string, raw: string, result: CachedContent): void {
    this.next.set(key, 'unparsable' in result ? [raw, null] : [raw, result.sha256, result.content]);
    this.dirty = true;
  }

  /** Writes the records looked up or remembered in this scan, when they differ from what was loaded. */
  save(): void {
    if (!this.dirty && this.next.size === this.loaded.size) return;
    const records = [...this.next].map(([key, record]) => [key, ...record]);
    writeFileAtomic(this.file, `${stringifyKeepingIntegers({ format: FORMAT, fingerprint: this.fingerprint, records, checksum: checksumOf(records) })}\n`);
  }
}
