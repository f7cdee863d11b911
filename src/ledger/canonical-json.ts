/**
 * Canonical JSON: object keys sorted by code unit, two-space indent, a trailing newline.
 * The same value always yields the same bytes, hence the same git object id.
 * Throws on values JSON cannot represent faithfully (undefined inside arrays, NaN, functions).
 */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value, ''), null, 2)}\n`;
}

function sortKeys(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${path || '/'}`);
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      if (item === undefined) throw new TypeError(`canonicalJson: undefined at ${path}/${index}`);
      return sortKeys(item, `${path}/${index}`);
    });
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      out[key] = sortKeys(item, `${path}/${key}`);
    }
    return out;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value} at ${path || '/'}`);
}

/** True when `text` is exactly the canonical form of the value it parses to. */
export function isCanonicalJson(text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}
