import { createHash } from 'node:crypto';
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { DriftError } from '../errors.js';
import { describeFsError, hashFileSync } from '../sources/hash-file.js';
import type { OpDeps } from '../session/deps.js';

export interface HashResult {
  path: string;
  type: 'file' | 'symlink';
  sha256: string;
  size: number;
}

/** The sha256 a files snapshot records for `file`: of its bytes, or of a symlink's target. */
export async function hash(deps: OpDeps, options: { file: string }): Promise<HashResult> {
  const abs = path.resolve(deps.cwd, options.file);
  let st;
  try {
    st = lstatSync(abs);
  } catch (error) {
    throw new DriftError('FILE_UNREADABLE', `${options.file}: ${describeFsError(error)}`, { data: { file: options.file } });
  }
  if (st.isSymbolicLink()) {
    const target = readlinkSync(abs);
    return { path: options.file, type: 'symlink', sha256: createHash('sha256').update(target).digest('hex'), size: Buffer.byteLength(target) };
  }
  if (!st.isFile()) throw new DriftError('FILE_UNREADABLE', `${options.file}: not a regular file`, { data: { file: options.file } });
  const result = hashFileSync(abs, st.size);
  if ('error' in result) throw new DriftError('FILE_UNREADABLE', `${options.file}: ${result.error}`, { data: { file: options.file } });
  return { path: options.file, type: 'file', sha256: result.sha256, size: result.size };
}
