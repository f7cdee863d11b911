import { parseYamlStream } from '../yaml/yaml.js';
import type { FieldMatcher } from '../match/field-pattern.js';
import { ExactJsonError, parseExactJson } from '../drift/exact-json.js';
import { normalizeContent } from '../drift/fields.js';
import { contentHash, type Json } from '../drift/manifest.js';

/**
 * Parsing of files declared `structured`: the bytes become a normalised JSON value whose hash is
 * the entry's sha256, so formatting, comments, key order and ignored fields are not drift.
 *
 * - `.json` (any case) is parsed as JSON; everything else as YAML 1.2 with the core schema: no
 *   timestamp type (dates stay strings), `yes`/`no` stay strings, anchors and aliases are
 *   resolved, `<<` merge keys are applied (compose files use them), `!!binary` becomes its base64
 *   text, unknown tags keep their plain value. In both, integers beyond 2^53 keep every digit
 *   (ExactInteger).
 * - A YAML stream of several documents becomes the array of its documents; one document is its
 *   value; an empty stream (or only comments) is null.
 * - Not parsable means: not UTF-8, contains a NUL byte (binary), a syntax error, a duplicate key
 *   (JSON and YAML alike), an expansion of aliases to more than MAX_EXPANDED_NODES nodes per
 *   document (an "alias bomb"; the number of aliases does not matter), or larger than
 *   MAX_STRUCTURED_BYTES. Such a file is
 *   recorded by the hash of its bytes like a plain file; `reason` says why (for callers and tests).
 */
export type StructuredFormat = 'json' | 'yaml';

export type StructuredResult = { content: Json; sha256: string } | { unparsable: string };

/** Files above this size are byte-hashed, never parsed: parsing holds several copies in memory. */
export const MAX_STRUCTURED_BYTES = 16 * 1024 * 1024;
/**
 * Nodes a document may hold once its aliases are expanded ("billion laughs" guard): generous for
 * real files (a 34 KB compose file with 145 aliases expands to a few thousand nodes), while an
 * alias bomb reaches billions.
 */
export const MAX_EXPANDED_NODES = 1_000_000;


/** Part of the content cache's fingerprint: bump it when parsing or normalising changes its output. */
export const STRUCTURED_PARSER_VERSION = 'json+yaml-1.2-core-merge/2';

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
      value = parseExactJson(text);
    } catch (error) {
      if (error instanceof ExactJsonError && error.message.startsWith('duplicate key')) return { unparsable: `invalid JSON: ${error.message} at ${error.pointer}` };
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
    // YAML 1.2 core schema with merge keys; `!!binary` as base64 text; integers as bigints
    // (normalizeContent keeps those beyond 2^53 exact); aliases bounded by their expanded size.
    const { documents, streamErrors } = parseYamlStream(text, { strictCore: true, maxExpandedNodes: MAX_EXPANDED_NODES, binaryAsBase64: true, intAsBigInt: true });
    // A stream without documents (empty, only comments or directives) carries its own errors.
    const errors = [...streamErrors, ...documents.flatMap((document) => document.errors)];
    if (errors.length > 0) return { unparsable: `invalid YAML: ${firstLine(errors[0])}` };
    const values = documents.map((document) => document.value());
    return { value: values.length === 0 ? null : values.length === 1 ? values[0] : values };
  } catch (error) {
    // value() throws on excessive aliasing and on aliases to undefined anchors.
    return { unparsable: `invalid YAML: ${firstLine((error as Error).message)}` };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/:$/, '');
}
