import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { FilesSourceConfig, SourceConfig } from '../config/config.js';
import type { Change } from '../drift/report.js';
import { hasEscapedBytes } from '../sources/file-names.js';
import { commitsSince, openWorkTree, pathStates, type WorkTree } from './git-worktree.js';
import type { Attribution } from '../drift/attribution.js';

/** At most this many commits are named per change. */
const COMMITS_PER_CHANGE = 5;
/** Attribution looks at no more than this many changed files per source (the rest have none). */
const MAX_PATHS = 500;

export interface AttributionOptions {
  env: NodeJS.ProcessEnv;
  /** The baseline's time: commits older than it are not looked at. */
  since: Date | undefined;
}

/**
 * Attributions of the file changes of `sources` (files sources whose root is in a git work tree),
 * keyed by source NUL key. Only changed entries are looked at: three git calls per work tree for
 * their states, and one `git log` bounded by the baseline's time for the committed ones.
 */
export async function attributeFileChanges(sources: readonly SourceConfig[], changes: readonly Change[], options: AttributionOptions): Promise<Map<string, Attribution>> {
  const out = new Map<string, Attribution>();
  for (const source of sources) {
    if (source.kind !== 'files') continue;
    const mine = changes.filter((c) => c.source === source.name && (c.after ?? c.before)?.type === 'file' && !hasEscapedBytes(c.key)).slice(0, MAX_PATHS);
    if (mine.length === 0) continue;
    const tree = await openWorkTree(source.root, options.env);
    if (!tree) continue;
    for (const [key, attribution] of await attributeInTree(tree, source, mine, options.since)) out.set(`${source.name}\u0000${key}`, attribution);
  }
  return out;
}

async function attributeInTree(tree: WorkTree, source: FilesSourceConfig, changes: Change[], since: Date | undefined): Promise<Map<string, Attribution>> {
  let root: string;
  let top: string;
  try {
    root = realpathSync(source.root);
    top = realpathSync(tree.top);
  } catch {
    return new Map();
  }
  const relative = new Map<string, string>();
  for (const change of changes) {
    const rel = path.relative(top, path.join(root, change.key)).split(path.sep).join('/');
    if (!rel.startsWith('../') && rel !== '..') relative.set(change.key, rel);
  }
  const paths = [...relative.values()];
  const existing = paths.filter((p) => {
    try {
      return lstatSync(path.join(top, p)).isFile();
    } catch {
      return false;
    }
  });
  const states = await pathStates({ ...tree, top }, paths, existing);
  const committed: string[] = [];
  const result = new Map<string, Attribution>();
  for (const [key, rel] of relative) {
    const s = states.get(rel) ?? {};
    let state: Attribution['state'];
    if (s.work === undefined && !existing.includes(rel)) {
      // Removed from the work tree: committed when HEAD no longer has it either.
      state = s.head === undefined ? 'committed' : s.index === undefined ? 'staged' : 'uncommitted';
    } else if (s.head === undefined && s.index === undefined) state = 'untracked';
    else if (s.work !== undefined && s.work === s.head && s.index === s.head) state = 'committed';
    else if (s.work !== undefined && s.work === s.index) state = 'staged';
    else state = 'uncommitted';
    result.set(key, { state });
    if (state === 'committed') committed.push(rel);
  }
  if (committed.length > 0) {
    const commits = await commitsSince({ ...tree, top }, committed, since, COMMITS_PER_CHANGE);
    for (const [key, rel] of relative) {
      const found = commits.get(rel);
      if (found && found.length > 0) (result.get(key) as Attribution).commits = found;
    }
  }
  return result;
}
