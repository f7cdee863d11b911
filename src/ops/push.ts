import type { ConfigOption, OpDeps } from '../session/deps.js';
import { pushToRemote, requireRemote, syncFromRemote, type SyncState } from '../ledger/remote-sync.js';
import { openWorkspace, withLocalLock } from '../session/workspace.js';

export interface PushResult {
  branch: string;
  /** How the local branch related to the remote before the push. */
  state: SyncState;
  pushed: boolean;
  /** Push attempts (a lost race is retried on the new remote tip, up to 8 times). */
  attempts: number;
  /** Local tip = remote tip afterwards. */
  tip: string | null;
}

/**
 * Sends local ledger commits to `ledger.remote`: fetch, replay local commits on top of the remote
 * tip if it moved, push, and retry a lost race the same way every writing command does.
 */
export async function push(deps: OpDeps, options: ConfigOption): Promise<PushResult> {
  const ws = openWorkspace(deps, options);
  const link = requireRemote(ws.ledger, ws.config, deps.env);
  return withLocalLock(ws, deps, 'push', async () => {
    const synced = await syncFromRemote(link, { replay: true });
    const pushed = await pushToRemote(link);
    return { branch: ws.config.ledger.branch, state: synced.state, pushed: pushed.pushed, attempts: pushed.attempts, tip: pushed.tip ?? null };
  });
}
