import { DriftError, isDriftError } from '../errors.js';
import { describeRemote, type RemoteSpec } from './git-store.js';
import type { Config } from '../config/config.js';
import type { Ledger } from './ledger.js';
import { divergence, replayCommits } from './replay.js';

/**
 * Synchronising the ledger branch with `ledger.remote` (README "Remote ledgers"). Writers hold the
 * ledger lock across all of it:
 *  1. before taking the writer's base: fetch the branch into `refs/remotes/driftctl/<branch>` and
 *     fast-forward the local branch; local commits the remote lacks (an earlier push failed) are
 *     replayed on top of the remote tip;
 *  2. after publishing locally: push; a push that lost the race (not a fast-forward, or the ref
 *     update refused) is retried up to PUSH_ATTEMPTS times, each after a random backoff of
 *     250–500 ms × min(attempt, 3), a fetch, and a replay of the unpushed commits on the new tip.
 *     A run that loses every race is not an error: it warns, and its commits wait on the local
 *     branch for the next write or `driftctl push`.
 * The local branch always ends equal to what was pushed. Nothing is lost: if every attempt fails,
 * the commits stay on the local branch and the next write (or `driftctl push`) sends them.
 */
export const REMOTE_NAME = 'driftctl';
/**
 * 12 rather than the 8 FINDINGS measured in one process: with a process per check, 8 agents on
 * 2 cores lost 8 races in a row a few times in 80 checks; 12 attempts wait at most about 35 s.
 */
export const PUSH_ATTEMPTS = 12;

export interface RemoteLink {
  ledger: Ledger;
  spec: RemoteSpec;
  /** `refs/remotes/driftctl/<branch>`: the remote tip as last seen. */
  trackingRef: string;
  /** The name of the token variable (for messages; never its value). */
  tokenEnv: string;
  tokenSet: boolean;
  /** Scheme and host of the remote, for messages. */
  where: string;
}

/**
 * The remote of a ledger, or undefined when `ledger.remote` is not set. The only place a
 * RemoteSpec is built: the token comes from `ledger.token_env`, else from `fallback` (accept --pr
 * uses the GitHub token; messages then name its variable), the user name from `ledger.username_env`.
 */
export function remoteLink(
  ledger: Ledger,
  config: Pick<Config, 'ledger'>,
  env: Record<string, string | undefined>,
  fallback?: { token: string; tokenEnv: string },
): RemoteLink | undefined {
  const { remote, usernameEnv, timeoutMs } = config.ledger;
  if (!remote) return undefined;
  const own = env[config.ledger.tokenEnv] || undefined;
  const token = own ?? fallback?.token;
  const tokenEnv = own === undefined && fallback ? fallback.tokenEnv : config.ledger.tokenEnv;
  const username = usernameEnv ? env[usernameEnv] || undefined : undefined;
  return {
    ledger,
    spec: { url: remote, auth: { ...(token ? { token } : {}), ...(username ? { username } : {}) }, timeoutMs },
    trackingRef: `refs/remotes/${REMOTE_NAME}/${ledger.branch}`,
    tokenEnv,
    tokenSet: token !== undefined,
    where: describeRemote(remote),
  };
}

export function requireRemote(ledger: Ledger, config: Pick<Config, 'ledger' | 'file'>, env: Record<string, string | undefined>): RemoteLink {
  const link = remoteLink(ledger, config, env);
  if (!link) throw new DriftError('REMOTE_NOT_CONFIGURED', `${config.file}: ledger.remote is not set (add the git URL of the shared ledger repository)`, {});
  return link;
}

export type SyncState = 'no-remote-branch' | 'up-to-date' | 'fast-forwarded' | 'ahead' | 'replayed' | 'created';

export interface SyncResult {
  state: SyncState;
  /** Local tip after the sync. */
  tip: string | undefined;
  /** Remote tip as fetched. */
  remote: string | undefined;
  /** Local commits the remote does not have yet (to push). */
  ahead: number;
  /** Remote commits that came in. */
  behind: number;
}

/** Fetches the ledger branch; REMOTE_AUTH errors name the token variable (never its value). */
export async function fetchRemote(link: RemoteLink): Promise<string | undefined> {
  try {
    return await link.ledger.store.fetchBranch(link.spec, REMOTE_NAME, link.ledger.branch);
  } catch (error) {
    throw withAuthHint(error, link);
  }
}

/** Member branches the remote holds below `<branch>/` (a per-target set); REMOTE_AUTH errors name the token variable. */
export async function remoteMembers(link: RemoteLink): Promise<string[]> {
  try {
    return (await link.ledger.store.listRemoteBranches(link.spec, link.ledger.branch)).filter((name) => !name.includes('/'));
  } catch (error) {
    throw withAuthHint(error, link);
  }
}

/**
 * Step 1 (and `pull`): fetch, then bring the local branch on top of the remote tip. With
 * `replay: false` a diverged branch is an error (REMOTE_DIVERGED) instead of being replayed.
 */
export async function syncFromRemote(link: RemoteLink, options: { replay: boolean } = { replay: true }): Promise<SyncResult> {
  const { ledger } = link;
  const store = ledger.store;
  const seen = await store.resolveRef(link.trackingRef);
  const remote = await fetchRemote(link);
  // A lost local ref is restored from the remote only when the remote holds the last local tip.
  let local: string | undefined;
  let lost: DriftError | undefined;
  try {
    local = await ledger.tip();
  } catch (error) {
    if (!isDriftError(error) || error.code !== 'LEDGER_REF_LOST') throw error;
    lost = error;
  }
  if (lost) {
    const last = lost.data.last as string | undefined;
    if (!remote || !last || !(await store.isAncestor(last, remote))) throw lost;
  }
  if (!remote) return { state: 'no-remote-branch', tip: local, remote, ahead: local ? (await store.log(local)).length : 0, behind: 0 };
  if (seen && seen !== remote && !(await store.isAncestor(seen, remote)) && !(await store.isAncestor(remote, seen))) {
    throw new DriftError(
      'REMOTE_REWRITTEN',
      `the ledger branch "${ledger.branch}" on ${link.where} was rewritten (it no longer contains ${seen.slice(0, 12)}, which it had before): driftctl does not write on top of a rewritten ledger; restore the branch, or run "driftctl verify" on a fresh clone to inspect it`,
      { data: { seen, remote } },
    );
  }
  if (!local) {
    ledger.assertNotCheckedOut();
    await store.setRef(ledger.ref, remote);
    ledger.recordCheckpoint(remote);
    return { state: 'created', tip: remote, remote, ahead: 0, behind: (await store.log(remote)).length };
  }
  if (local === remote) return { state: 'up-to-date', tip: local, remote, ahead: 0, behind: 0 };
  const d = await divergence(store, local, remote);
  if (d.localOnly.length === 0) {
    const behind = await countBetween(link, d.base, remote);
    ledger.assertNotCheckedOut();
    await store.setRef(ledger.ref, remote);
    ledger.recordCheckpoint(remote);
    return { state: 'fast-forwarded', tip: remote, remote, ahead: 0, behind };
  }
  if (!d.remoteAhead) return { state: 'ahead', tip: local, remote, ahead: d.localOnly.length, behind: 0 };
  const behind = await countBetween(link, d.base, remote);
  if (!options.replay) {
    throw new DriftError(
      'REMOTE_DIVERGED',
      `the local ledger branch "${ledger.branch}" has ${d.localOnly.length} commit(s) that ${link.where} lacks, and the remote has ${behind} this one lacks: run "driftctl push" to replay the local commits on top of the remote and push them`,
      { data: { ahead: d.localOnly.length, behind } },
    );
  }
  const tip = await replayLocal(link, d.localOnly, remote);
  return { state: 'replayed', tip, remote, ahead: tip === remote ? 0 : d.localOnly.length, behind };
}

/** Replays local-only commits on `onto` and moves the local branch there (under the writer lock). */
async function replayLocal(link: RemoteLink, localOnly: string[], onto: string): Promise<string> {
  const { ledger } = link;
  const result = await replayCommits(ledger, localOnly, onto);
  ledger.assertNotCheckedOut();
  await ledger.store.setRef(ledger.ref, result.tip);
  ledger.replaceCheckpoints(new Set(localOnly), result.tip);
  return result.tip;
}

async function countBetween(link: RemoteLink, base: string | undefined, tip: string): Promise<number> {
  let n = 0;
  for (let at: string | undefined = tip; at !== undefined && at !== base; at = (await link.ledger.store.readCommit(at)).parents[0]) n++;
  return n;
}

export interface PushResult {
  /** Local tip = remote tip after the push. */
  tip: string | undefined;
  pushed: boolean;
  /** Push attempts made (0 when there was nothing to push). */
  attempts: number;
  /**
   * Set when the push itself failed ambiguously (timed out, connection lost) but re-reading the
   * remote showed that it had landed: the failure, for a warning.
   */
  landedDespite?: string;
}

/**
 * Step 2 (and `push`): pushes the local branch, retrying a lost race on top of the new remote tip.
 * Call after `syncFromRemote`; `refresh` syncs once more first (after a command did its work).
 */
export async function pushToRemote(link: RemoteLink, options: { refresh?: boolean; sleep?: (ms: number) => Promise<void> } = {}): Promise<PushResult> {
  const { ledger } = link;
  const store = ledger.store;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    // Fetch right before pushing (the remote may have moved while the command worked), so the
    // window in which another writer can get in first is one fetch and one push long.
    if (attempt > 1 || options.refresh) {
      await syncFromRemote(link, { replay: true });
    }
    const local = await ledger.tip();
    if (!local || local === (await store.resolveRef(link.trackingRef))) return { tip: local, pushed: false, attempts: attempt - 1 };
    try {
      await store.pushRef(link.spec, ledger.ref, ledger.ref, false, REMOTE_NAME);
      await store.setRef(link.trackingRef, local);
      return { tip: local, pushed: true, attempts: attempt };
    } catch (error) {
      if (isDriftError(error) && AMBIGUOUS.has(error.code)) {
        // The request may have failed after the server updated the ref: ask the remote before
        // declaring failure, so that a push that landed is not reported (and replayed) as lost.
        const remote = await fetchRemote(link).catch(() => undefined);
        if (remote === local) return { tip: local, pushed: true, attempts: attempt, landedDespite: error.message };
        throw error;
      }
      if (!isDriftError(error) || error.code !== 'REMOTE_REJECTED') throw withAuthHint(error, link);
      if (attempt >= PUSH_ATTEMPTS) {
        throw new DriftError(
          'REMOTE_REJECTED',
          `push to ${link.where} was rejected ${attempt} times (other writers kept moving the ledger branch "${ledger.branch}"); the commits are kept on the local branch and go out with the next write or "driftctl push"`,
          { data: { attempts: attempt, retryable: true } },
        );
      }
    }
    // Random, growing but capped: an agent that lost a few races is not pushed behind fresh ones.
    await sleep(Math.round((250 + Math.random() * 250) * Math.min(attempt, 3)));
  }
}

/** Push failures after which the push may still have landed (the answer was lost, not refused). */
const AMBIGUOUS = new Set(['REMOTE_TIMEOUT', 'REMOTE_UNREACHABLE']);

/** Pushes `ref` to the same name on the remote (accept --pr's branch); REMOTE_AUTH errors carry the hint. */
export async function pushBranchRef(link: RemoteLink, ref: string, force: boolean): Promise<void> {
  try {
    await link.ledger.store.pushRef(link.spec, ref, ref, force, REMOTE_NAME);
  } catch (error) {
    throw withAuthHint(error, link);
  }
}

function withAuthHint(error: unknown, link: RemoteLink): unknown {
  if (!isDriftError(error) || error.code !== 'REMOTE_AUTH') return error;
  const status = error.data.status;
  const hint = link.tokenSet
    ? `the token in the environment variable ${link.tokenEnv} was refused (wrong, expired, or without write access to the repository)`
    : `no token: set the environment variable ${link.tokenEnv} (ledger.token_env) to a token with access to the repository`;
  return new DriftError('REMOTE_AUTH', `${link.where} refused access to the ledger repository (HTTP ${String(status)}): ${hint}`, { data: { status, tokenEnv: link.tokenEnv } });
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
