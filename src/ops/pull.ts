import { existsSync } from 'node:fs';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { DriftError } from '../errors.js';
import { GitStore } from '../ledger/git-store.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { requireRemote, syncFromRemote, type SyncState } from '../ledger/remote-sync.js';
import { openStore, withLocalLock, workspaceFor } from '../session/workspace.js';

export interface PullResult {
  branch: string;
  state: SyncState;
  /** Local tip after the pull (undefined: neither side has the branch yet). */
  tip: string | null;
  remote: string | null;
  /** Local commits the remote lacks (push them with `driftctl push`). */
  ahead: number;
  /** Commits that came in. */
  behind: number;
}

/**
 * Fetches the ledger branch from `ledger.remote` and fast-forwards the local branch to it (creating
 * it, and the ledger repository at `ledger.path`, when missing). A local branch with commits the
 * remote lacks while the remote moved on is an error: `push` replays and sends them.
 */
export async function pull(deps: OpDeps, options: ConfigOption): Promise<PullResult> {
  const config = loadConfig(resolveConfigPath(deps.cwd, options.config), deps.cwd);
  if (!config.ledger.remote) throw new DriftError('REMOTE_NOT_CONFIGURED', `${config.file}: ledger.remote is not set (add the git URL of the shared ledger repository)`, {});
  const store = config.ledger.path && !existsSync(config.ledger.path) ? await GitStore.initBare(config.ledger.path, config.ledger.branch) : openStore(config);
  const ws = workspaceFor(config, store);
  const link = requireRemote(ws.ledger, ws.config, deps.env);
  return withLocalLock(ws, deps, 'pull', async () => {
    const r = await syncFromRemote(link, { replay: false });
    return { branch: config.ledger.branch, state: r.state, tip: r.tip ?? null, remote: r.remote ?? null, ahead: r.ahead, behind: r.behind };
  });
}
