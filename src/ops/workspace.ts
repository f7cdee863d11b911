import { existsSync } from 'node:fs';
import { userInfo, hostname } from 'node:os';
import path from 'node:path';
import type { Config, TargetConfig } from '../config/config.js';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { DriftError } from '../errors.js';
import { GitStore, type Signature } from '../ledger/git-store.js';
import { Ledger } from '../ledger/ledger.js';
import { acquireLock } from '../ledger/lock.js';
import type { ConfigOption, OpDeps } from './deps.js';

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

/** Runs `fn` holding the ledger lock. */
export async function withLock<T>(ws: Workspace, deps: OpDeps, command: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(ws.store.gitdir, command, deps.lockTimeoutMs);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** The enabled targets to work on, checking requested names exist. */
export function selectTargets(config: Config, names: string[] | undefined): { selected: TargetConfig[]; disabled: TargetConfig[] } {
  const known = new Map(config.targets.map((t) => [t.name, t]));
  let chosen = config.targets;
  if (names && names.length > 0) {
    chosen = names.map((name) => {
      const target = known.get(name);
      if (!target) {
        throw new DriftError('UNKNOWN_TARGET', `unknown target "${name}" (known: ${[...known.keys()].join(', ')})`, { data: { target: name } });
      }
      return target;
    });
  }
  return { selected: chosen.filter((t) => t.enabled), disabled: chosen.filter((t) => !t.enabled) };
}

/** Exactly one target: the named one, or the only one configured. */
export function singleTarget(config: Config, name: string | undefined): TargetConfig {
  if (name) return selectTargets(config, [name]).selected[0] ?? disabledTarget(name);
  if (config.targets.length === 1) return config.targets[0];
  throw new DriftError('TARGET_REQUIRED', `several targets are configured (${config.targets.map((t) => t.name).join(', ')}): choose one with --target NAME`, {});
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

