import { parseYamlStream } from '../yaml/yaml.js';
import type { FieldMatcher } from '../match/field-pattern.js';
import { normalizeContent } from '../drift/fields.js';
import { contentHash, type Json } from '../drift/manifest.js';

/**
 * Parsing of files declared `structured`: the bytes become a normalised JSON value whose hash is
 * the entry's sha256, so formatting, comments, key order and ignored fields are not drift.
 *
 * - `.json` (any case) is parsed as JSON; everything else as YAML 1.2 with the core schema: no
 *   timestamp type (dates stay strings), `yes`/`no` stay strings, large integers become (possibly
 *   rounded) numbers, anchors and aliases are resolved, `<<` merge keys are applied (compose files
 *   use them), `!!binary` becomes its base64 text, unknown tags keep their plain value.
 * - A YAML stream of several documents becomes the array of its documents; one document is its
 *   value; an empty stream (or only comments) is null.
 * - Not parsable means: not UTF-8, contains a NUL byte (binary), a syntax error, a duplicate key,
 *   more alias expansion than MAX_ALIAS_COUNT, or larger than MAX_STRUCTURED_BYTES. Such a file is
 *   recorded by the hash of its bytes like a plain file; `reason` says why (for callers and tests).
 */
export type StructuredFormat = 'json' | 'yaml';

export type StructuredResult = { content: Json; sha256: string } | { unparsable: string };

/** Files above this size are byte-hashed, never parsed: parsing holds several copies in memory. */
export const MAX_STRUCTURED_BYTES = 16 * 1024 * 1024;
/** Alias expansions allowed per document ("billion laughs" guard). */
const MAX_ALIAS_COUNT = 1000;


/** Part of the content cache's fingerprint: bump it when parsing or normalising changes its output. */
export const STRUCTURED_PARSER_VERSION = 'json+yaml-1.2-core-merge/1';

let parses = 0;

/** How many files have been parsed in this process (a diagnostic: the content cache keeps it low). */
export function structuredParseCount(): number {
  return parses;
}

export function structuredFormat(key: string): StructuredFormat {
  return /\.json$/i.test(key) ? 'json' : 'yaml';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses and normalises one file's bytes; never throws. */
export function parseStructured(bytes: Uint8Array, format: StructuredFormat, ignore?: FieldMatcher): StructuredResult {
  parses++;
  if (bytes.length > MAX_STRUCTURED_BYTES) return { unparsable: `larger than ${MAX_STRUCTURED_BYTES} bytes` };
  if (bytes.includes(0)) return { unparsable: 'binary (contains a NUL byte)' };
  let text: string;
  try {
    text = utf8.decode(bytes); // also drops a leading BOM
  } catch {
    return { unparsable: 'not valid UTF-8' };
  }
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { unparsable: `invalid JSON: ${(error as Error).message}` };
    }
  } else {
    const parsed = parseYaml(text);
    if ('unparsable' in parsed) return parsed;
    value = parsed.value;
  }
  const content = normalizeContent(value, ignore);
  return { content, sha256: contentHash(content) };
}

function parseYaml(text: string): { value: unknown } | { unparsable: string } {
  try {
    // YAML 1.2 core schema with merge keys; `!!binary` as base64 text.
    const { documents, streamErrors } = parseYamlStream(text, { strictCore: true, maxAliasCount: MAX_ALIAS_COUNT, binaryAsBase64: true });
    // A stream without documents (empty, only comments or directives) carries its own errors.
    const errors = [...streamErrors, ...documents.flatMap((document) => document.errors)];
    if (errors.length > 0) return { unparsable: `invalid YAML: ${firstLine(errors[0])}` };
    const values = documents.map((document) => document.value());
    return { value: values.length === 0 ? null : values.length === 1 ? values[0] : values };
  } catch (error) {
    // toJS throws on excessive aliasing and on aliases to undefined anchors.
    return { unparsable: `invalid YAML: ${firstLine((error as Error).message)}` };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/:$/, '');
}
