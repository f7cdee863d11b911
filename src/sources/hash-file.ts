import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Files up to this size are read in one call; larger ones are hashed in fixed-size chunks. */
const WHOLE_READ_LIMIT = 4 * 1024 * 1024;
const CHUNK = 1024 * 1024;
let chunkBuffer: Buffer | undefined;
let wholeBuffer: Buffer | undefined;

export type HashResult = { sha256: string; size: number } | { error: string };

/**
 * sha256 of a file's raw bytes, streaming large files; errors are returned, never thrown. `file`
 * may be the bytes of a name that is not UTF-8.
 */
export function hashFileSync(file: string | Uint8Array, sizeHint?: number): HashResult {
  try {
    if (sizeHint !== undefined && sizeHint <= WHOLE_READ_LIMIT) {
      // One reusable buffer instead of readFileSync's fresh one per file: hashing 100,000 files
      // would otherwise leave hundreds of MB of garbage for the collector to find.
      if (!wholeBuffer || wholeBuffer.length < sizeHint + 1) wholeBuffer = Buffer.allocUnsafe(Math.max(sizeHint + 1, 64 * 1024));
      const buffer = wholeBuffer;
      const hash = createHash('sha256');
      const fd = openSync(typeof file === 'string' ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength), 'r');
      let size = 0;
      let filled = 0;
      try {
        // Read to the end even past sizeHint: the file may have grown since it was stat'ed.
        for (;;) {
          const n = readSync(fd, buffer, filled, buffer.length - filled, null);
          if (n === 0) break;
          size += n;
          filled += n;
          if (filled === buffer.length) {
            hash.update(buffer);
            filled = 0;
          }
        }
      } finally {
        closeSync(fd);
      }
      return { sha256: hash.update(buffer.subarray(0, filled)).digest('hex'), size };
    }
    const hash = createHash('sha256');
    chunkBuffer ??= Buffer.allocUnsafe(CHUNK);
    const fd = openSync(typeof file === 'string' ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength), 'r');
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
