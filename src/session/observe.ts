import type { TargetConfig } from '../config/config.js';
import type { TargetManifest } from '../drift/manifest.js';
import type { EntryError } from '../drift/report.js';
import { DriftError, isDriftError, messageOf } from '../errors.js';
import type { Observation } from '../ledger/recorder.js';
import type { SnapshotRecord } from '../ledger/records.js';
import { createSource } from '../sources/registry.js';
import type { OpDeps } from './deps.js';
import type { Workspace } from './workspace.js';

export async function observeTarget(ws: Workspace, target: TargetConfig, deps: OpDeps): Promise<Observation> {
  const manifest: TargetManifest = new Map();
  const errors: EntryError[] = [];
  const sources: SnapshotRecord['sources'] = [];
  const blobs = new Map<string, Buffer>();
  for (const sourceConfig of target.sources) {
    const source = await createSource(sourceConfig);
    let observed;
    try {
      observed = await source.observe({
        cacheDir: ws.cacheDir(target.name),
        env: deps.env,
        now: deps.now(),
        warn: deps.warn,
        onProgress: deps.onProgress ? (event) => deps.onProgress?.({ ...event, target: target.name }) : undefined,
      });
    } catch (error) {
      if (isDriftError(error)) throw error;
      throw new DriftError('SOURCE_FAILED', `target "${target.name}", source "${source.name}": ${messageOf(error)}`, {
        cause: error,
        data: { target: target.name, source: source.name },
      });
    }
    manifest.set(source.name, observed.entries);
    for (const [oid, bytes] of observed.blobs ?? []) blobs.set(oid, bytes);
    for (const [key, entry] of observed.entries) if (entry.error) errors.push({ source: source.name, key, message: entry.error });
    sources.push({ name: source.name, kind: source.kind, entries: observed.stats.entries, errors: observed.stats.errors });
  }
  return { manifest, errors, sources, ...(blobs.size > 0 ? { blobs } : {}) };
}

/** How many targets are observed ahead of the one being recorded. */
const OBSERVE_AHEAD = 4;

/**
 * Observes targets concurrently (a fleet's hosts answer over ssh in parallel), at most
 * OBSERVE_AHEAD beyond the one being recorded; `get(i)` is target i's observation, and asking for
 * it lets the next ones start. Recording stays in target order, so the ledger is the same either
 * way. Observations never asked for still settle without an unhandled rejection.
 */
export function observeAhead(ws: Workspace, targets: readonly TargetConfig[], deps: OpDeps): (index: number) => Promise<Observation> {
  const started: Promise<Observation>[] = [];
  return (index) => {
    for (let i = started.length; i <= Math.min(index + OBSERVE_AHEAD, targets.length - 1); i++) {
      const promise = observeTarget(ws, targets[i], deps);
      promise.catch(() => undefined);
      started.push(promise);
    }
    return started[index];
  };
}
