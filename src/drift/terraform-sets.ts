import { ExactInteger } from './exact-json.js';
import type { Json } from './manifest.js';

/**
 * Which attributes of a Terraform resource type are sets, from `terraform providers schema -json`.
 * A set path is a list of attribute names where "*" stands for any element of a list, set or map
 * (`["ingress"]`, `["ingress", "*", "cidr_blocks"]` when that were a set too). Plan JSON writes
 * sets as arrays in an order of Terraform's choosing, so their elements are matched by value.
 */
export type SetPaths = Map<string, string[][]>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Set paths inside a cty type (`["set", X]`, `["list", X]`, `["map", X]`, `["object", {...}]`). */
function typePaths(type: unknown, at: string[], out: string[][]): void {
  if (!Array.isArray(type)) return;
  const [kind, inner] = type as [unknown, unknown];
  if (kind === 'set') out.push(at);
  if (kind === 'set' || kind === 'list' || kind === 'map') typePaths(inner, [...at, '*'], out);
  else if (kind === 'object' && isRecord(inner)) for (const [name, t] of Object.entries(inner)) typePaths(t, [...at, name], out);
}

function blockPaths(block: unknown, at: string[], out: string[][]): void {
  if (!isRecord(block)) return;
  for (const [name, attribute] of Object.entries(isRecord(block.attributes) ? block.attributes : {})) {
    if (!isRecord(attribute)) continue;
    if (attribute.type !== undefined) typePaths(attribute.type, [...at, name], out);
    const nested = attribute.nested_type;
    if (isRecord(nested)) {
      const mode = nested.nesting_mode;
      if (mode === 'set') out.push([...at, name]);
      blockPaths(nested, mode === 'single' ? [...at, name] : [...at, name, '*'], out);
    }
  }
  for (const [name, nested] of Object.entries(isRecord(block.block_types) ? block.block_types : {})) {
    if (!isRecord(nested)) continue;
    const mode = nested.nesting_mode;
    if (mode === 'set') out.push([...at, name]);
    blockPaths(nested.block, mode === 'single' || mode === 'group' ? [...at, name] : [...at, name, '*'], out);
  }
}

/** Resource type → its set paths, for every provider in the schema document (an unreadable document gives none). */
export function setPathsFromSchema(doc: unknown): SetPaths {
  const out: SetPaths = new Map();
  const providers = isRecord(doc) && isRecord(doc.provider_schemas) ? doc.provider_schemas : {};
  for (const provider of Object.values(providers)) {
    if (!isRecord(provider) || !isRecord(provider.resource_schemas)) continue;
    for (const [type, schema] of Object.entries(provider.resource_schemas)) {
      const paths: string[][] = [];
      if (isRecord(schema)) blockPaths(schema.block, [], paths);
      out.set(type, paths);
    }
  }
  return out;
}

/** A set element's identity for matching: `[=<value>]` for a short value, else `[=#<digest>]` of its canonical JSON. */
export function elementSegment(value: Json, canonical: string): string {
  const text = canonical.replace(/\n\s*/g, '');
  if (text.length <= 40) return `[=${typeof value === 'string' ? value : text}]`;
  let h = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) h = Math.imul(h ^ canonical.charCodeAt(i), 0x01000193) >>> 0;
  return `[=#${h.toString(16).padStart(8, '0')}]`;
}

/** True when a content path (attribute names, indexes, element segments) is one of the set paths. */
function isSetPath(sets: readonly (readonly string[])[], path: readonly string[]): boolean {
  return sets.some((set) => set.length === path.length && set.every((s, i) => s === '*' || s === path[i]));
}

/**
 * Diff matching for a Terraform pair: the elements of a set (of every list when `sets` is
 * undefined: no provider schema, so any list may be a set) by value. Undefined for a list that
 * is not a set, or whose elements repeat (then it is compared by position).
 */
export function terraformListItems(sets: readonly (readonly string[])[] | undefined, canonical: (value: Json) => string): (path: readonly string[], items: readonly Json[]) => Map<string, Json> | undefined {
  return (path, items) => {
    if (sets && !isSetPath(sets, path)) return undefined;
    const out = new Map<string, Json>();
    for (const item of items) {
      const segment = elementSegment(item, canonical(item));
      if (out.has(segment)) return undefined;
      out.set(segment, item);
    }
    return out;
  };
}

/** `value` with the elements of every set path sorted by their canonical JSON (Terraform's set order carries no meaning). */
export function sortSets(value: Json, sets: readonly (readonly string[])[], canonical: (value: Json) => string, at: string[] = []): Json {
  if (Array.isArray(value)) {
    const items = value.map((item, i) => sortSets(item, sets, canonical, [...at, String(i)]));
    if (!isSetPath(sets, at)) return items;
    return items.map((item) => [canonical(item), item] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
  }
  if (value !== null && typeof value === 'object' && !(value instanceof ExactInteger)) {
    const record = value as { [key: string]: Json };
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(record)) Object.defineProperty(out, key, { value: sortSets(item, sets, canonical, [...at, key]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}
