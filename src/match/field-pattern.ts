/**
 * Field paths inside structured content. A path is a list of segments (object keys, or array
 * indexes written as decimal strings). It is stored as a JSON Pointer (RFC 6901: "/models/primary/name",
 * "~1" for "/" and "~0" for "~") and shown in dotted form ("models.primary.name", "containers[0].image").
 *
 * Field patterns (ignore_fields, and the part after "#" in a severity rule's match) take either form:
 * - a JSON Pointer whose segments may be "*" (any one segment) or "**" (any number of segments),
 *   and may hold globs ("/metadata/annotations/kubectl.kubernetes.io~1*");
 * - a dotted path ("metadata.annotations.*", "spec.containers[*].image", "**.timestamp").
 * Items of lists matched by key (Kubernetes lists merged by key, see drift/list-keys.ts) have the
 * segment `[field=value]`, written so in patterns too: "spec.template.spec.containers[name=web].image".
 * A pattern matches a field and everything below it.
 */
export type FieldPath = string[];

export function toPointer(path: readonly string[]): string {
  return path.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function fromPointer(pointer: string): FieldPath {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON Pointer: ${pointer} (it must start with "/")`);
  const bad = /~(?![01])/.exec(pointer);
  if (bad) throw new Error(`has the invalid escape "${pointer.slice(bad.index, bad.index + 2)}" in JSON Pointer ${pointer} (only ~0 for "~" and ~1 for "/" exist)`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** True when `segment` is a keyed list item's segment (`[name=web]`). */
export function isKeyedSegment(segment: string): boolean {
  return segment.length > 2 && segment.startsWith('[') && segment.endsWith(']') && segment.includes('=');
}

const PLAIN_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Dotted display form: `models.primary.name`, `spec.containers[0].image`, `labels["app.kubernetes.io/name"]`. */
export function displayPath(pointer: string): string {
  const path = fromPointer(pointer);
  if (path.length === 0) return '(whole value)';
  let out = '';
  for (const segment of path) {
    if (/^(0|[1-9][0-9]*)$/.test(segment)) out += `[${segment}]`;
    else if (isKeyedSegment(segment)) out += segment;
    else if (PLAIN_SEGMENT.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Splits a field pattern (pointer or dotted form) into segment patterns. */
export function parseFieldPattern(pattern: string): string[] {
  const p = pattern.trim();
  if (p === '') throw new Error('a field pattern must not be empty');
  if (p.startsWith('/')) return fromPointer(p);
  const segments: string[] = [];
  let i = 0;
  let current = '';
  const flush = (): void => {
    if (current !== '') segments.push(current);
    current = '';
  };
  while (i < p.length) {
    const c = p[i];
    if (c === '.') {
      flush();
      i++;
    } else if (c === '[') {
      flush();
      const end = p.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed "[" in field pattern ${pattern}`);
      let inner = p.slice(i + 1, end);
      if (/^".*"$/.test(inner)) inner = JSON.parse(inner) as string;
      else if (inner.includes('=')) inner = `[${inner}]`;
      segments.push(inner);
      i = end + 1;
    } else {
      current += c;
      i++;
    }
  }
  flush();
  if (segments.length === 0) throw new Error(`field pattern ${pattern} names no field`);
  return segments;
}

/** A compiled set of field patterns: is this path (or one of its ancestors) matched? */
export type FieldMatcher = (path: readonly string[]) => boolean;

export function createFieldMatcher(patterns: readonly string[]): FieldMatcher {
  if (patterns.length === 0) return () => false;
  const compiled = patterns.map((pattern) => parseFieldPattern(pattern).map((segment) => (segment === '**' ? '**' : segment.includes('*') || segment.includes('?') ? segmentGlob(segment) : segment)));
  return (path) => compiled.some((segments) => matchPrefix(segments, path, 0, 0));
}

type SegmentMatcher = string | ((s: string) => boolean);

/** True when the pattern segments match a prefix of `path` (a match of a field covers what is below it). */
function matchPrefix(segments: readonly SegmentMatcher[], path: readonly string[], si: number, pi: number): boolean {
  if (si === segments.length) return true;
  const segment = segments[si];
  if (segment === '**') {
    for (let k = pi; k <= path.length; k++) if (matchPrefix(segments, path, si + 1, k)) return true;
    return false;
  }
  if (pi === path.length) return false;
  const ok = typeof segment === 'string' ? segment === path[pi] : segment(path[pi]);
  return ok && matchPrefix(segments, path, si + 1, pi + 1);
}

/**
 * A glob for one path segment: `*` is any run of characters and `?` one character, including "."
 * and "/" (a segment is a whole object key, such as "kubectl.kubernetes.io/last-applied-configuration").
 */
export function segmentGlob(pattern: string): (segment: string) => boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return (segment) => re.test(segment);
}

/** Checks a field pattern; a readable reason when it is not usable. */
export function checkFieldPattern(pattern: string): string | undefined {
  try {
    createFieldMatcher([pattern]);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Where a severity rule's match splits into KEY#FIELD: the first "#" not escaped as "\\#" (a key
 * glob may match a literal "#" written that way). -1 when the pattern names keys only.
 */
export function fieldSeparator(pattern: string): number {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '#') return i;
  }
  return -1;
}
