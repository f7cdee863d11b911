import { ExactInteger, mayHoldLongIntegers, parseJsonKeepingIntegers } from '../drift/exact-json.js';

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

/**
 * True when `text` is exactly the canonical form of the value it parses to. `parsed`, when given,
 * must be `JSON.parse(text)` (a caller that parsed the text already saves parsing it again).
 *
 * Fast path, same verdict: when JSON.parse reads the text exactly (no long integers) and no object
 * has an array-index key (which JavaScript orders before the others), the text is canonical iff
 * every object's keys, in text order, are sorted and `JSON.stringify(value, null, 2)` reproduces
 * it; native stringify is several times faster than `canonicalJson`. Otherwise the value is
 * serialised canonically and compared.
 */
export function isCanonicalJson(text: string, parsed?: unknown): boolean {
  try {
    if (!mayHoldLongIntegers(text)) {
      const value = parsed === undefined ? JSON.parse(text) : parsed;
      const order = keyOrder(value);
      if (order === 'unsorted') return false;
      if (order === 'sorted') return `${JSON.stringify(value, null, 2)}\n` === text;
    }
    return canonicalJson(parseJsonKeepingIntegers(text)) === text;
  } catch {
    return false;
  }
}

const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

/** Whether every object in `value` has its keys in sorted order; 'index-keys' when some key is an array index. */
function keyOrder(value: unknown): 'sorted' | 'unsorted' | 'index-keys' {
  if (value === null || typeof value !== 'object') return 'sorted';
  if (Array.isArray(value)) {
    for (const item of value) {
      const order = keyOrder(item);
      if (order !== 'sorted') return order;
    }
    return 'sorted';
  }
  const record = value as Record<string, unknown>;
  let previous: string | undefined;
  for (const key of Object.keys(record)) {
    if (ARRAY_INDEX.test(key) && Number(key) < 4294967295) return 'index-keys';
    if (previous !== undefined && !(previous < key)) return 'unsorted';
    previous = key;
    const order = keyOrder(record[key]);
    if (order !== 'sorted') return order;
  }
  return 'sorted';
}
