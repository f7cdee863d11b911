import * as fs from 'node:fs';
import path from 'node:path';

let counter = 0;

/**
 * A promise fs for isomorphic-git whose writeFile is atomic: data goes to a temporary file in
 * `tmpDir` (same file system as the repository) and is renamed into place. A process killed at any
 * moment therefore leaves either no file or a complete one, never a truncated object or ref.
 */
export function createAtomicFs(tmpDir: string): { promises: typeof fs.promises } {
  const p = fs.promises;
  let tmpReady = false;
  const writeFile = async (file: string, data: string | Uint8Array, options?: fs.WriteFileOptions): Promise<void> => {
    if (!tmpReady) {
      await p.mkdir(tmpDir, { recursive: true });
      tmpReady = true;
    }
    // Fail like fs.writeFile when the destination directory is missing, so callers can mkdir and retry.
    await p.access(path.dirname(file));
    const tmp = path.join(tmpDir, `tmp_${process.pid}_${Date.now().toString(36)}_${counter++}`);
    try {
      await p.writeFile(tmp, data, options);
      await p.rename(tmp, file);
    } catch (error) {
      await p.rm(tmp, { force: true });
      throw error;
    }
  };
  // isomorphic-git calls readFile() without a path on every API call to learn that this fs returns
  // promises; answer that probe with a ready rejection instead of building Node's argument error.
  const probe = Object.assign(new Error('readFile needs a path'), { code: 'ERR_INVALID_ARG_TYPE' });
  const readFile = ((file: Parameters<typeof p.readFile>[0] | undefined, options?: Parameters<typeof p.readFile>[1]) =>
    file === undefined ? Promise.reject(probe) : p.readFile(file, options)) as typeof p.readFile;
  const promises = Object.create(p) as typeof fs.promises;
  Object.defineProperty(promises, 'writeFile', { value: writeFile, enumerable: true });
  Object.defineProperty(promises, 'readFile', { value: readFile, enumerable: true });
  return Object.defineProperty({}, 'promises', { value: promises, enumerable: true }) as { promises: typeof fs.promises };
}
