import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import ignore, { type Ignore } from 'ignore';
import type { FilesSourceConfig } from '../config/config.js';
import { createIgnorer } from '../drift/fields.js';
import { contentHash, groupHash, type ManifestEntry, type SourceManifest } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import { createKeyMatcher, normalizeGlob } from '../match/glob.js';
import { decodeFileName, encodeFileName, hasEscapedBytes } from './file-names.js';
import { ContentCache, type CachedContent } from './content-cache.js';
import { describeFsError, type HashResult } from './hash-file.js';
import { hashFiles } from './hash-pool.js';
import type { Source, SourceContext, SourceObservation } from './source.js';
import { createCapturePolicy } from '../capture/capture.js';
import { compileRedaction, redactJson } from '../capture/redact.js';
import { StatCache, type StatRecord } from './stat-cache.js';
import { MAX_STRUCTURED_BYTES, parseStructured, STRUCTURED_PARSER_VERSION, structuredFormat } from './structured-file.js';

/** Never watched, whatever the patterns say: git's own data (the ledger lives there). */
const ALWAYS_IGNORED = ['**/.git', '**/.git/**'];

/**
 * A directory holding HEAD, objects/ and refs/ is a git directory (a bare repository, or a `.git`
 * under another name): never watched, bare or not.
 */
function isGitDirListing(entries: readonly { name: string | Buffer; isDirectory(): boolean }[]): boolean {
  let found = 0;
  for (const entry of entries) {
    const name = entry.name.toString();
    if (name === 'HEAD' ? !entry.isDirectory() : (name === 'objects' || name === 'refs') && entry.isDirectory()) found++;
  }
  return found === 3;
}

export function isGitDirectory(dir: string): boolean {
  try {
    return isGitDirListing(fs.readdirSync(dir, { withFileTypes: true }));
  } catch {
    return false;
  }
}

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
  path: string | Buffer;
  size: number;
  record: StatRecord;
  settle(result: HashResult, record: StatRecord): void;
}

async function observeFiles(config: FilesSourceConfig, context: SourceContext): Promise<SourceObservation> {
  const scanStartMs = Date.now();
  if (!existsSync(config.root) || !statSync(config.root).isDirectory()) {
    throw new DriftError('SOURCE_FAILED', `source "${config.name}": root ${config.root} is not a directory`, { data: { source: config.name } });
  }
  if (isGitDirectory(config.root)) {
    throw new DriftError('SOURCE_FAILED', `source "${config.name}": root ${config.root} is a git directory (HEAD, objects/, refs/), which is never watched: set "root" to a checkout of the files to watch`, {
      data: { source: config.name },
    });
  }
  const groups = listGroups(config);
  let paths = await listFiles(config);
  if (groups.length > 0) {
    const inGroup = insideOneOf(groups.map((group) => group.dir));
    paths = paths.filter((p) => !inGroup(p));
  }
  const listed = groups.reduce((n, group) => n + group.members.length, paths.length);
  context.onProgress?.({ phase: 'scan', source: config.name, done: listed, total: listed });

  const cache = StatCache.load(path.join(context.cacheDir, `${config.name}.statcache`), config.root, context.warn);
  const structured = createKeyMatcher(config.structured);
  const contentCacheFile = path.join(context.cacheDir, `${config.name}.contentcache`);
  const contents = config.structured.length > 0 ? ContentCache.load(contentCacheFile, contentFingerprint(config), context.warn) : undefined;
  if (contents === undefined) rmSync(contentCacheFile, { force: true }); // left by an earlier config
  const ignorer = createIgnorer(config.ignoreFields, createKeyMatcher);
  const capturing = config.capture && config.capture.globs.length > 0 ? createKeyMatcher(config.capture.globs) : undefined;
  const redactions = (config.capture?.redact ?? []).map((source) => compileRedaction(source));
  // `paths` is sorted, so entries (and the cache records) are built in key order; groups are sorted in at the end.
  const entries: SourceManifest = new Map();
  const jobs: HashJob[] = [];
  const records: [string, StatRecord][] = [];
  const prefix = config.root.endsWith(path.sep) ? config.root : config.root + path.sep;
  // Keys with escaped bytes (see file-names.ts) name files whose names are not UTF-8: use their bytes.
  const absolute = (key: string): string | Buffer =>
    hasEscapedBytes(key) ? Buffer.concat([Buffer.from(prefix), encodeFileName(key)]) : path.sep === '/' ? prefix + key : path.join(config.root, key);
  let reused = 0;
  let errors = 0;

  /** The bytes' sha256 from the stat cache now, or from the hash pool later. */
  const hashRegular = (key: string, abs: string | Buffer, st: Stats, settle: HashJob['settle']): void => {
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
  const structuredEntry = (key: string, abs: string | Buffer, mode: string, raw: { sha256: string; size: number }, record: StatRecord): ManifestEntry => {
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
    if (capturing?.(key)) {
      // Captured content is redacted, structured content too (it is stored in the shard).
      const redacted = redactJson(result.content, redactions);
      if (redacted.count > 0) return { type: 'file', sha256: contentHash(redacted.value), mode, content: redacted.value };
    }
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
        const target = readlinkSync(abs, { encoding: 'buffer' });
        entries.set(key, { type: 'symlink', target: decodeFileName(target), sha256: sha256(target), size: target.length });
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
  const blobs = config.capture && config.capture.globs.length > 0 ? captureContent(config, entries, absolute) : undefined;
  return { entries, ...(blobs ? { blobs } : {}), stats: { entries: entries.size, hashed: jobs.length, reused, errors } };
}

/**
 * Adds `blob`/`redacted` (or `capture`, the reason not to) to every readable regular file entry,
 * per the source's capture config, and returns the captured bytes by blob id. Captured files are
 * read again here (they are few and small); a plain file whose bytes changed since it was hashed
 * is described by the bytes read, so an unredacted blob always matches the entry's sha256.
 */
function captureContent(config: FilesSourceConfig, entries: SourceManifest, absolute: (key: string) => string | Buffer): Map<string, Buffer> {
  const policy = createCapturePolicy(config.capture as NonNullable<FilesSourceConfig['capture']>);
  const blobs = new Map<string, Buffer>();
  for (const [key, entry] of entries) {
    if (entry.type !== 'file' || entry.error !== undefined || entry.sha256 === undefined) continue;
    const decision = policy.decide(key, entry.size ?? 0);
    if (!decision.capture) {
      entry.capture = decision.reason;
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(absolute(key));
    } catch {
      continue; // vanished or unreadable since it was hashed: its entry stands, without content
    }
    if (entry.content === undefined && entry.size !== undefined) {
      const actual = sha256(bytes);
      if (actual !== entry.sha256) {
        entry.sha256 = actual;
        entry.size = bytes.length;
      }
    }
    const captured = policy.capture(bytes);
    if ('reason' in captured) {
      entry.capture = captured.reason;
      continue;
    }
    entry.blob = captured.oid;
    if (captured.redacted > 0) entry.redacted = captured.redacted;
    blobs.set(captured.oid, captured.bytes);
  }
  return blobs;
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
  absolute: (key: string) => string | Buffer,
  hashRegular: (key: string, abs: string | Buffer, st: Stats, settle: HashJob['settle']) => void,
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
          state.files.set(member, `symlink:${sha256(readlinkSync(abs, { encoding: 'buffer' }))}`);
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
  const { rules, prune, filter, pruneWhileListing } = ignoreRules(config);
  const notes: WalkNotes = { unlistable: [], awkward: [], prune: pruneWhileListing ? filter : undefined };
  // A trailing "/" only says "directory" here: every group glob names directories.
  const patterns = config.groups.map((glob) => normalizeGlob(glob.trim().replace(/\/+$/, '')));
  const found = fg.sync(patterns, {
    cwd: config.root,
    dot: true,
    onlyDirectories: true,
    followSymbolicLinks: false,
    unique: true,
    suppressErrors: true,
    ignore: [...ALWAYS_IGNORED, ...prune],
    fs: { readdirSync: guardedReaddir(config.root, notes) },
  });
  throwIfUnlistable(config, notes.unlistable);
  const listed = rules.length > 0 ? found.filter((dir) => !filter.ignores(`${dir}/`)) : found;
  const awkward = listAwkward(config, notes.awkward, rules.length > 0 ? filter : undefined, config.groups.map((glob) => glob.trim().replace(/\/+$/, '')), 'directories');
  const matched = [...new Set([...listed, ...awkward])].sort();
  const outermost: string[] = [];
  const inKept = insideOneOf(outermost);
  for (const dir of matched) if (!inKept(dir)) outermost.push(dir);
  return outermost.map((dir) => listGroupMembers(config, dir, rules.length > 0 ? filter : undefined));
}

function listGroupMembers(config: FilesSourceConfig, dir: string, filter: PathFilter | undefined): ListedGroup {
  const members: string[] = [];
  let error: string | undefined;
  const walk = (sub: string): void => {
    let dirents: fs.Dirent<Buffer>[];
    try {
      dirents = fs.readdirSync(Buffer.concat([Buffer.from(path.join(config.root, dir)), encodeFileName(sub === '' ? '' : `/${sub}`)]), { withFileTypes: true, encoding: 'buffer' });
    } catch (e) {
      error ??= `${sub || '.'}: cannot list directory: ${describeFsError(e)}`;
      return;
    }
    if (isGitDirListing(dirents)) return;
    for (const dirent of dirents) {
      const name = decodeFileName(dirent.name);
      if (name === '.git') continue;
      const member = sub === '' ? name : `${sub}/${name}`;
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

/** A gitignore filter: `ignores(path)` (a directory path ends with "/"). */
interface PathFilter {
  ignores(path: string): boolean;
}

/**
 * The source's ignore rules: globs for fast-glob to prune early, and the exact gitignore filter.
 * Up to INDEXED_RULES rules, fast-glob prunes with them and the `ignore` package tests every rule
 * per path. Beyond, testing every rule per path grows as files × rules (50,000 rules took minutes):
 * the filter indexes the rules (see indexedFilter), fast-glob gets none, and ignored directories
 * are pruned while listing (guardedReaddir) with the exact filter instead.
 */
function ignoreRules(config: FilesSourceConfig): { rules: string[]; prune: string[]; filter: PathFilter; pruneWhileListing: boolean } {
  const rules = [...config.ignore, ...config.driftignore];
  if (rules.length > INDEXED_RULES) return { rules, prune: [], filter: indexedFilter(config.name, rules), pruneWhileListing: true };
  const negated = rules.some((rule) => rule.startsWith('!'));
  // fast-glob prunes ignored directories early; with negations only the exact filter can decide.
  const prune = negated ? [] : rules.map((rule) => normalizeGlob(rule.replace(/^\\/, '')));
  return { rules, prune, filter: ignore().add(rules), pruneWhileListing: false };
}

const INDEXED_RULES = 64;
/** Rules without a literal path segment are tested for every path: at most this many. */
export const MAX_UNINDEXED_IGNORE_RULES = 2000;

/**
 * The same decisions as `ignore().add(rules)`, in time that does not grow with the number of
 * rules: a rule with a literal path segment (`build7/**`, `/dist/gen`, `cache/`) can only
 * match a path (or a parent of it) that holds that segment, so rules are indexed by one such
 * segment (lowercased: gitignore matching here ignores case), and a path is tested, in rule
 * order, against the rules indexed under its own segments plus those without a literal segment
 * (`*.log`). Filters are built once per combination of rule groups and reused. More than
 * MAX_UNINDEXED_IGNORE_RULES rules without a literal segment is a source error.
 */
function indexedFilter(source: string, rules: string[]): PathFilter {
  const general: number[] = [];
  const bySegment = new Map<string, number[]>();
  rules.forEach((rule, i) => {
    const segment = literalSegment(rule);
    if (segment === undefined) general.push(i);
    else {
      const list = bySegment.get(segment);
      if (list) list.push(i);
      else bySegment.set(segment, [i]);
    }
  });
  if (general.length > MAX_UNINDEXED_IGNORE_RULES) {
    throw new DriftError(
      'SOURCE_FAILED',
      `source "${source}": ${general.length} ignore rules have no literal path segment (like "*.log"), at most ${MAX_UNINDEXED_IGNORE_RULES} are supported (each is tested against every path): combine them into fewer patterns`,
      { data: { source, rules: general.length } },
    );
  }
  const filters = new Map<string, Ignore>();
  return {
    ignores(p) {
      let picked: number[] | undefined;
      for (const part of p.toLowerCase().split('/')) {
        const hit = bySegment.get(part);
        if (hit) (picked ??= []).push(...hit);
      }
      const ids = picked ? [...new Set([...general, ...picked])].sort((a, b) => a - b) : general;
      const key = picked ? ids.join(',') : '';
      let filter = filters.get(key);
      if (!filter) filters.set(key, (filter = ignore().add(ids.map((i) => rules[i]))));
      return filter.ignores(p);
    },
  };
}

/** The last path segment of a gitignore rule that is plain text (no wildcards or escapes), lowercased. */
function literalSegment(rule: string): string | undefined {
  if (rule.startsWith('#') || /\s$/.test(rule) || rule.includes('\\')) return undefined;
  const parts = rule.replace(/^!/, '').split('/').filter((part) => part !== '');
  for (let i = parts.length - 1; i >= 0; i--) if (!/[*?[\]]/.test(parts[i])) return parts[i].toLowerCase();
  return undefined;
}

/** A directory entry the glob walker was not shown (see guardedReaddir). */
interface AwkwardEntry {
  /** Root-relative key of the entry. */
  key: string;
  isDirectory: boolean;
}

/** What guardedReaddir saw while fast-glob walked. */
interface WalkNotes {
  /** Directories that could not be listed (permission denied). */
  unlistable: string[];
  /** Entries whose names fast-glob cannot handle (see isAwkwardKey): listed by listAwkward. */
  awkward: AwkwardEntry[];
  /** When set, directories it ignores are not shown to fast-glob (see ignoreRules). */
  prune?: PathFilter;
}

/** Keys fast-glob cannot list: its `*` never matches line terminators, and it sees bytes that are not UTF-8 as U+FFFD. */
function isAwkwardKey(key: string): boolean {
  return /[\n\r\u2028\u2029]/.test(key) || hasEscapedBytes(key);
}

/**
 * readdirSync for fast-glob, noting directories it cannot list (fast-glob would silently skip
 * them); hiding the contents of git directories; and taking out of its sight the entries whose
 * names it cannot handle, noted in `notes.awkward` for listAwkward.
 */
function guardedReaddir(root: string, notes: WalkNotes): never {
  return ((dir: string, ...rest: unknown[]) => {
    let listed: unknown;
    try {
      listed = (fs.readdirSync as (...args: unknown[]) => unknown)(dir, ...rest);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') notes.unlistable.push(path.relative(root, dir) || '.');
      throw error;
    }
    if (!Array.isArray(listed)) return listed;
    let list: unknown[] = listed;
    const nameOf = (d: unknown): string => (typeof d === 'string' ? d : String((d as { name: unknown }).name));
    const names = list.map(nameOf);
    if (names.includes('HEAD') && isGitDirListing(list.filter((d): d is fs.Dirent => typeof d === 'object' && d !== null && 'isDirectory' in d))) return [];
    if (notes.prune) {
      const base = path.relative(root, dir).split(path.sep).join('/');
      const prune = notes.prune;
      const isDir = (d: unknown): boolean => typeof d === 'object' && d !== null && typeof (d as fs.Dirent).isDirectory === 'function' && (d as fs.Dirent).isDirectory();
      list = list.filter((d) => !isDir(d) || !prune.ignores(`${base ? `${base}/` : ''}${nameOf(d)}/`));
    }
    if (!names.some((n) => /[\n\r\u2028\u2029\uFFFD]/.test(n))) return list;
    // Some name is awkward, or was not UTF-8: list the bytes to tell which.
    const relative = path.relative(root, dir).split(path.sep).join('/');
    const raw = fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    const hidden = new Set<string>();
    const awkward = raw.filter((d) => isAwkwardKey(decodeFileName(d.name)));
    for (const d of awkward) hidden.add(d.name.toString('utf8'));
    // A UTF-8 name equal to the lossy form of another name is hidden too, and listed by its bytes.
    for (const d of raw) {
      if (!hidden.has(d.name.toString('utf8'))) continue;
      const name = decodeFileName(d.name);
      notes.awkward.push({ key: relative ? `${relative}/${name}` : name, isDirectory: d.isDirectory() });
    }
    return list.filter((d) => !hidden.has(nameOf(d)));
  }) as never;
}

/**
 * The files (or, for group patterns, the directories) among and below the awkward entries that the
 * patterns select and no ignore rule drops, by escaped key; never inside a git directory. Patterns
 * match them with the matchers every glob uses (match/glob.ts), where every character of a name
 * counts, line terminators included.
 */
function listAwkward(config: FilesSourceConfig, awkward: AwkwardEntry[], filter: PathFilter | undefined, patterns: readonly string[] = config.watch, kind: 'files' | 'directories' = 'files'): string[] {
  if (awkward.length === 0) return [];
  const matches = createKeyMatcher(patterns);
  const wantDirectories = kind === 'directories';
  const selected = (key: string): boolean => matches(key) && !key.split('/').includes('.git') && !filter?.ignores(wantDirectories ? `${key}/` : key);
  const out: string[] = [];
  const enter = (key: string): void => {
    if (key.split('/').includes('.git') || filter?.ignores(`${key}/`)) return;
    if (wantDirectories && selected(key)) out.push(key);
    let dirents: fs.Dirent<Buffer>[];
    try {
      dirents = fs.readdirSync(Buffer.concat([Buffer.from(config.root + path.sep), encodeFileName(key)]), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      if (!wantDirectories) out.push(key); // recorded as an entry error when it is observed
      return;
    }
    if (isGitDirListing(dirents)) return;
    for (const d of dirents) {
      const child = `${key}/${decodeFileName(d.name)}`;
      if (d.isDirectory()) enter(child);
      else if (!wantDirectories && selected(child)) out.push(child);
    }
  };
  for (const entry of awkward) {
    if (entry.isDirectory) enter(entry.key);
    else if (!wantDirectories && selected(entry.key)) out.push(entry.key);
  }
  return out;
}

function throwIfUnlistable(config: FilesSourceConfig, unlistable: string[]): void {
  if (unlistable.length === 0) return;
  throw new DriftError(
    'SOURCE_FAILED',
    `source "${config.name}": cannot list directory ${unlistable.sort().join(', ')} (permission denied): fix its permissions or add it to ignore, so that its files are not reported as removed`,
    { data: { source: config.name, directories: unlistable } },
  );
}

/** A path with an empty, "." or ".." segment. */
const NOT_BELOW_ROOT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** Every path under the root that the watch patterns select and no ignore rule drops. */
export async function listFiles(config: FilesSourceConfig): Promise<string[]> {
  const { rules, prune, filter, pruneWhileListing } = ignoreRules(config);
  const notes: WalkNotes = { unlistable: [], awkward: [], prune: pruneWhileListing ? filter : undefined };
  // The synchronous walk: on a warm tree, asynchronous readdir only adds callback overhead (30% at 100,000 files).
  const found = fg.sync(config.watch.map(normalizeGlob), {
    cwd: config.root,
    dot: true,
    onlyFiles: false,
    markDirectories: true,
    followSymbolicLinks: false,
    unique: false, // deduplicated below, much faster than fast-glob's own Set
    suppressErrors: true,
    ignore: [...ALWAYS_IGNORED, ...prune],
    fs: { readdirSync: guardedReaddir(config.root, notes) },
  });
  throwIfUnlistable(config, notes.unlistable);
  let files = found.filter((p) => !p.endsWith('/'));
  if (rules.length > 0) files = files.filter((p) => !filter.ignores(p));
  files.push(...listAwkward(config, notes.awkward, rules.length > 0 ? filter : undefined));
  const outside = files.find((p) => NOT_BELOW_ROOT.test(p));
  if (outside !== undefined) {
    // The config refuses such patterns; this guards the ledger against any other way in.
    throw new DriftError('SOURCE_FAILED', `source "${config.name}": the watch patterns selected "${outside}", which is not a path below the root`, { data: { source: config.name } });
  }
  files.sort();
  // Overlapping watch patterns list a path more than once.
  return files.filter((p, i) => i === 0 || p !== files[i - 1]);
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
