import { ExactInteger, fromBigInt } from './exact-json.js';
import type { Json } from './manifest.js';
import { createFieldMatcher, toPointer, type FieldMatcher } from '../match/field-pattern.js';

export interface FieldChange {
  /** JSON Pointer of the field. */
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: Json;
  after?: Json;
}

/**
 * A JSON value with the matched fields removed, object keys in sorted order and values that JSON
 * cannot hold dropped (undefined) or made null (non-finite numbers); a bigint becomes a number
 * when safe, else an ExactInteger: the normalised content that structured entries store and hash.
 */
export function normalizeContent(value: unknown, ignore?: FieldMatcher): Json {
  return normalizeAt(value, [], ignore) ?? null;
}

function normalizeAt(value: unknown, path: string[], ignore: FieldMatcher | undefined): Json | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return fromBigInt(value);
    case 'object':
      if (value instanceof ExactInteger) return value;
      break;
    default:
      return undefined;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) {
    const out: Json[] = [];
    value.forEach((item, index) => {
      path.push(String(index));
      if (!(ignore && ignore(path))) out.push(normalizeAt(item, path, ignore) ?? null);
      path.pop();
    });
    return out;
  }
  if (value instanceof Map) return normalizeAt(Object.fromEntries(value), path, ignore);
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(value as object).sort()) {
    path.push(key);
    if (!(ignore && ignore(path))) {
      const item = normalizeAt((value as Record<string, unknown>)[key], path, ignore);
      if (item !== undefined) Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    }
    path.pop();
  }
  return out;
}

/**
 * Every field that differs between two values, in path order: objects are compared key by key,
 * arrays index by index (a shorter array reports its missing tail as removed, a longer one the
 * extra items as added), anything else by value. Identical values give [].
 */
export function diffFields(before: Json | undefined, after: Json | undefined, options: DiffOptions = {}): FieldChange[] {
  const out: FieldChange[] = [];
  diffAt(before, after, [], out, options.listItems, options.pairUnmatched);
  return out;
}

export interface DiffOptions {
  /**
   * With listItems: items matched by key that are equal give nothing, and the unmatched ones are
   * paired in order and compared as changed, shown at their index (Terraform sets: a replaced
   * element is one changed element, not a removal and an addition).
   */
  pairUnmatched?: boolean;
  /**
   * Lists matched by key rather than position: the items of the list at `path` by their path
   * segment (such as `[name=web]`), or undefined to compare that list by position. Both sides
   * must be keyed for the list to be matched by key.
   */
  listItems?: (path: readonly string[], items: readonly Json[]) => Map<string, Json> | undefined;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof ExactInteger);
}

function diffAt(before: Json | undefined, after: Json | undefined, path: string[], out: FieldChange[], listItems?: DiffOptions['listItems'], pair = false): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push({ path: toPointer(path), change: 'added', after });
    return;
  }
  if (after === undefined) {
    out.push({ path: toPointer(path), change: 'removed', before });
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      path.push(key);
      diffAt(Object.hasOwn(before, key) ? before[key] : undefined, Object.hasOwn(after, key) ? after[key] : undefined, path, out, listItems, pair);
      path.pop();
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const keyedBefore = listItems?.(path, before);
    const keyedAfter = keyedBefore && listItems?.(path, after);
    if (keyedBefore && keyedAfter && pair) {
      // Keys are in item order (a keyed list has no repeated key).
      const gone = [...keyedBefore.keys()].flatMap((key, i) => (keyedAfter.has(key) ? [] : [[before[i], i] as const]));
      const added = [...keyedAfter.keys()].flatMap((key, i) => (keyedBefore.has(key) ? [] : [[after[i], i] as const]));
      const n = Math.max(gone.length, added.length);
      for (let k = 0; k < n; k++) {
        path.push(String(k < added.length ? added[k][1] : gone[k][1]));
        diffAt(k < gone.length ? gone[k][0] : undefined, k < added.length ? added[k][0] : undefined, path, out, listItems, pair);
        path.pop();
      }
      return;
    }
    if (keyedBefore && keyedAfter) {
      for (const segment of new Set([...keyedBefore.keys(), ...keyedAfter.keys()])) {
        path.push(segment);
        diffAt(keyedBefore.get(segment), keyedAfter.get(segment), path, out, listItems, pair);
        path.pop();
      }
      return;
    }
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) {
      path.push(String(i));
      diffAt(i < before.length ? before[i] : undefined, i < after.length ? after[i] : undefined, path, out, listItems, pair);
      path.pop();
    }
    return;
  }
  // Two objects or two arrays were compared above; anything else is equal only as the same scalar.
  const same = before instanceof ExactInteger && after instanceof ExactInteger ? before.digits === after.digits : before === after;
  if (!same) out.push({ path: toPointer(path), change: 'changed', before, after });
}

/** A short one-line rendering of a value for reports: strings quoted, long values cut. */
export function showValue(value: Json | undefined, max = 80): string {
  if (value === undefined) return '(absent)';
  const text = value instanceof ExactInteger ? value.digits : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The field matcher for one entry key from a source's `ignore_fields` rules (rules without `keys`
 * apply to every key); undefined when nothing is ignored for that key.
 */
/** The fields to leave out of one key's content (undefined: none). */
export type Ignorer = (key: string) => FieldMatcher | undefined;

export function createIgnorer(rules: readonly { keys?: string[]; fields: string[] }[], keyMatcher: (globs: readonly string[]) => (key: string) => boolean): Ignorer {
  if (rules.length === 0) return () => undefined;
  const compiled = rules.map((rule) => ({ keys: rule.keys ? keyMatcher(rule.keys) : undefined, fields: rule.fields }));
  const everyKey = compiled.filter((r) => !r.keys).flatMap((r) => r.fields);
  const shared = everyKey.length > 0 ? createFieldMatcher(everyKey) : undefined;
  const keyed = compiled.filter((r) => r.keys);
  if (keyed.length === 0) return () => shared;
  const memo = new Map<string, FieldMatcher | undefined>();
  return (key) => {
    const fields = keyed.filter((r) => (r.keys as (key: string) => boolean)(key)).flatMap((r) => r.fields);
    if (fields.length === 0) return shared;
    const id = fields.join('\u0000');
    if (!memo.has(id)) memo.set(id, createFieldMatcher([...everyKey, ...fields]));
    return memo.get(id);
  };
}

