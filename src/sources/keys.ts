/**
 * Entry keys of non-file sources (image tags, resource addresses, object names) become paths of the
 * sharded manifest tree, where "/" nests. A key must therefore have no empty, "." or ".." segment
 * and no control characters; safeKey rewrites those parts reversibly enough to stay readable and
 * unique: control characters as \uXXXX, and an offending segment "x" as "%x" ("" → "%").
 */
export function safeKey(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text
    .split('/')
    .map((segment) => (segment === '' || segment === '.' || segment === '..' || segment.toLowerCase() === '.git' || segment.startsWith('%') ? `%${segment}` : segment))
    .join('/');
}

/**
 * Makes keys unique in arrival order: the second "x" becomes "x~2", the third "x~3" (docker's
 * "<none>:<none>" images, for example). Returns the keys in the same order.
 */
export function uniqueKeys(keys: readonly string[]): string[] {
  const seen = new Map<string, number>();
  const taken = new Set(keys);
  return keys.map((key) => {
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n === 1) return key;
    let candidate = `${key}~${n}`;
    while (taken.has(candidate)) candidate += '~';
    taken.add(candidate);
    return candidate;
  });
}
