import { parentPort } from 'node:worker_threads';
import { hashFileSync } from './hash-file.js';

/** Worker thread of the hash pool: hashes batches of [path, size] and posts the results back. */
parentPort?.on('message', (message: { id: number; files: [string | Uint8Array, number][] }) => {
  const results = message.files.map(([file, size]) => hashFileSync(file, size));
  parentPort?.postMessage({ id: message.id, results });
});
