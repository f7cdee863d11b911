import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import ignore from 'ignore';
import type { FilesSourceConfig } from '../config/config.js';
import type { ManifestEntry, SourceManifest } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import { normalizeGlob } from '../match/glob.js';
import { describeFsError } from './hash-file.js';
import { hashFiles } from './hash-pool.js';
import type { Source, SourceContext, SourceObservation } from './source.js';
import { StatCache } from './stat-cache.js';

/** Never watched, whatever the patterns say: git's own data (the ledger lives there). */
const ALWAYS_IGNORED = ['**/.git', '**/.git/**'];

/**
 * Files matched by globs under a root. Key: the path relative to the root with "/" separators.
 * Regular files are recorded by the sha256 of their bytes, size and permission bits; symlinks by
 * their target (never followed); unreadable files as entries with an `error`.
 */
export function createFilesSource(config: FilesSourceConfig): Source {
  return {
    name: config.name,
    kind: 'files',
    observe: (context) => observeFiles(config, context),
  };
}

async function observeFiles(config: FilesSourceConfig, context: SourceContext): Promise<SourceObservation> {
  const scanStartMs = Date.now();
  if (!existsSync(config.root) || !statSync(config.root).isDirectory()) {
    throw new DriftError('SOURCE_FAILED', `source "${config.name}": root ${config.root} is not a directory`, { data: { source: config.name } });
  }
  const paths = await listFiles(config);
  context.onProgress?.({ phase: 'scan', source: config.name, done: paths.length, total: paths.length });

  const cache = StatCache.load(path.join(context.cacheDir, `${config.name}.json`), config.root);
  const entries: SourceManifest = new Map();
  const toHash: { key: string; path: string; size: number; stat: [number, number, number, number] }[] = [];
  let reused = 0;
  let errors = 0;
  for (const key of paths) {
    const abs = path.join(config.root, key);
    let st;
    try {
      st = lstatSync(abs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // vanished between listing and stat
      entries.set(key, { type: 'file', error: describeFsError(error) });
      errors++;
      continue;
    }
    const mode = (st.mode & 0o7777).toString(8);
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
    const cached = cache.lookup(key, st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode);
    if (cached !== undefined) {
      entries.set(key, { type: 'file', sha256: cached, size: st.size, mode });
      cache.remember(key, [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode, cached]);
      reused++;
    } else {
      entries.set(key, { type: 'file', size: st.size, mode });
      toHash.push({ key, path: abs, size: st.size, stat: [st.mtimeMs, st.ctimeMs, st.ino, st.mode] });
    }
  }

  const results = await hashFiles(toHash, (done) => context.onProgress?.({ phase: 'hash', source: config.name, done, total: toHash.length }));
  toHash.forEach((file, i) => {
    const result = results[i];
    const entry = entries.get(file.key) as ManifestEntry;
    if ('error' in result) {
      entry.error = result.error;
      delete entry.size;
      errors++;
      return;
    }
    entry.sha256 = result.sha256;
    entry.size = result.size;
    // Cache only what was read from the file as it was stat'ed.
    if (result.size === file.size) cache.remember(file.key, [file.size, file.stat[0], file.stat[1], file.stat[2], file.stat[3], result.sha256]);
  });
  cache.save(scanStartMs);
  return { entries: sortByKey(entries), stats: { entries: entries.size, hashed: toHash.length, reused, errors } };
}

/** Every path under the root that the watch patterns select and no ignore rule drops. */
export async function listFiles(config: FilesSourceConfig): Promise<string[]> {
  const rules = [...config.ignore, ...config.driftignore];
  const negated = rules.some((rule) => rule.startsWith('!'));
  // fast-glob prunes ignored directories early; with negations only the exact filter below can decide.
  const prune = negated ? [] : rules.map((rule) => normalizeGlob(rule.replace(/^\\/, '')));
  const found = await fg(config.watch.map(normalizeGlob), {
    cwd: config.root,
    dot: true,
    onlyFiles: false,
    markDirectories: true,
    followSymbolicLinks: false,
    unique: true,
    suppressErrors: true,
    ignore: [...ALWAYS_IGNORED, ...prune],
  });
  const filter = ignore().add(rules);
  return found.filter((p) => !p.endsWith('/') && !filter.ignores(p)).sort();
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function sortByKey(entries: SourceManifest): SourceManifest {
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
