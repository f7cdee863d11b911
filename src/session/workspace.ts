import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { DriftError, isDriftError } from '../errors.js';
import { GitStore } from '../ledger/git-store.js';
import { Ledger } from '../ledger/ledger.js';
import { acquireLock } from '../ledger/lock.js';
import { ledgerReader, type LedgerReader } from '../ledger/reader.js';
import type { ConfigOption, OpDeps } from './deps.js';
import { pushToRemote, remoteLink, syncFromRemote } from '../ledger/remote-sync.js';
import { LedgerSet } from '../ledger/ledger-set.js';
import { ledgerFor } from './layout-choice.js';
import { withSetSync } from './set-sync.js';

/** A loaded config with the ledger it writes to. */
export interface Workspace {
  config: Config;
  store: GitStore;
  ledger: Ledger;
  /** Per-target, per-source caches (stat data), outside the ledger. */
  cacheDir(target: string): string;
}

export function openWorkspace(deps: OpDeps, options: ConfigOption): Workspace {
  const config = loadConfig(resolveConfigPath(deps.cwd, options.config), deps.cwd);
  return workspaceFor(config, openStore(config));
}

export function workspaceFor(config: Config, store: GitStore, options: { anyLayout?: boolean } = {}): Workspace {
  return {
    config,
    store,
    ledger: ledgerFor(config, store, options),
    cacheDir: (target) => path.join(store.gitdir, 'driftctl', 'cache', target),
  };
}

export function openStore(config: Config): GitStore {
  if (config.ledger.path) {
    if (!existsSync(config.ledger.path)) {
      throw new DriftError('LEDGER_REPO_MISSING', `${config.file}: ledger.path: ${config.ledger.path} does not exist (run "driftctl init" to create it)`, {
        data: { path: config.ledger.path },
      });
    }
    return GitStore.open(config.ledger.path);
  }
  return GitStore.open(config.dir);
}

/**
 * The ledger of `config` read at its tip, without a lock (serve, metrics): empty when the ledger
 * repository or branch does not exist yet.
 */
export async function openReader(config: Config): Promise<LedgerReader> {
  let ledger: Ledger;
  try {
    ledger = ledgerFor(config, openStore(config));
  } catch (error) {
    if (isDriftError(error) && (error.code === 'LEDGER_REPO_MISSING' || error.code === 'NOT_A_GIT_REPOSITORY')) return ledgerReader(undefined, undefined);
    throw error;
  }
  return ledgerReader(ledger, await ledger.tip());
}

/**
 * Runs a writing command's `fn` holding the ledger lock. With `ledger.remote` set, the lock also
 * covers the remote sync: fetch and fast-forward (or replay unpushed local commits) before `fn`
 * takes its base, and push with retries after it published (see ledger/remote-sync.ts). A
 * result's `tip` is updated when the push replayed this run's commits on a newer remote tip.
 */
export async function withLock<T>(ws: Workspace, deps: OpDeps, command: string, fn: () => Promise<T>): Promise<T> {
  return withLocalLock(ws, deps, command, async () => {
    if (ws.ledger instanceof LedgerSet) return withSetSync(ws.ledger, ws.config, deps, fn);
    const link = remoteLink(ws.ledger, ws.config, deps.env);
    if (!link) return fn();
    await syncFromRemote(link, { replay: true });
    const result = await fn();
    const published = await ws.ledger.tip();
    let pushed;
    try {
      pushed = await pushToRemote(link, { refresh: true });
    } catch (error) {
      // Losing every push race to other writers is not a failure of this run: its commits are
      // safe on the local branch and go out with the next write or "driftctl push".
      if (isDriftError(error) && error.code === 'REMOTE_REJECTED') {
        deps.warn?.(error.message);
        return result;
      }
      if (isDriftError(error) && published !== (await ws.store.resolveRef(link.trackingRef))) {
        throw new DriftError(error.code, `${error.message}; this run's commits are kept on the local ledger branch and go out with the next write or "driftctl push"`, { data: error.data, cause: error });
      }
      throw error;
    }
    if (pushed.landedDespite) deps.warn?.(`${pushed.landedDespite}, but the remote has this run's commits: the push landed`);
    if (pushed.tip && pushed.tip !== published && result && typeof result === 'object' && (result as { tip?: unknown }).tip === published) {
      (result as unknown as { tip: string }).tip = pushed.tip;
    }
    return result;
  });
}

/** Runs `fn` holding the ledger lock, without any remote sync (`pull` and `push` sync by hand). */
export async function withLocalLock<T>(ws: Workspace, deps: OpDeps, command: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(ws.store.gitdir, command, deps.lockTimeoutMs);
  try {
    return await fn();
  } finally {
    release();
  }
}
