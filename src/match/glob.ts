import picomatch from 'picomatch';

/**
 * Glob semantics shared by watch patterns and severity rules, after gitignore and minimatch:
 * `**` spans directories, `*` does not cross `/`, a pattern without `/` matches at any depth,
 * a leading `/` anchors the pattern at the root, and a trailing `/` means "everything below".
 *
 * Every character of a key counts as itself: the compiled expressions match newlines, tabs,
 * carriage returns and any other control character like any other character (picomatch's `**`
 * is built on `.`, which alone would stop at a newline), and a backslash in a key is an ordinary
 * character, never a separator. `/` is the only separator.
 */
export const GLOB_OPTIONS = { dot: true, flags: 's' } as const;
export function normalizeGlob(pattern: string): string {
  let p = pattern.trim();
  if (p.startsWith('./')) p = p.slice(2);
  let anchored = false;
  if (p.startsWith('/')) {
    anchored = true;
    p = p.replace(/^\/+/, '');
  }
  // A trailing "/" names a directory: match everything below it. It does not count as a separator.
  const directory = p.endsWith('/');
  const body = directory ? p.replace(/\/+$/, '') : p;
  p = directory ? `${body}/**` : body;
  if (!anchored && !body.includes('/')) p = `**/${p}`;
  return p;
}

export type KeyMatcher = (key: string) => boolean;

/** A matcher that is true when any of the patterns matches the key (a POSIX relative path). */
export function createKeyMatcher(patterns: readonly string[]): KeyMatcher {
  if (patterns.length === 0) return () => false;
  const matchers = patterns.map((pattern) => picomatch(normalizeGlob(pattern), GLOB_OPTIONS));
  return (key) => matchers.some((match) => match(key));
}

/** Throws a readable message when the pattern is not a usable glob. */
export function checkGlob(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'must not be empty';
  try {
    picomatch.makeRe(normalizeGlob(pattern), GLOB_OPTIONS);
    return undefined;
  } catch (error) {
    return `is not a valid glob (${(error as Error).message})`;
  }
}
