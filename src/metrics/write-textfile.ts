import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DriftError, messageOf } from '../errors.js';

/**
 * Writes a metrics file for node_exporter's textfile collector: the text goes to `<file>.tmp`
 * (ignored by the collector, which reads only `*.prom`), is flushed, then renamed over `file`, so
 * a scrape never sees a half-written file. Throws METRICS_WRITE_FAILED (the temporary file removed).
 */
export function writeTextfile(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new DriftError('METRICS_WRITE_FAILED', `cannot write the metrics file ${file}: ${messageOf(error)}`, { cause: error, data: { file } });
  }
}
