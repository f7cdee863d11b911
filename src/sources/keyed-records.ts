import type { RecordSelection } from '../config/config.js';
import { parseFieldPattern, toPointer } from '../match/field-pattern.js';
import { normalizeContent, type Ignorer } from '../drift/fields.js';
import { valueEntry, type SourceManifest } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import { safeKey, uniqueKeys } from './keys.js';
import type { SourceObservation } from './source.js';

/**
 * How a command's stdout or an HTTP body becomes keyed records (`parse`, `items`, `key`, `value`):
 *
 * - `json`: the document. `items` (a JSON Pointer "/items" or dotted "data.items"; "." for the
 *   document itself) selects an array or an object of records; without `items` an array document
 *   is the records and any other document is one record. Records of an object are keyed by their
 *   property name unless `key` is given. One record without `key` is keyed "output".
 * - `jsonl`: one JSON value per non-empty line (docker's `--format json`); each is a record.
 * - `lines`: each non-empty line. Without `key` the key is the trimmed line and the content `true`.
 *   With `key` (a regex with a named group `key`, optionally `value`) only matching lines count:
 *   the key is the group, the content the `value` group or else the trimmed line.
 * - `text`: one record keyed `key` (a literal) or "output" whose content is the whole output,
 *   trailing whitespace trimmed.
 *
 * For json and jsonl, `key` is a field path (`ID`, `metadata.name`, `/a/b`) or a template of
 * field paths in braces (`{Repository}:{Tag}`). Records in an array have no stable key of their
 * own (their order changes), so object records there need `key`; a string, number or boolean
 * record is its own key with content `true`. `value` is a field path picking the content (default
 * the whole record); a record without that field has content null, and a `value` missing from
 * every record is an error (a typo would otherwise hide all drift).
 *
 * Keys pass through safeKey, then uniqueKeys (duplicates become "x~2", "x~3"). Output that does not
 * parse or does not hold what the selection names throws SOURCE_FAILED; `what` starts every message
 * (for example `source "images": stdout`).
 */
export interface KeyedRecord {
  key: string;
  content: unknown;
  /** `attribution_field`'s value in the record (json, jsonl): who changed it, stored as the entry's `by`. */
  by?: string;
}

/** The key of a single record chosen without `key` (json document, text). */
export const SINGLE_RECORD_KEY = 'output';

export function selectRecords(output: Buffer, selection: RecordSelection, what: string): KeyedRecord[] {
  const fail = (message: string): never => {
    throw new DriftError('SOURCE_FAILED', `${what}${message}`);
  };
  const text = output.toString('utf8').replace(/^\uFEFF/, '');
  let raw: { key: string; content: unknown }[];
  switch (selection.parse) {
    case 'text':
      raw = [{ key: selection.key ?? SINGLE_RECORD_KEY, content: text.replace(/\s+$/, '') }];
      break;
    case 'lines':
      raw = lineRecords(text, selection.key, fail);
      break;
    case 'jsonl':
      raw = keyRecords(jsonLines(text, fail), selection, fail);
      break;
    case 'json':
      raw = keyRecords(jsonRecords(text, selection.items, fail), selection, fail);
      break;
    default:
      return fail(`: unknown parse mode "${selection.parse as string}" (use json, jsonl, lines or text)`);
  }
  const keys = uniqueKeys(raw.map((r) => safeKey(r.key)));
  return raw.map((r, i) => ({ key: keys[i], content: r.content, ...((r as KeyedRecord).by !== undefined ? { by: (r as KeyedRecord).by } : {}) }));
}

/** Entries of a keyed-record source: each record's content normalised (ignored fields dropped), in key order. */
export function observeRecords(records: readonly KeyedRecord[], ignorer: Ignorer): SourceObservation {
  const entries: SourceManifest = new Map();
  for (const record of [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const entry = valueEntry(normalizeContent(record.content, ignorer(record.key)));
    if (record.by !== undefined) entry.by = record.by;
    entries.set(record.key, entry);
  }
  return { entries, stats: { entries: entries.size, hashed: entries.size, reused: 0, errors: 0 } };
}

type Fail = (message: string) => never;

/** A parsed record with where it came from, for messages ("/items/2", "line 3"). */
interface Located {
  where: string;
  record: unknown;
  /** The property name of a record in an object of records: its default key. */
  name?: string;
  /** True when the record sits in an array or a JSON-lines stream (no name of its own). */
  listed: boolean;
}

function lineRecords(text: string, pattern: string | undefined, fail: Fail): { key: string; content: unknown }[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (pattern === undefined) return lines.map((line) => ({ key: line, content: true }));
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    return fail(`: key is not a valid regular expression: ${(error as Error).message}`);
  }
  if (!/\(\?<key>/.test(pattern)) fail(`: key regex ${pattern} has no named group (?<key>...)`);
  const out: { key: string; content: unknown }[] = [];
  for (const line of lines) {
    const groups = regex.exec(line)?.groups;
    if (!groups || groups.key === undefined) continue;
    out.push({ key: groups.key, content: groups.value ?? line });
  }
  return out;
}

function jsonLines(text: string, fail: Fail): Located[] {
  const out: Located[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push({ where: `line ${i + 1}`, record: JSON.parse(line), listed: true });
    } catch (error) {
      fail(` is not JSON lines: line ${i + 1}: ${(error as Error).message}`);
    }
  });
  return out;
}

function jsonRecords(text: string, items: string | undefined, fail: Fail): Located[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return fail(` is not JSON: ${text.trim() === '' ? 'it is empty' : (error as Error).message}`);
  }
  if (items === undefined) {
    if (Array.isArray(document)) return document.map((record, i) => ({ where: `/${i}`, record, listed: true }));
    return [{ where: 'the document', record: document, listed: false }];
  }
  const path = items.trim() === '.' ? [] : fieldPath(items, 'items', fail);
  const selected = getField(document, path);
  const at = toPointer(path);
  if (Array.isArray(selected)) return selected.map((record, i) => ({ where: `${at}/${i}`, record, listed: true }));
  if (selected !== null && typeof selected === 'object') {
    return Object.entries(selected).map(([name, record]) => ({ where: toPointer([...path, name]), record, name, listed: false }));
  }
  return fail(`: items "${items}" ${selected === undefined ? 'is not in the document' : `is ${describe(selected)}, not an array or object of records`}`);
}

function keyRecords(located: Located[], selection: RecordSelection, fail: Fail): { key: string; content: unknown }[] {
  const key = selection.key === undefined ? undefined : compileKey(selection.key, fail);
  const value = selection.value === undefined ? undefined : fieldPath(selection.value, 'value', fail);
  const byPath = selection.byField === undefined ? undefined : fieldPath(selection.byField, 'attribution_field', fail);
  const byOf = (record: unknown): { by?: string } => {
    const found = byPath ? getField(record, byPath) : undefined;
    if (found === undefined || found === null) return {};
    const text = typeof found === 'string' ? found : JSON.stringify(found);
    return { by: text.length > 200 ? `${text.slice(0, 199)}…` : text };
  };
  const out = located.map(({ where, record, name, listed }) => {
    let k: string;
    if (key) k = key(record, where);
    else if (name !== undefined) k = name;
    else if (!listed) k = SINGLE_RECORD_KEY;
    else if (typeof record === 'string' || typeof record === 'number' || typeof record === 'boolean') {
      if (!value) return { key: String(record), content: true, found: true };
      k = String(record);
    } else {
      return fail(`: the record at ${where} is ${describe(record)}: set key to a field or a template such as "{Name}" (array order is not a stable key)`);
    }
    if (!value) return { key: k, content: record, found: true, ...byOf(record) };
    const content = getField(record, value);
    return { key: k, content: content ?? null, found: content !== undefined, ...byOf(record) };
  });
  if (value && out.length > 0 && !out.some((r) => r.found)) fail(`: no record has the value field "${selection.value}"`);
  return out.map(({ key: k, content, by }) => ({ key: k, content, ...(by !== undefined ? { by } : {}) }));
}

/** A key expression: a template when it holds "{...}", else one field path. */
function compileKey(expression: string, fail: Fail): (record: unknown, where: string) => string {
  const parts = expression.includes('{') ? expression.split(/(\{[^{}]*\})/) : [`{${expression}}`];
  const compiled = parts.map((part) => {
    if (part.startsWith('{') && part.endsWith('}')) return { field: part.slice(1, -1), path: fieldPath(part.slice(1, -1), 'key', fail) };
    if (/[{}]/.test(part)) fail(`: key "${expression}" has an unbalanced "{" or "}"`);
    return part;
  });
  return (record, where) =>
    compiled
      .map((part) => {
        if (typeof part === 'string') return part;
        const found = getField(record, part.path);
        if (typeof found === 'string' || typeof found === 'number' || typeof found === 'boolean') return String(found);
        return fail(`: the record at ${where} ${found === undefined ? 'has no' : `has ${describe(found)} in`} field "${part.field}" (key "${expression}")`);
      })
      .join('');
}

function fieldPath(pattern: string, option: string, fail: Fail): string[] {
  try {
    return parseFieldPattern(pattern);
  } catch (error) {
    return fail(`: ${option} "${pattern}": ${(error as Error).message}`);
  }
}

function getField(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
