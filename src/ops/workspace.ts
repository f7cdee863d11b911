import { existsSync } from 'node:fs';
import { userInfo, hostname } from 'node:os';
import path from 'node:path';
import type { Config, TargetConfig } from '../config/config.js';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { DriftError, isDriftError } from '../errors.js';
import { GitStore, type Signature } from '../ledger/git-store.js';
import { Ledger } from '../ledger/ledger.js';
import { acquireLock } from '../ledger/lock.js';
import type { ConfigOption, OpDeps } from './deps.js';
import { pushToRemote, remoteLink, syncFromRemote } from './remote-sync.js';

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

export function workspaceFor(config: Config, store: GitStore): Workspace {
  return {
    config,
    store,
    ledger: new Ledger(store, config.ledger.branch),
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
 * Runs a writing command's `fn` holding the ledger lock. With `ledger.remote` set, the lock also
 * covers the remote sync: fetch and fast-forward (or replay unpushed local commits) before `fn`
 * takes its base, and push with retries after it published (see remote-sync.ts). A result's `tip`
 * is updated when the push replayed this run's commits on a newer remote tip.
 */
export async function withLock<T>(ws: Workspace, deps: OpDeps, command: string, fn: () => Promise<T>): Promise<T> {
  return withLocalLock(ws, deps, command, async () => {
    const link = remoteLink(ws, deps.env);
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

/**
 * The enabled targets to work on. `names` are target names, or host names of a fleet (every
 * HOST.PACK target of that host); `labels` ("k=v") keep targets carrying all of them. A name or
 * label that selects nothing is an error, so a typo never turns into "nothing to check".
 */
export function selectTargets(config: Config, names: string[] | undefined, labels: string[] = []): { selected: TargetConfig[]; disabled: TargetConfig[] } {
  const known = new Map(config.targets.map((t) => [t.name, t]));
  let chosen = config.targets;
  if (names && names.length > 0) {
    chosen = names.flatMap((name) => {
      const target = known.get(name);
      if (target) return [target];
      const ofHost = config.targets.filter((t) => t.labels.host === name);
      if (ofHost.length > 0) return ofHost;
      throw new DriftError('UNKNOWN_TARGET', `unknown target "${name}" (known: ${[...known.keys()].join(', ')})`, { data: { target: name } });
    });
    chosen = [...new Set(chosen)];
  }
  for (const label of labels) {
    const eq = label.indexOf('=');
    if (eq <= 0) throw new DriftError('BAD_LABEL', `--label ${label}: expected KEY=VALUE, for example --label env=prod`, { data: { label } });
    const [key, value] = [label.slice(0, eq), label.slice(eq + 1)];
    const kept = chosen.filter((t) => t.labels[key] === value);
    if (kept.length === 0) {
      const seen = [...new Set(config.targets.map((t) => t.labels[key]).filter((v) => v !== undefined))];
      throw new DriftError('NO_TARGET_MATCHES', `--label ${label} selects no target (${seen.length ? `values of "${key}": ${seen.join(', ')}` : `no target has a "${key}" label`})`, { data: { label } });
    }
    chosen = kept;
  }
  return { selected: chosen.filter((t) => t.enabled), disabled: chosen.filter((t) => !t.enabled) };
}

/** Exactly one target: the named one, or the only one configured, or the only enabled one. */
export function singleTarget(config: Config, name: string | undefined): TargetConfig {
  if (name) {
    const exact = config.targets.find((t) => t.name === name);
    const ofHost = exact ? [exact] : config.targets.filter((t) => t.labels.host === name);
    if (ofHost.length > 1) {
      throw new DriftError('TARGET_REQUIRED', `"${name}" is a fleet host with several targets (${ofHost.map((t) => t.name).join(', ')}): choose one with --target HOST.PACK`, { data: { target: name } });
    }
    return selectTargets(config, [name]).selected[0] ?? disabledTarget(ofHost[0]?.name ?? name);
  }
  if (config.targets.length === 1) return config.targets[0];
  // Disabled targets do not count: with one enabled target, that is the one meant.
  const enabled = config.targets.filter((t) => t.enabled);
  if (enabled.length === 1) return enabled[0];
  const disabled = config.targets.length - enabled.length;
  throw new DriftError(
    'TARGET_REQUIRED',
    `several targets are configured (${(enabled.length > 0 ? enabled : config.targets).map((t) => t.name).join(', ')}${enabled.length > 0 && disabled > 0 ? `, and ${disabled} disabled` : ''}): choose one with --target NAME`,
    {},
  );
}

function disabledTarget(name: string): never {
  throw new DriftError('TARGET_DISABLED', `target "${name}" is disabled in the config (enabled: false)`, { data: { target: name } });
}

/**
 * Who is acting, for commit authorship and accept records: GIT_AUTHOR_NAME/EMAIL if set, else the
 * ledger repository's user.name/user.email, else the OS user at this host.
 */
export async function resolveActor(ws: Workspace, deps: OpDeps): Promise<{ name: string; email: string }> {
  const name = deps.env.GIT_AUTHOR_NAME || (await ws.store.getConfig('user.name')) || safeUserName();
  const email = deps.env.GIT_AUTHOR_EMAIL || (await ws.store.getConfig('user.email')) || `${safeUserName()}@${hostname()}`;
  return { name, email };
}

export function signatureAt(actor: { name: string; email: string }, time: Date): Signature {
  return { name: actor.name, email: actor.email, timestamp: Math.floor(time.getTime() / 1000), timezoneOffset: 0 };
}

function safeUserName(): string {
  try {
    return userInfo().username || 'driftctl';
  } catch {
    return 'driftctl';
  }
}

