import * as fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { createKeyMatcher, GLOB_OPTIONS, normalizeGlob } from './glob.js';

/**
 * Lists the paths under a root that glob patterns select, with the same matchers as every other
 * glob in driftctl (see glob.ts), so that a name holding a newline, a tab or a backslash is
 * selected by `config/**` exactly like any other name. Directories no pattern can reach below are
 * not read. Paths are relative to the root with `/` separators; symbolic links are listed as
 * entries and never followed.
 */
export interface WalkOptions {
  root: string;
  /** Globs (watch or group patterns) a listed path must match. */
  patterns: readonly string[];
  /** `files` (default): every non-directory entry; `directories`: directories. */
  kind?: 'files' | 'directories';
  /** Names never listed nor entered, whatever their type (".git": a repository, or a submodule's pointer file). */
  skipNames?: ReadonlySet<string>;
  /** True for a root-relative directory (no trailing slash) to leave out with everything below it. */
  prune?: (dir: string) => boolean;
  /** A directory that could not be read (permission denied, vanished): it is skipped. */
  onUnreadable?: (dir: string, error: NodeJS.ErrnoException) => void;
}

export function walkMatching(options: WalkOptions): string[] {
  const normalized = options.patterns.map(normalizeGlob);
  const matches = createKeyMatcher(options.patterns);
  const mayHoldMatches = createDirectoryFilter(normalized);
  const wantDirectories = options.kind === 'directories';
  const out: string[] = [];
  const walk = (dir: string): void => {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(dir === '' ? options.root : path.join(options.root, dir), { withFileTypes: true });
    } catch (error) {
      options.onUnreadable?.(dir || '.', error as NodeJS.ErrnoException);
      return;
    }
    for (const dirent of dirents) {
      if (options.skipNames?.has(dirent.name)) continue;
      const rel = dir === '' ? dirent.name : `${dir}/${dirent.name}`;
      if (dirent.isDirectory()) {
        if (options.prune?.(rel)) continue;
        if (wantDirectories && matches(rel)) out.push(rel);
        if (mayHoldMatches(rel)) walk(rel);
      } else if (!wantDirectories && matches(rel)) {
        out.push(rel);
      }
    }
  };
  walk('');
  return out;
}

/**
 * Whether anything below a directory can match one of the (normalised) patterns: the directory's
 * segments are matched against the patterns' leading segments, a `**` segment reaching any depth.
 * A pattern whose braces or parentheses hold a `/` cannot be split into segments and keeps every
 * directory.
 */
function createDirectoryFilter(patterns: readonly string[]): (dir: string) => boolean {
  if (patterns.some((p) => /[{(][^})]*\/[^})]*[})]/.test(p))) return () => true;
  const compiled = patterns.map((p) => p.split('/').map((segment) => (segment === '**' ? '**' : picomatch(segment, GLOB_OPTIONS))));
  return (dir) => {
    const parts = dir.split('/');
    return compiled.some((segments) => {
      for (let i = 0; i < parts.length; i++) {
        const segment = segments[i];
        if (segment === '**') return true;
        // The pattern's last segment names entries at this depth, not directories to descend into.
        if (segment === undefined || i >= segments.length - 1 || !segment(parts[i])) return false;
      }
      return true;
    });
  };
}
