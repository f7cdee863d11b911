import type { IgnoreFieldsRule } from '../config/config.js';
import { createIgnorer, type Ignorer } from '../drift/fields.js';
import { DriftError } from '../errors.js';
import { createKeyMatcher } from '../match/glob.js';
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
  /** Captured content named by entries' `blob` ids, to be stored as git blobs with the manifest. */
  blobs?: Map<string, Buffer>;
  stats: { entries: number; hashed: number; reused: number; errors: number };
}

/**
 * A source whose entries arrive in one piece (a command's output, a response body, a plan, a set
 * of Kubernetes objects): `observe` gets the source's ignore_fields as an Ignorer. Progress is
 * reported once, and any DriftError raised on the way names the source in its data (the process
 * runner and the parsers do not know it).
 */
export function wholeSource(
  config: { name: string; ignoreFields: IgnoreFieldsRule[] },
  kind: string,
  observe: (context: SourceContext, ignorer: Ignorer) => Promise<SourceObservation>,
): Source {
  const ignorer = createIgnorer(config.ignoreFields, createKeyMatcher);
  return {
    name: config.name,
    kind,
    async observe(context) {
      try {
        const observation = await observe(context, ignorer);
        context.onProgress?.({ phase: 'scan', source: config.name, done: observation.stats.entries, total: observation.stats.entries });
        return observation;
      } catch (error) {
        if (error instanceof DriftError) error.data.source = config.name;
        throw error;
      }
    },
  };
}
