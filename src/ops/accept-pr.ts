import { createHash } from 'node:crypto';
import { DEFAULT_GITHUB_API_URL, DEFAULT_GITHUB_TOKEN_ENV, githubRepoFromRemote, type TargetConfig } from '../config/config.js';
import { summarize, type Change } from '../drift/report.js';
import { DriftError, isDriftError } from '../errors.js';
import { fetchRemote, pushBranchRef, remoteLink, type RemoteLink } from '../ledger/remote-sync.js';
import { outboxPath } from '../ledger/layout.js';
import type { Edit } from '../ledger/ledger.js';
import { encodeRecord, personLine } from '../ledger/records.js';
import { outboxEntry } from '../alerts/delivery.js';
import { reportLink } from '../alerts/state-store.js';
import type { GithubClientOptions, PullRequest, PullRequests } from '../github/pull-requests.js';
import { changeView, summaryView, type ChangeView, type PullRequestView } from '../render/views.js';
import { changeKey, contentDiffs, withRecordedAttribution } from '../session/change-content.js';
import { stageAcceptChange, type AcceptOptions, type AcceptResult, type StagedAcceptChange } from '../session/accept-change.js';
import { notify, type Alerting } from '../alerts/notify.js';
import type { Payload } from '../channels/channel.js';
import type { OpDeps } from '../session/deps.js';
import { TOOL } from '../ledger/recorder.js';
import { readHead } from '../ledger/reader.js';
import { withLock, type Workspace } from '../session/workspace.js';
import { LedgerSet } from '../ledger/ledger-set.js';

/** Branches proposed for accepts: `driftctl/accept/<target>/<short-id>`. */
export const PR_BRANCH_PREFIX = 'driftctl/accept';

/**
 * `accept --pr`: the same accept commit (record, baseline change, resolved alerts) as a direct
 * accept, built on the remote ledger tip and pushed to its own branch instead of moving the ledger
 * branch, with a pull request into the ledger branch. The branch name is a stable hash of the
 * accepted change set, so accepting the same drift again force-pushes the same branch and updates
 * the open pull request instead of opening another. The local ledger branch is not moved; it
 * catches up by fetching once the pull request is merged.
 *
 * Notifications for the resolved alerts are not sent now: they are queued in the branch's
 * `outbox/`, so the first check after the merge delivers them (and an unmerged pull request
 * never announces a resolution).
 */
export async function acceptViaPullRequest(
  deps: OpDeps,
  options: AcceptOptions,
  context: { ws: Workspace; targetConfig: TargetConfig; alerting: Alerting; reason: string },
): Promise<AcceptResult> {
  const { targetConfig, alerting, reason } = context;
  const target = targetConfig.name;
  // A ledger set: the accept is proposed against the target's own member branch.
  const ws: Workspace = context.ws.ledger instanceof LedgerSet ? { ...context.ws, ledger: context.ws.ledger.member(target) } : context.ws;
  const ledgerBranch = ws.ledger.branch;
  const remoteUrl = ws.config.ledger.remote;
  if (!remoteUrl) {
    throw new DriftError('PR_NEEDS_REMOTE', 'accepting through a pull request needs ledger.remote (the GitHub repository holding the ledger branch) in the config; use --direct to accept locally', {});
  }
  const github = githubOptions(ws, deps.env, remoteUrl);
  const link = remoteLink(ws.ledger, ws.config, deps.env, { token: github.token, tokenEnv: github.tokenEnv }) as RemoteLink;
  const { createGithubClient } = await import('../github/github-client.js');
  const pulls: PullRequests = createGithubClient(github);

  return withLock(context.ws, deps, 'accept', async () => {
    const base = await fetchRemote(link);
    if (!base) {
      throw new DriftError('REMOTE_NO_LEDGER', `the ledger remote has no branch "${ledgerBranch}" yet: push the ledger there first`, { data: { branch: ledgerBranch } });
    }
    const staged = await stageAcceptChange(ws, deps, { targetConfig, channels: alerting.channels, base, options, reason });
    if (!staged) return { target, status: 'nothing-to-accept', accepted: [], remaining: 0, resolvedAlerts: 0, deliveries: [], branch: ledgerBranch, tip: base };
    const { payloads, deliveries } = await notify(alerting, undefined, staged.notices, staged.time);
    await queueNotices(staged, payloads);
    const head = staged.writer.headCommit as string;
    const branch = pullBranchName(target, staged.accepted);
    const ref = `refs/heads/${branch}`;

    // Ask GitHub first: a bad token fails before anything is pushed.
    const existing = await pulls.findOpenPull(branch);
    await ws.store.setRef(ref, head);
    await pushBranchRef(link, ref, true);

    const view = await pullRequestView(ws, base, target, staged, reason);
    const { title, body } = splitTitle(alerting.templates.render('pr-body', view));
    let pull: PullRequest;
    let action: 'created' | 'updated';
    if (existing) {
      pull = await pulls.updatePull(existing.number, { title, body });
      action = 'updated';
    } else {
      try {
        pull = await pulls.createPull({ title, body, head: branch, base: ledgerBranch });
        action = 'created';
      } catch (error) {
        // Opened by someone else since we looked (422): update that one instead.
        if (!isDriftError(error) || error.code !== 'PULL_EXISTS') throw error;
        const found = await pulls.findOpenPull(branch);
        if (!found) throw error;
        pull = await pulls.updatePull(found.number, { title, body });
        action = 'updated';
      }
    }
    return {
      target,
      status: 'accepted',
      record: staged.record,
      accepted: staged.accepted,
      remaining: staged.remaining.length,
      resolvedAlerts: staged.resolvedAlerts,
      deliveries,
      branch,
      base: ledgerBranch,
      tip: head,
      pullRequest: { number: pull.number, url: pull.url, action },
    };
  });
}

/**
 * `driftctl/accept/<target>/<short-id>`: short-id is the first 10 hex digits of the sha256 of the
 * target and the accepted changes (sorted by source and key) with their new content hashes.
 */
export function pullBranchName(target: string, accepted: readonly Change[]): string {
  const lines = accepted
    .map((c) => `${c.source}\0${c.key}\0${c.after ? (c.after.sha256 ?? c.after.error ?? 'unreadable') : 'removed'}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const id = createHash('sha256').update([target, ...lines].join('\n')).digest('hex').slice(0, 10);
  return `${PR_BRANCH_PREFIX}/${target}/${id}`;
}

function githubOptions(ws: Workspace, env: Record<string, string | undefined>, remoteUrl: string): GithubClientOptions {
  const configured = ws.config.github;
  const derived = githubRepoFromRemote(remoteUrl);
  const owner = configured?.owner || derived?.owner;
  const repo = configured?.repo || derived?.repo;
  if (!owner || !repo) {
    throw new DriftError('PR_NEEDS_REPO', 'accepting through a pull request needs github.owner and github.repo, or a ledger.remote of the form https://HOST/OWNER/REPO(.git)', {});
  }
  const tokenEnv = configured?.tokenEnv ?? DEFAULT_GITHUB_TOKEN_ENV;
  const token = env[tokenEnv];
  if (!token) {
    throw new DriftError('GITHUB_TOKEN_MISSING', `accepting through a pull request needs a GitHub token in the environment variable ${tokenEnv}`, { data: { tokenEnv } });
  }
  return { baseUrl: configured?.apiUrl ?? DEFAULT_GITHUB_API_URL, owner, repo, token, tokenEnv };
}

/** Queues the rendered notices in the branch's outbox (one `outbox` commit) for after the merge. */
async function queueNotices(staged: StagedAcceptChange, payloads: Payload[]): Promise<void> {
  if (payloads.length === 0) return;
  const edits: Edit[] = payloads.map((payload) => {
    const entry = outboxEntry(payload, staged.time, 0, 'waiting for the accept pull request to be merged');
    return { path: outboxPath(entry.id), blob: encodeRecord('outbox', entry) };
  });
  await staged.writer.commit(edits, `outbox: ${edits.length} waiting for the accept pull request`, { 'Drift-Kind': 'outbox' });
}

async function pullRequestView(ws: Workspace, base: string, target: string, staged: StagedAcceptChange, reason: string): Promise<PullRequestView> {
  const head = await readHead(ws.ledger, base, target);
  const reportId = head.report?.id ?? null;
  return {
    now: staged.time.toISOString(),
    target,
    by: personLine(staged.record.by),
    reason,
    changes: await pullRequestChanges(ws, base, target, staged.accepted),
    summary: summaryView(summarize(staged.accepted)),
    report: { id: reportId, link: reportLink(ws.config, target, reportId) },
    tool: { ...TOOL },
  };
}

/** The accepted changes with the attribution the latest report recorded and their content diffs (baseline → latest). */
async function pullRequestChanges(ws: Workspace, base: string, target: string, accepted: Change[]): Promise<ChangeView[]> {
  const head = await readHead(ws.ledger, base, target);
  const changes = await withRecordedAttribution(ws.ledger, base, target, accepted);
  const diffs = await contentDiffs(ws.ledger.reader(), changes, { before: head.baseline?.tree, after: head.snapshot?.tree });
  return changes.map((c) => changeView(c, diffs.get(changeKey(c))));
}

/** The template's first line is the title (without Markdown heading marks); the rest is the body. */
export function splitTitle(text: string): { title: string; body: string } {
  const trimmed = text.replace(/^\s+/, '');
  const newline = trimmed.indexOf('\n');
  const first = (newline < 0 ? trimmed : trimmed.slice(0, newline)).replace(/^#+\s*/, '').trim();
  const title = first.length > 250 ? `${first.slice(0, 249)}…` : first;
  return { title: title || 'Accept drift', body: newline < 0 ? '' : trimmed.slice(newline + 1).trim() + '\n' };
}
