import type { SourceManifest } from '../drift/manifest.js';
import type { ProgressListener } from '../progress.js';

/**
 * A source produces the keyed entries of one target at one moment. Implementations live in this
 * folder, one file per kind, and are chosen through the registry.
 */
export interface Source {
  readonly name: string;
  readonly kind: string;
  /** Throws a DriftError when the source as a whole cannot be observed; per-entry failures go in `entries` as `error`. */
  observe(context: SourceContext): Promise<SourceObservation>;
}

export interface SourceContext {
  /** A private directory this source may keep caches in (outside the ledger). */
  cacheDir: string;
  /** The environment to read secrets (header values) and pass-through variables from; never process.env directly. */
  env: NodeJS.ProcessEnv;
  /** The time of this run (fixed by DRIFTCTL_NOW in tests). */
  now: Date;
  onProgress?: ProgressListener;
}

export interface SourceObservation {
  entries: SourceManifest;
  stats: { entries: number; hashed: number; reused: number; errors: number };
}
