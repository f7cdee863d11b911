import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { FilesSourceConfig } from '../config/config.js';
import { createIgnorer } from '../drift/fields.js';
import { groupHash, type ManifestEntry, type SourceManifest } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import { createKeyMatcher } from '../match/glob.js';
import { walkMatching } from '../match/walk.js';
import { ContentCache, type CachedContent } from './content-cache.js';
import { describeFsError, type HashResult } from './hash-file.js';
import { hashFiles } from './hash-pool.js';
import type { Source, SourceContext, SourceObservation } from './source.js';
import { StatCache, type StatRecord } from './stat-cache.js';
import { MAX_STRUCTURED_BYTES, parseStructured, STRUCTURED_PARSER_VERSION, structuredFormat } from './structured-file.js';

/** Never watched, whatever the patterns say: git's own data (the ledger lives there). */
/** Names never listed nor entered. */
const ALWAYS_IGNORED: ReadonlySet<string> = new Set(['.git']);

/**
 * Files matched by globs under a root. Key: the path relative to the root with "/" separators.
 * Regular files are recorded by the sha256 of their bytes, size and permission bits; symlinks by
 * their target (never followed); unreadable files as entries with an `error`.
 *
 * Structured files (watched files whose key matches a `structured` glob) are parsed as JSON or
 * YAML (see structured-file.ts), normalised with the source's `ignore_fields` for that key, and
 * recorded as `{ type: 'file', sha256: contentHash(content), mode, content }`: no `size`, because
 * the byte size changes with formatting, which is not drift. A structured file that does not parse
 * (syntax error, duplicate key, binary, not UTF-8, over 16 MiB) is recorded like a plain file (the
 * sha256 of its bytes and its size), so a file that stops parsing shows as changed, without field
 * detail. Parsed results are cached by raw-bytes hash (content-cache.ts): unchanged files are never
 * parsed again, and a changed one is parsed on the main thread after it was hashed.
 *
 * Directory groups (`groups` globs, matched against directory paths relative to the root) become
 * one `dir` entry each, keyed by the directory path: see observeGroups.
 */
export function createFilesSource(config: FilesSourceConfig): Source {
  return {
    name: config.name,
    kind: 'files',
    observe: (context) => observeFiles(config, context),
  };
}

/** A file whose stat data missed the cache: hashed in the pool, then `settle` records the result. */
interface HashJob {
  path: string;
  size: number;
  record: StatRecord;
  settle(result: HashResult, record: StatRecord): void;
}

async function observeFiles(config: FilesSourceConfig, context: SourceContext): Promise<SourceObservation> {
  const scanStartMs = Date.now();
  if (!existsSync(config.root) || !statSync(config.root).isDirectory()) {
    throw new DriftError('SOURCE_FAILED', `source "${config.name}": root ${config.root} is not a directory`, { data: { source: config.name } });
  }
  const groups = listGroups(config);
  let paths = await listFiles(config);
  if (groups.length > 0) {
    const inGroup = insideOneOf(groups.map((group) => group.dir));
    paths = paths.filter((p) => !inGroup(p));
  }
  const listed = groups.reduce((n, group) => n + group.members.length, paths.length);
  context.onProgress?.({ phase: 'scan', source: config.name, done: listed, total: listed });

  const cache = StatCache.load(path.join(context.cacheDir, `${config.name}.statcache`), config.root);
  const structured = createKeyMatcher(config.structured);
  const contentCacheFile = path.join(context.cacheDir, `${config.name}.contentcache`);
  const contents = config.structured.length > 0 ? ContentCache.load(contentCacheFile, contentFingerprint(config)) : undefined;
  if (contents === undefined) rmSync(contentCacheFile, { force: true }); // left by an earlier config
  const ignorer = createIgnorer(config.ignoreFields, createKeyMatcher);
  // `paths` is sorted, so entries (and the cache records) are built in key order; groups are sorted in at the end.
  const entries: SourceManifest = new Map();
  const jobs: HashJob[] = [];
  const records: [string, StatRecord][] = [];
  const prefix = config.root.endsWith(path.sep) ? config.root : config.root + path.sep;
  const absolute = path.sep === '/' ? (key: string) => prefix + key : (key: string) => path.join(config.root, key);
  let reused = 0;
  let errors = 0;

  /** The bytes' sha256 from the stat cache now, or from the hash pool later. */
  const hashRegular = (key: string, abs: string, st: Stats, settle: HashJob['settle']): void => {
    const cached = cache.lookup(key, st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode);
    const record: StatRecord = [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode, cached ?? ''];
    records.push([key, record]);
    if (cached === undefined) {
      jobs.push({ path: abs, size: st.size, record, settle });
      return;
    }
    reused++;
    settle({ sha256: cached, size: st.size }, record);
  };

  /** The entry of a structured file whose raw bytes hash to `raw`: from the content cache, else parsed now. */
  const structuredEntry = (key: string, abs: string, mode: string, raw: { sha256: string; size: number }, record: StatRecord): ManifestEntry => {
    const contentCache = contents as ContentCache;
    let result: CachedContent | undefined = contentCache.lookup(key, raw.sha256);
    let { sha256: rawSha, size } = raw;
    if (result === undefined) {
      let bytes: Buffer | undefined;
      if (size <= MAX_STRUCTURED_BYTES) {
        try {
          bytes = readFileSync(abs);
        } catch (error) {
          errors++;
          return { type: 'file', mode, error: describeFsError(error) };
        }
        const actual = sha256(bytes);
        if (actual !== rawSha) {
          // Changed since it was hashed: describe the bytes that were parsed, and cache no stat data for them.
          rawSha = actual;
          size = bytes.length;
          record[5] = '';
        }
      }
      const parsed = bytes ? parseStructured(bytes, structuredFormat(key), ignorer(key)) : { unparsable: 'too large' };
      result = 'unparsable' in parsed ? { unparsable: true } : parsed;
      contentCache.remember(key, rawSha, result);
    }
    if ('unparsable' in result) return { type: 'file', sha256: rawSha, size, mode };
    return { type: 'file', sha256: result.sha256, mode, content: result.content };
  };

  for (const key of paths) {
    const abs = absolute(key);
    let st;
    try {
      st = lstatSync(abs, { throwIfNoEntry: false });
    } catch (error) {
      entries.set(key, { type: 'file', error: describeFsError(error) });
      errors++;
      continue;
    }
    if (st === undefined) continue; // vanished between listing and stat
    const mode = modeString(st.mode);
    if (st.isSymbolicLink()) {
      try {
        const target = readlinkSync(abs);
        entries.set(key, { type: 'symlink', target, sha256: sha256(target), size: Buffer.byteLength(target) });
      } catch (error) {
        entries.set(key, { type: 'symlink', error: describeFsError(error) });
        errors++;
      }
      continue;
    }
    if (!st.isFile()) {
      if (st.isDirectory()) continue;
      entries.set(key, { type: 'file', mode, error: 'unsupported file type (not a regular file or symlink)' });
      errors++;
      continue;
    }
    const isStructured = contents !== undefined && structured(key);
    if (!isStructured) {
      // The common case, kept lean (100,000 files per check): a plain file the stat cache knows.
      const cached = cache.lookup(key, st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode);
      if (cached !== undefined) {
        records.push([key, [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode, cached]]);
        reused++;
        entries.set(key, { type: 'file', sha256: cached, size: st.size, mode });
        continue;
      }
    }
    // A placeholder keeps the key's place in the map until the hash is known.
    entries.set(key, { type: 'file', mode });
    hashRegular(key, abs, st, (result, record) => {
      if ('error' in result) {
        entries.set(key, { type: 'file', mode, error: result.error });
        errors++;
      } else if (isStructured) {
        entries.set(key, structuredEntry(key, abs, mode, result, record));
      } else {
        entries.set(key, { type: 'file', sha256: result.sha256, size: result.size, mode });
      }
    });
  }

  const finishGroups = observeGroups(groups, absolute, hashRegular);

  const results = await hashFiles(jobs, (done) => context.onProgress?.({ phase: 'hash', source: config.name, done, total: jobs.length }));
  jobs.forEach((job, i) => {
    const result = results[i];
    // Cache only what was read from the file as it was stat'ed.
    if (!('error' in result) && result.size === job.size) job.record[5] = result.sha256;
    job.settle(result, job.record);
  });

  if (groups.length > 0) {
    for (const [key, entry] of finishGroups()) {
      entries.set(key, entry);
      if (entry.error !== undefined) errors++;
    }
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    entries.clear();
    for (const [key, entry] of sorted) entries.set(key, entry);
  }
  for (const [key, record] of records) if (record[5] !== '') cache.remember(key, record);
  cache.save(scanStartMs);
  contents?.save();
  return { entries, stats: { entries: entries.size, hashed: jobs.length, reused, errors } };
}

/** Invalidates the content cache when parsing or the source's ignore_fields rules change. */
function contentFingerprint(config: FilesSourceConfig): string {
  return sha256(JSON.stringify([STRUCTURED_PARSER_VERSION, config.ignoreFields]));
}

// ---------------------------------------------------------------------------------------------
// Directory groups

/** A matched group directory and its files (paths relative to the directory, sorted). */
interface ListedGroup {
  dir: string;
  members: string[];
  /** A subdirectory could not be listed: the group's state is unknown. */
  error?: string;
}

/**
 * Directory groups: every directory (relative to the root, never through a symlink) matched by a
 * `groups` glob and not dropped by `ignore`/`.driftignore` is one `dir` entry keyed by its path:
 * `{ type: 'dir', sha256: groupHash(files), files: { "<path relative to the group>": "<value>" } }`.
 *
 * - A group holds every file below its directory except those the ignore rules drop (and `.git`);
 *   `watch` need not select them, and they are never separate entries. Empty subdirectories do
 *   not count (as in git); an empty matched directory is an entry with `files: {}`.
 * - A value is the sha256 of the file's bytes, or for a symlink "symlink:" + the sha256 of its
 *   target string (links are never followed), so a link and a file never hash alike.
 * - No `mode` and no `size`: the hash depends only on relative paths and contents, never on where
 *   the tree lives, its mtimes or its permissions (the same addon in two checkouts is equal).
 * - Nested matches: the outermost matched directory wins and includes the inner one.
 * - Any member that cannot be read (or a subdirectory that cannot be listed, or a FIFO, socket or
 *   device inside) makes the entry `{ type: 'dir', error: "<member>: <reason>" }`: state unknown.
 *
 * Hashing shares the stat cache and the hash pool with ordinary files (keys are root-relative).
 * Returns a function that builds the group entries once every hash job has settled.
 */
function observeGroups(
  groups: ListedGroup[],
  absolute: (key: string) => string,
  hashRegular: (key: string, abs: string, st: Stats, settle: HashJob['settle']) => void,
): () => [string, ManifestEntry][] {
  const states = groups.map((group) => {
    const state = { dir: group.dir, files: new Map<string, string>(), error: group.error };
    const fail = (member: string, reason: string): void => {
      state.error ??= `${member}: ${reason}`;
    };
    for (const member of group.members) {
      const key = `${group.dir}/${member}`;
      const abs = absolute(key);
      let st;
      try {
        st = lstatSync(abs, { throwIfNoEntry: false });
      } catch (error) {
        fail(member, describeFsError(error));
        continue;
      }
      if (st === undefined || st.isDirectory()) continue; // vanished, or replaced by a directory since listing
      if (st.isSymbolicLink()) {
        try {
          state.files.set(member, `symlink:${sha256(readlinkSync(abs))}`);
        } catch (error) {
          fail(member, describeFsError(error));
        }
      } else if (!st.isFile()) {
        fail(member, 'unsupported file type (not a regular file or symlink)');
      } else {
        hashRegular(key, abs, st, (result) => {
          if ('error' in result) fail(member, result.error);
          else state.files.set(member, result.sha256);
        });
      }
    }
    return state;
  });
  return () =>
    states.map(({ dir, files, error }): [string, ManifestEntry] => {
      if (error !== undefined) return [dir, { type: 'dir', error }];
      // Members were listed in sorted order; hash jobs may settle out of it.
      const sorted = Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      return [dir, { type: 'dir', sha256: groupHash(sorted), files: sorted }];
    });
}

/** The outermost directories matched by the group globs, with their members. */
export function listGroups(config: FilesSourceConfig): ListedGroup[] {
  if (config.groups.length === 0) return [];
  const { rules, filter } = ignoreRules(config);
  const unlistable: string[] = [];
  // A trailing "/" only says "directory" here: every group glob names directories.
  const found = walkMatching({
    root: config.root,
    patterns: config.groups.map((glob) => glob.trim().replace(/\/+$/, '')),
    kind: 'directories',
    skipNames: ALWAYS_IGNORED,
    ...(rules.length > 0 ? { prune: (dir: string) => filter.ignores(`${dir}/`) } : {}),
    onUnreadable: noteUnlistable(unlistable),
  });
  throwIfUnlistable(config, unlistable);
  const matched = found.sort();
  const outermost: string[] = [];
  const inKept = insideOneOf(outermost);
  for (const dir of matched) if (!inKept(dir)) outermost.push(dir);
  return outermost.map((dir) => listGroupMembers(config, dir, rules.length > 0 ? filter : undefined));
}

function listGroupMembers(config: FilesSourceConfig, dir: string, filter: Ignore | undefined): ListedGroup {
  const members: string[] = [];
  let error: string | undefined;
  const walk = (sub: string): void => {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(path.join(config.root, dir, sub), { withFileTypes: true });
    } catch (e) {
      error ??= `${sub || '.'}: cannot list directory: ${describeFsError(e)}`;
      return;
    }
    for (const dirent of dirents) {
      if (dirent.name === '.git') continue;
      const member = sub === '' ? dirent.name : `${sub}/${dirent.name}`;
      if (dirent.isDirectory()) {
        if (!filter?.ignores(`${dir}/${member}/`)) walk(member);
      } else if (!filter?.ignores(`${dir}/${member}`)) {
        members.push(member);
      }
    }
  };
  walk('');
  members.sort();
  return error === undefined ? { dir, members } : { dir, members, error };
}

/**
 * True for paths strictly below one of `dirs` (root-relative). Reads `dirs` on every call, so it
 * also works while the array grows.
 */
function insideOneOf(dirs: readonly string[]): (p: string) => boolean {
  const set = new Set<string>();
  let seen = 0;
  return (p) => {
    for (; seen < dirs.length; seen++) set.add(dirs[seen]);
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (set.has(p.slice(0, i))) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Listing

/**
 * The source's ignore rules (gitignore syntax, `.driftignore` after `ignore`) as one exact filter.
 * A directory the rules exclude is not entered, as git does: nothing below it can be re-included.
 */
function ignoreRules(config: FilesSourceConfig): { rules: string[]; filter: Ignore } {
  const rules = [...config.ignore, ...config.driftignore];
  return { rules, filter: ignore().add(rules) };
}

/** Notes directories that cannot be listed for permission reasons (others vanished meanwhile: skipped). */
function noteUnlistable(unlistable: string[]): (dir: string, error: NodeJS.ErrnoException) => void {
  return (dir, error) => {
    if (error.code === 'EACCES' || error.code === 'EPERM') unlistable.push(dir);
  };
}

function throwIfUnlistable(config: FilesSourceConfig, unlistable: string[]): void {
  if (unlistable.length === 0) return;
  throw new DriftError(
    'SOURCE_FAILED',
    `source "${config.name}": cannot list directory ${unlistable.sort().join(', ')} (permission denied): fix its permissions or add it to ignore, so that its files are not reported as removed`,
    { data: { source: config.name, directories: unlistable } },
  );
}

/** Every path under the root that the watch patterns select and no ignore rule drops. */
export async function listFiles(config: FilesSourceConfig): Promise<string[]> {
  const { rules, filter } = ignoreRules(config);
  const unlistable: string[] = [];
  // The synchronous walk: on a warm tree, asynchronous readdir only adds callback overhead (30% at 100,000 files).
  // Globs are matched by the same matchers as severity rules, so every character of a name counts.
  let files = walkMatching({
    root: config.root,
    patterns: config.watch,
    skipNames: ALWAYS_IGNORED,
    ...(rules.length > 0 ? { prune: (dir: string) => filter.ignores(`${dir}/`) } : {}),
    onUnreadable: noteUnlistable(unlistable),
  });
  throwIfUnlistable(config, unlistable);
  if (rules.length > 0) files = files.filter((p) => !filter.ignores(p));
  return files.sort();
}

const modeStrings = new Map<number, string>();

/** Permission bits in octal ("644"), memoised: a tree has few distinct modes. */
function modeString(mode: number): string {
  const bits = mode & 0o7777;
  let text = modeStrings.get(bits);
  if (text === undefined) modeStrings.set(bits, (text = bits.toString(8)));
  return text;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
