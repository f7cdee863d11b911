import { createHash } from 'node:crypto';
import type { Severity } from './severity-levels.js';
import { canonicalJson } from './canonical-json.js';
import type { ExactInteger } from './exact-json.js';

/**
 * A JSON value, as structured entries store their normalised content. An integer beyond the safe
 * range is an ExactInteger (see exact-json.ts), so it keeps every digit.
 */
export type Json = null | boolean | number | string | ExactInteger | Json[] | { [key: string]: Json };

/**
 * The observed state of one entry, as every source reports it and as the ledger stores it.
 *
 * - `file`: a regular file. `sha256` hashes its bytes; when the file is declared structured it
 *   hashes the canonical JSON of `content`, its parsed and normalised value (so formatting,
 *   comments and ignored fields are not drift).
 * - `symlink`: `sha256` hashes its target path, kept in `target`.
 * - `dir`: a directory group hashed as one entry: `files` maps each relative path to the sha256 of
 *   its bytes and `sha256` is the Merkle hash over that map (see groupHash).
 * - `value`: anything that is not a file (command output, HTTP bodies, Terraform resources,
 *   Kubernetes objects, metric breaches): `content` is the normalised value, `sha256` its hash.
 *
 * `error` marks an entry that exists but could not be read, so it is neither "changed" nor
 * "removed". Two entries are the same when every stored field is (see sameEntry); `content` and
 * `files` are covered by `sha256`.
 */
export interface ManifestEntry {
  type: 'file' | 'symlink' | 'dir' | 'value';
  sha256?: string;
  size?: number;
  /** Permission bits in octal, for example "644" or "755". */
  mode?: string;
  /** For a symlink: the path it points to, as stored in the link. */
  target?: string;
  error?: string;
  /** Structured entries: the normalised content (ignored fields already dropped). */
  content?: Json;
  /** The content is a pair `{ before, after, actions? }` of drift the source found itself (Terraform, Kubernetes desired vs live). */
  pair?: true;
  /** For a dir group: relative path → sha256 of the file's bytes. */
  files?: Record<string, string>;
  /** A severity the source decided (a metrics threshold); severity rules that match still win. */
  severity?: Severity;
  /** What decided `severity`, shown as the change's rule (for example "cpu_percent > 80 for 5m"). */
  rule?: string;
  /** A metrics breach: the value observed at this check. Shown, never compared (the breach is the same while it lasts). */
  reading?: number;
  /**
   * Captured content (files sources, see sources/capture.ts): the git object id of the text kept in
   * the ledger. Without `redacted` its bytes are exactly the file's bytes. Not compared.
   */
  blob?: string;
  /** How many secrets the captured blob has replaced by markers (absent when none). Not compared. */
  redacted?: number;
  /** Who changed a `value` entry, as the source's `attribution_field` says (a manager, a user). Not compared. */
  by?: string;
  /** Why the content was not captured, when capture applies to the source and it was not. Not compared. */
  capture?: CaptureSkip;
}

/** Why an entry's content is not in the ledger (see ledger/FORMAT.md "Captured content"). */
export type CaptureSkip = 'binary' | 'oversize' | 'secret-name' | 'not-listed' | 'off';

/** All entries of one source, keyed by their stable key. */
export type SourceManifest = Map<string, ManifestEntry>;

/** All sources of one target. */
export type TargetManifest = Map<string, SourceManifest>;

export function sameEntry(a: ManifestEntry, b: ManifestEntry): boolean {
  return (
    a.type === b.type &&
    a.sha256 === b.sha256 &&
    a.mode === b.mode &&
    a.target === b.target &&
    a.error === b.error &&
    a.size === b.size &&
    a.severity === b.severity &&
    a.rule === b.rule &&
    a.pair === b.pair
  );
}

/** sha256 (hex) of the canonical JSON of a value: the content hash of every structured entry. */
export function contentHash(content: Json): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** A `value` entry for structured content. */
export function valueEntry(content: Json, extra: Partial<Pick<ManifestEntry, 'pair' | 'severity' | 'rule'>> = {}): ManifestEntry {
  return { type: 'value', sha256: contentHash(content), content, ...extra };
}

/**
 * The Merkle hash of a directory group: sha256 over "<sha256> <relative path>\n" lines sorted by
 * path (byte order of the UTF-8 path). It depends only on relative paths and contents, never on
 * where the directory lives, its mtimes or its permissions.
 */
export function groupHash(files: Record<string, string>): string {
  const hash = createHash('sha256');
  const paths = Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const p of paths) hash.update(`${files[p]} ${p}\n`);
  return hash.digest('hex');
}
