import { ExactInteger, parseJsonKeepingIntegers } from '../drift/exact-json.js';

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit (all keys alike: "10" sorts before "2",
 * and "__proto__" is an ordinary key), two-space indent, a trailing newline. It equals
 * `JSON.stringify(value, null, 2) + "\n"` with keys in that order. The same value always yields
 * the same bytes, hence the same git object id. Throws on values JSON cannot represent faithfully
 * (undefined inside arrays, NaN, Infinity, functions, bigints); undefined object fields are omitted.
 * An ExactInteger is written as its digits (a JSON number that JSON.parse would round).
 */
export function canonicalJson(value: unknown): string {
  return `${serialize(value, '', '')}\n`;
}

function serialize(value: unknown, indent: string, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${path || '/'}`);
      return JSON.stringify(value);
    case 'object':
      if (value instanceof ExactInteger) return value.digits;
      break;
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value} at ${path || '/'}`);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item, index) => {
      if (item === undefined) throw new TypeError(`canonicalJson: undefined at ${path}/${index}`);
      return inner + serialize(item, inner, `${path}/${index}`);
    });
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  if (keys.length === 0) return '{}';
  const fields = keys.map((key) => `${inner}${JSON.stringify(key)}: ${serialize(record[key], inner, `${path}/${key}`)}`);
  return `{\n${fields.join(',\n')}\n${indent}}`;
}

/** True when `text` is exactly the canonical form of the value it parses to. */
export function isCanonicalJson(text: string): boolean {
  try {
    return canonicalJson(parseJsonKeepingIntegers(text)) === text;
  } catch {
    return false;
  }
}
