import { existsSync } from 'node:fs';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { DriftError } from '../errors.js';
import { GitStore } from '../ledger/git-store.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { remoteMembers, requireRemote, syncFromRemote, type SyncState } from '../ledger/remote-sync.js';
import { openStore, withLocalLock, workspaceFor } from '../session/workspace.js';
import { LedgerSet } from '../ledger/ledger-set.js';
import { layoutInRepository } from '../session/layout-choice.js';

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
  /** A ledger set (`ledger.layout: per-target`): each member branch's own result. */
  members?: { member: string; state: SyncState; tip: string | null; ahead: number; behind: number }[];
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
  let ws = workspaceFor(config, store);
  const link = requireRemote(ws.ledger, ws.config, deps.env);
  // A repository without any ledger yet takes the layout the remote has.
  let listed: string[] | undefined;
  if (!(ws.ledger instanceof LedgerSet) && config.ledger.layout !== 'branch' && layoutInRepository(store.gitdir, config.ledger.branch) === undefined) {
    listed = await remoteMembers(link);
    if (listed.length > 0) ws = workspaceFor({ ...config, ledger: { ...config.ledger, layout: 'per-target' } }, store);
  }
  const set = ws.ledger;
  if (set instanceof LedgerSet) {
    return withLocalLock(ws, deps, 'pull', async () => {
      const onRemote = listed ?? (await remoteMembers(requireRemote(set, config, deps.env)));
      const names = [...new Set([...onRemote, ...(await set.memberNames())])].sort();
      const members: NonNullable<PullResult['members']> = [];
      for (const member of names) {
        const r = await syncFromRemote(requireRemote(set.member(member), config, deps.env), { replay: false });
        members.push({ member, state: r.state, tip: r.tip ?? null, ahead: r.ahead, behind: r.behind });
      }
      const states = new Set(members.map((m) => m.state));
      const state: SyncState = members.length === 0 ? 'no-remote-branch' : states.has('ahead') ? 'ahead' : states.has('created') || states.has('fast-forwarded') ? 'fast-forwarded' : 'up-to-date';
      const tip = await set.tip();
      return { branch: config.ledger.branch, state, tip: tip ?? null, remote: null, ahead: members.reduce((n, m) => n + m.ahead, 0), behind: members.reduce((n, m) => n + m.behind, 0), members };
    });
  }
  return withLocalLock(ws, deps, 'pull', async () => {
    const r = await syncFromRemote(link, { replay: false });
    return { branch: config.ledger.branch, state: r.state, tip: r.tip ?? null, remote: r.remote ?? null, ahead: r.ahead, behind: r.behind };
  });
}
