import { DriftError } from '../errors.js';
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
  /** Reports a recoverable problem (a damaged cache that was discarded). */
  warn?: (message: string) => void;
}

export interface SourceObservation {
  entries: SourceManifest;
  stats: { entries: number; hashed: number; reused: number; errors: number };
}

/**
 * Runs the observation of a source whose entries arrive in one piece (a command's output, a
 * response body, a plan): reports progress once, and names the source in the data of any
 * DriftError raised on the way (the process runner and the parsers do not know it).
 */
export async function observeWhole(name: string, context: SourceContext, work: () => Promise<SourceObservation>): Promise<SourceObservation> {
  try {
    const observation = await work();
    context.onProgress?.({ phase: 'scan', source: name, done: observation.stats.entries, total: observation.stats.entries });
    return observation;
  } catch (error) {
    if (error instanceof DriftError) error.data.source = name;
    throw error;
  }
}
