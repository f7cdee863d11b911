import type { ConfigOption, OpDeps } from '../session/deps.js';
import { pushToRemote, requireRemote, syncFromRemote, type SyncState } from '../ledger/remote-sync.js';
import { openWorkspace, withLocalLock } from '../session/workspace.js';
import { LedgerSet } from '../ledger/ledger-set.js';
import { pushSet } from '../session/set-sync.js';

export interface PushResult {
  branch: string;
  /** How the local branch related to the remote before the push. */
  state: SyncState;
  pushed: boolean;
  /** Push attempts (a lost race is retried on the new remote tip, up to 8 times). */
  attempts: number;
  /** Local tip = remote tip afterwards. */
  tip: string | null;
  /** A ledger set (`ledger.layout: per-target`): each member branch pushed. */
  members?: { member: string; pushed: boolean; attempts: number }[];
}

/**
 * Sends local ledger commits to `ledger.remote`: fetch, replay local commits on top of the remote
 * tip if it moved, push, and retry a lost race the same way every writing command does.
 */
export async function push(deps: OpDeps, options: ConfigOption): Promise<PushResult> {
  const ws = openWorkspace(deps, options);
  const link = requireRemote(ws.ledger, ws.config, deps.env);
  const set = ws.ledger;
  if (set instanceof LedgerSet) {
    return withLocalLock(ws, deps, 'push', async () => {
      const states: SyncState[] = [];
      for (const member of await set.memberNames()) states.push((await syncFromRemote(requireRemote(set.member(member), ws.config, deps.env), { replay: true })).state);
      const outcome = await pushSet(set, ws.config, deps, { onlyAhead: false });
      if (outcome.failed) throw outcome.failed;
      const state: SyncState = states.includes('replayed') ? 'replayed' : states.includes('ahead') || states.includes('no-remote-branch') ? 'ahead' : 'up-to-date';
      const tip = await set.tip();
      return {
        branch: ws.config.ledger.branch,
        state,
        pushed: outcome.members.some((m) => m.pushed),
        attempts: outcome.members.reduce((n, m) => n + m.attempts, 0),
        tip: tip ?? null,
        members: outcome.members.map((m) => ({ member: m.member, pushed: m.pushed, attempts: m.attempts })),
      };
    });
  }
  return withLocalLock(ws, deps, 'push', async () => {
    const synced = await syncFromRemote(link, { replay: true });
    const pushed = await pushToRemote(link);
    return { branch: ws.config.ledger.branch, state: synced.state, pushed: pushed.pushed, attempts: pushed.attempts, tip: pushed.tip ?? null };
  });
}
