import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { DriftError } from '../../src/errors.js';

/** Runs `fn` with a fresh temporary directory, removed afterwards whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), `driftctl-${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A test body that runs with a fresh temporary directory. */
export function inTempDir(prefix: string, body: (dir: string) => Promise<void>): () => Promise<void> {
  return () => withTempDir(prefix, body);
}

/** The DriftError `promise` rejects with; fails the test when it resolves. */
export async function driftFailure(promise: Promise<unknown>): Promise<DriftError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, DriftError);
    return error as DriftError;
  }
  throw new assert.Assertion({ message: 'expected a DriftError', generated: false, operator: 'throws', expects: 'throw', actual: 'no throw' });
}
