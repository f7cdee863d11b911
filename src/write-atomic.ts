import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let counter = 0;

/**
 * Replaces `file` with `data` through a temporary file in the same directory and a rename, so a
 * reader sees the old file or the new one, never half of one (caches, indexes, checkpoints,
 * reports). Creates the directory; removes the temporary file if anything fails.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${counter++}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
