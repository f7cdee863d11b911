import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ManifestEntry } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import type { RestoreSide } from '../ledger/loop-records.js';

/**
 * The file-system side of `restore`: where a key lives under its source root (never outside it,
 * never in .git), what is there now, and writing the baseline's state back. Nothing here touches
 * git: the user's index and HEAD are not read or written.
 */
export interface RestoreStep {
  source: string;
  key: string;
  /** Absolute path under the source root. */
  file: string;
  action: 'write' | 'create' | 'delete' | 'chmod' | 'relink';
  before: RestoreSide;
  after: RestoreSide;
  /** The baseline bytes to write (write, create). */
  bytes?: Buffer;
  /** Unified diff of the text (empty for chmod, relink or binary). */
  diff: string;
}

/** `root/key`, refusing (RESTORE_OUTSIDE_ROOT) a key that leaves the root, names .git, or passes through a symlinked directory out of the root. */
export function pathUnderRoot(root: string, key: string): string {
  const file = path.resolve(root, key);
  const relative = path.relative(root, file);
  const outside = (why: string): DriftError => new DriftError('RESTORE_OUTSIDE_ROOT', `restore refuses "${key}": ${why}; nothing was written`, { data: { key, root } });
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) throw outside(`it is outside the source root ${root}`);
  if (relative.split(path.sep).some((part) => part.toLowerCase() === '.git')) throw outside("it names git's own data (.git)");
  // The deepest existing parent must resolve inside the root too (no symlinked directory out of it).
  let parent = path.dirname(file);
  while (!existsSync(parent) && parent !== root) parent = path.dirname(parent);
  let realRoot: string;
  let realParent: string;
  try {
    realRoot = realpathSync(root);
    realParent = realpathSync(parent);
  } catch (error) {
    throw new DriftError('RESTORE_FAILED', `restore cannot resolve the source root ${root} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was written`, { data: { key, root }, cause: error });
  }
  if (realParent !== realRoot && !realParent.startsWith(`${realRoot}${path.sep}`)) throw outside(`its directory resolves to ${realParent}, outside the source root`);
  return file;
}

/** What is at `file` now (not following a symlink). */
export function currentSide(file: string): RestoreSide & { bytes?: Buffer } {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return { type: 'absent', sha256: null };
  if (st.isSymbolicLink()) {
    const target = readlinkSync(file, { encoding: 'buffer' });
    return { type: 'symlink', sha256: sha256(target), target: target.toString('utf8') };
  }
  if (st.isFile()) {
    const bytes = readFileSync(file);
    return { type: 'file', sha256: sha256(bytes), mode: st.mode & 0o7777, bytes };
  }
  return { type: 'absent', sha256: null };
}

/** The side a baseline entry describes. */
export function baselineSide(entry: ManifestEntry): RestoreSide {
  if (entry.type === 'symlink') return { type: 'symlink', sha256: entry.sha256 ?? null, ...(entry.target !== undefined ? { target: entry.target } : {}) };
  return { type: 'file', sha256: entry.sha256 ?? null, ...(entry.mode ? { mode: parseInt(entry.mode, 8) } : {}) };
}

/** Applies one step. Files are written through a temporary file and a rename (a reader sees old or new). */
export function applyStep(step: RestoreStep): void {
  try {
    if (step.action === 'delete') {
      rmSync(step.file, { force: true });
      return;
    }
    mkdirSync(path.dirname(step.file), { recursive: true });
    if (step.action === 'relink') {
      if (lstatSync(step.file, { throwIfNoEntry: false })) rmSync(step.file, { force: true, recursive: false });
      symlinkSync(step.after.target as string, step.file);
      return;
    }
    if (step.action === 'chmod') {
      chmodSync(step.file, step.after.mode ?? 0o644);
      return;
    }
    const tmp = `${step.file}.driftctl-restore.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, step.bytes as Buffer, { mode: step.after.mode ?? 0o644 });
      chmodSync(tmp, step.after.mode ?? 0o644);
      // A symlink in the file's place is replaced, never followed.
      const st = lstatSync(step.file, { throwIfNoEntry: false });
      if (st && !st.isFile()) rmSync(step.file, { force: true, recursive: false });
      renameSync(tmp, step.file);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch (error) {
    if (error instanceof DriftError) throw error;
    throw new DriftError('RESTORE_FAILED', `restore could not write ${step.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { data: { file: step.file, key: step.key }, cause: error });
  }
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
