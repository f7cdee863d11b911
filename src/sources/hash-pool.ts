import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { hashFileSync, type HashResult } from './hash-file.js';

/** Below these amounts, starting threads costs more than it saves: hash on the main thread. */
const INLINE_FILES = 256;
const INLINE_BYTES = 32 * 1024 * 1024;
const BATCH_FILES = 128;
const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Hashes many files using every core: batches go to worker threads as each becomes free, so one
 * large file does not hold up the rest. Results come back in input order.
 */
export async function hashFiles(files: readonly { path: string | Uint8Array; size: number }[], onDone?: (done: number) => void): Promise<HashResult[]> {
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const results: HashResult[] = new Array(files.length);
  if (files.length <= INLINE_FILES && totalBytes <= INLINE_BYTES) {
    files.forEach((file, i) => {
      results[i] = hashFileSync(file.path, file.size);
    });
    onDone?.(files.length);
    return results;
  }
  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  files.forEach((file, i) => {
    current.push(i);
    currentBytes += file.size;
    if (current.length >= BATCH_FILES || currentBytes >= BATCH_BYTES) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
  });
  if (current.length > 0) batches.push(current);

  const threads = Math.max(1, Math.min(availableParallelism(), batches.length));
  const workerUrl = new URL('./hash-worker.js', import.meta.url);
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: threads }, () => {
        const worker = new Worker(workerUrl);
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          const send = (): void => {
            if (next >= batches.length) return resolve();
            const id = next++;
            worker.postMessage({ id, files: batches[id].map((i) => [files[i].path, files[i].size]) });
          };
          worker.on('message', (message: { id: number; results: HashResult[] }) => {
            const batch = batches[message.id];
            message.results.forEach((result, j) => {
              results[batch[j]] = result;
            });
            done += batch.length;
            onDone?.(done);
            send();
          });
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (code !== 0) reject(new Error(`hash worker exited with code ${code}`));
          });
          send();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
