import { createKeyMatcher, type KeyMatcher } from '../match/glob.js';
import type { CaptureSkip } from '../drift/manifest.js';
import { textOf } from '../drift/content-diff.js';
import { createHash } from 'node:crypto';
import { compileRedaction, redact, type RedactionPattern } from './redact.js';

/**
 * Which files of a files source keep their content in the ledger, and what is kept (see README
 * "Captured content" and ledger/FORMAT.md). Pure: the caller reads the bytes.
 */
export interface CaptureConfig {
  /** Globs of keys whose content is kept (empty: capture is off for the source). */
  globs: string[];
  /** Larger files keep only their hash (`capture: "oversize"`). */
  maxBytes: number;
  /** Extra redaction regexes (JavaScript syntax), applied after the built-in ones. */
  redact: string[];
}

export const DEFAULT_CAPTURE_MAX_BYTES = 256 * 1024;

/** File names that look like secrets: captured only when a `capture` glob names them without wildcards. */
const SECRET_NAME = /^(?:\.env(?:\..*)?|.*\.env|.*\.pem|id_[^/]*|.*\.key|.*\.p12|.*\.pfx|.*\.keystore|\.netrc|\.pgpass|credentials)$/i;

export function looksLikeSecretName(key: string): boolean {
  return SECRET_NAME.test(key.slice(key.lastIndexOf('/') + 1));
}

/** Content as the ledger keeps it: the bytes of the blob, its id, and how many secrets it hides. */
export interface CapturedContent {
  oid: string;
  bytes: Buffer;
  redacted: number;
}

export type CaptureDecision = { capture: true } | { capture: false; reason: CaptureSkip };

export interface CapturePolicy {
  /** Whether the key's content may be kept, before its bytes are known. */
  decide(key: string, size: number): CaptureDecision;
  /** The content to keep for these bytes, or why not (binary). */
  capture(bytes: Buffer): CapturedContent | { reason: CaptureSkip };
}

export function createCapturePolicy(config: CaptureConfig): CapturePolicy {
  const listed: KeyMatcher = createKeyMatcher(config.globs);
  // A glob whose last segment has no wildcard names its files explicitly (config/.env, **/.env).
  const explicit = createKeyMatcher(config.globs.filter((glob) => !/[*?[\]{}!]/.test(glob.replace(/\/+$/, '').split('/').pop() ?? '')));
  const patterns: RedactionPattern[] = config.redact.map((source) => compileRedaction(source));
  return {
    decide(key, size) {
      if (!listed(key)) return { capture: false, reason: 'not-listed' };
      if (looksLikeSecretName(key) && !explicit(key)) return { capture: false, reason: 'secret-name' };
      if (size > config.maxBytes) return { capture: false, reason: 'oversize' };
      return { capture: true };
    },
    capture(bytes) {
      if (bytes.length > config.maxBytes) return { reason: 'oversize' };
      const text = textOf(bytes);
      if (text === undefined) return { reason: 'binary' };
      const { text: kept, count } = redact(text, patterns);
      const stored = count === 0 ? bytes : Buffer.from(kept, 'utf8');
      return { oid: blobId(stored), bytes: stored, redacted: count };
    },
  };
}

/** Checks `redact:` patterns; returns a message per pattern that does not compile. */
export function checkRedactions(patterns: readonly string[]): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  patterns.forEach((source, index) => {
    try {
      const re = compileRedaction(source);
      if (re.regex.test('')) problems.push({ index, message: 'matches the empty string: it would redact nothing useful; make it match the secret itself' });
    } catch (error) {
      problems.push({ index, message: `is not a valid regular expression (${(error as Error).message})` });
    }
  });
  return problems;
}

/** The git object id of a blob holding `bytes` (sha1 over "blob <size>\0" and the bytes). */
export function blobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
