import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/** Files up to this size are read in one call; larger ones are hashed in fixed-size chunks. */
const WHOLE_READ_LIMIT = 4 * 1024 * 1024;
const CHUNK = 1024 * 1024;
let chunkBuffer: Buffer | undefined;

export type HashResult = { sha256: string; size: number } | { error: string };

/** sha256 of a file's raw bytes, streaming large files; errors are returned, never thrown. */
export function hashFileSync(file: string, sizeHint?: number): HashResult {
  try {
    if (sizeHint !== undefined && sizeHint <= WHOLE_READ_LIMIT) {
      const data = readFileSync(file);
      return { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
    }
    const hash = createHash('sha256');
    chunkBuffer ??= Buffer.allocUnsafe(CHUNK);
    const fd = openSync(file, 'r');
    let size = 0;
    try {
      for (;;) {
        const n = readSync(fd, chunkBuffer, 0, CHUNK, null);
        if (n === 0) break;
        hash.update(n === CHUNK ? chunkBuffer : chunkBuffer.subarray(0, n));
        size += n;
      }
    } finally {
      closeSync(fd);
    }
    return { sha256: hash.digest('hex'), size };
  } catch (error) {
    return { error: describeFsError(error) };
  }
}

export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return `${e.code}: permission denied`;
  if (e.code === 'ENOENT') return 'ENOENT: vanished while reading';
  if (e.code === 'EISDIR') return 'EISDIR: is a directory';
  return e.code ? `${e.code}: ${e.message.split(',')[0]}` : String(e.message ?? error);
}
