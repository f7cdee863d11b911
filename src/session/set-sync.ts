import type { Config } from '../config/config.js';
import { DriftError, isDriftError } from '../errors.js';
import { SHARED_MEMBER, type LedgerSet } from '../ledger/ledger-set.js';
import { pushToRemote, remoteLink, syncFromRemote, type PushResult } from '../ledger/remote-sync.js';
import type { OpDeps } from './deps.js';

/**
 * Remote sync of a ledger set around a writing command (README "Remote ledgers"): each member is
 * a branch synchronised exactly as a single-branch ledger is (ledger/remote-sync.ts), and a
 * command touches only the refs it needs: before `fn`, it fetches (and fast-forwards or replays)
 * the members of the config's enabled targets and `_shared`; after, it pushes only the members
 * whose local tip differs from the remote tip as last seen, without fetching again first. Agents writing different targets
 * therefore never push to the same ref and never lose a race to each other.
 */
export async function withSetSync<T>(set: LedgerSet, config: Config, deps: OpDeps, fn: () => Promise<T>): Promise<T> {
  if (!config.ledger.remote) return fn();
  const names = new Set([...config.targets.filter((t) => t.enabled).map((t) => t.name), SHARED_MEMBER]);
  for (const name of names) {
    const link = remoteLink(set.member(name), config, deps.env);
    if (link) await syncFromRemote(link, { replay: true });
  }
  const result = await fn();
  const published = await set.tip();
  const outcome = await pushSet(set, config, deps, { onlyAhead: true });
  if (outcome.failed) throw outcome.failed;
  const after = await set.tip();
  if (after !== published && result && typeof result === 'object' && (result as { tip?: unknown }).tip === published) {
    (result as unknown as { tip: string | undefined }).tip = after;
  }
  return result;
}

export interface SetPushOutcome {
  members: { member: string; pushed: boolean; attempts: number; tip: string | undefined }[];
  /** The first error that is not a lost race (the other members were still pushed). */
  failed?: unknown;
}

/**
 * Pushes every local member whose tip differs from its tracking ref (`onlyAhead`), or every local
 * member (`driftctl push`), each with the single-branch retry loop. A member that loses every race
 * is a warning (its commits wait on the local branch), as for one branch.
 */
export async function pushSet(set: LedgerSet, config: Config, deps: OpDeps, options: { onlyAhead: boolean }): Promise<SetPushOutcome> {
  const outcome: SetPushOutcome = { members: [] };
  for (const name of await set.memberNames()) {
    const ledger = set.member(name);
    const link = remoteLink(ledger, config, deps.env);
    if (!link) continue;
    const local = await ledger.tip();
    if (options.onlyAhead && local === (await set.store.resolveRef(link.trackingRef))) continue;
    let pushed: PushResult;
    try {
      // After a write, push at once: a member ref has one writer (its target's agent), and the
      // push is itself the compare-and-swap; a rejected push fetches, replays and retries. So a
      // writing command fetches once (before it works), not twice. `driftctl push` refreshes first.
      pushed = await pushToRemote(link, { refresh: !options.onlyAhead });
    } catch (error) {
      if (isDriftError(error) && error.code === 'REMOTE_REJECTED') {
        deps.warn?.(error.message);
        outcome.members.push({ member: name, pushed: false, attempts: Number(error.data.attempts ?? 0), tip: local });
        continue;
      }
      const message = isDriftError(error) ? `${error.message}; the commits of "${ledger.branch}" are kept on the local branch and go out with the next write or "driftctl push"` : String(error);
      outcome.failed ??= isDriftError(error) ? new DriftError(error.code, message, { data: error.data, cause: error }) : error;
      continue;
    }
    if (pushed.landedDespite) deps.warn?.(`${pushed.landedDespite}, but the remote has this run's commits of "${ledger.branch}": the push landed`);
    outcome.members.push({ member: name, pushed: pushed.pushed, attempts: pushed.attempts, tip: pushed.tip });
  }
  return outcome;
}
