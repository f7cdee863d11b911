import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectCode, ledgerLog, LEDGER, oneJson, showJson } from '../helpers/e2e.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { startGithubServer, type GithubServer } from '../helpers/github-server.js';
import { cli, SEED_CONFIG, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';

const GH_TOKEN = 'ghp_secretTOKEN123';
const GIT_TOKEN = 'git-secret-456';
const ENV = { GITHUB_TOKEN: GH_TOKEN, DRIFTCTL_GIT_TOKEN: GIT_TOKEN };
const REASON = 'gpt-4.1 rollout approved';

interface Setup {
  /** The ledger branch pull requests go to: drift-ledger, or drift-ledger/default under ledger.layout: per-target. */
  ledger: string;
  repo: TempRepo;
  git: GitServer;
  gh: GithubServer;
  bare: string;
  /** Plain git in the bare repository served as the ledger remote. */
  bareGit(...args: string[]): string;
  /** Pushes the local ledger branch to the remote with plain git (no-op when already there). */
  push(): void;
  /** Fast-forwards the local ledger branch to the remote's with plain git. */
  pull(): void;
  /** "Merges" a pull request: fast-forwards the remote ledger branch to its head. */
  merge(branch: string): void;
  cleanup(): Promise<void>;
}

async function setup(github: { prefix?: string; explicit?: boolean; layout?: 'per-target' } = {}): Promise<Setup> {
  const git = await startGitServer({ token: GIT_TOKEN });
  const bare = git.createRepo('acme/ledger');
  const gh = await startGithubServer({ token: GH_TOKEN, bareRepo: bare, owner: 'acme', repo: 'ledger', prefix: github.prefix });
  const remote = `${git.url}/acme/ledger.git`;
  const config =
    SEED_CONFIG.replace('  branch: drift-ledger\n', `  branch: drift-ledger\n  remote: ${remote}\n${github.layout ? `  layout: ${github.layout}\n` : ''}`) +
    `github:\n  api_url: ${gh.url}\n${github.explicit ? '  owner: acme\n  repo: ledger\n' : ''}` +
    'alerts:\n  channels:\n    - kind: file\n      path: .drift/alerts.jsonl\n';
  const repo = seedProject(config);
  const bareGit = (...args: string[]): string => execFileSync('git', ['--git-dir', bare, ...args], { env: TEST_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ledger = github.layout ? `${LEDGER}/default` : LEDGER;
  return {
    ledger,
    repo,
    git,
    gh,
    bare,
    bareGit,
    push: () => void repo.git('push', '-q', bare, `${ledger}:${ledger}`),
    pull: () => void repo.git('fetch', '-q', bare, `${ledger}:${ledger}`),
    merge(branch) {
      const head = bareGit('rev-parse', `refs/heads/${branch}`).trim();
      bareGit('merge-base', '--is-ancestor', ledger, head);
      bareGit('update-ref', `refs/heads/${ledger}`, head);
      for (const p of gh.pulls) if (p.head === branch) p.state = 'closed';
    },
    async cleanup() {
      repo.cleanup();
      await gh.close();
      await git.close();
    },
  };
}

/** init, a clean check, two edits (high + medium), a check with drift that opens an alert; all pushed. */
async function drifted(s: Setup): Promise<void> {
  expectCode(await cli(s.repo.dir, ['init'], ENV), 0, 'init');
  expectCode(await cli(s.repo.dir, ['check'], ENV), 0, 'clean check');
  s.repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
  s.repo.write('prompts/system.txt', 'You are a terse assistant.\n');
  expectCode(await cli(s.repo.dir, ['check'], ENV), 2, 'check with drift');
  s.push();
}

function with_(github: { prefix?: string; explicit?: boolean; layout?: 'per-target' }, body: (s: Setup) => Promise<void>): () => Promise<void> {
  return async () => {
    const s = await setup(github);
    try {
      await body(s);
    } finally {
      await s.cleanup();
    }
  };
}

const alertLines = (s: Setup): any[] => {
  const file = path.join(s.repo.dir, '.drift/alerts.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};

test(
  'accept --pr pushes an accept branch on the remote ledger tip and opens a pull request; merging it makes the next check clean',
  with_({}, async (s) => {
    await drifted(s);
    const ledgerTip = s.bareGit('rev-parse', LEDGER).trim();
    const localBefore = s.repo.git('rev-parse', LEDGER).trim();
    const run = await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--json'], ENV);
    expectCode(run, 0, 'accept (PR by default with github:)');
    const result = oneJson(run);
    assert.match(result.branch, /^driftctl\/accept\/default\/[0-9a-f]{10}$/);
    assert.equal(result.pullRequest, { number: 1, url: result.pullRequest.url, action: 'created' });
    assert.is(result.base, LEDGER);
    assert.is(result.accepted.length, 2);
    assert.not.match(run.stdout + run.stderr, GH_TOKEN);
    // The local ledger branch did not move: the accept takes effect when the pull request merges.
    assert.is(s.repo.git('rev-parse', LEDGER).trim(), localBefore);

    // GitHub saw: list open pulls for the head, then create; every request carried the token.
    assert.equal(s.gh.requests.map((r) => `${r.method} ${r.path}`), ['GET /repos/acme/ledger/pulls', 'POST /repos/acme/ledger/pulls']);
    for (const r of s.gh.requests) assert.match(r.auth, GH_TOKEN);
    assert.equal(s.gh.requests[0].query, { head: `acme:${result.branch}`, state: 'open', per_page: '100' });
    const post = s.gh.requests[1].body;
    assert.is(post.head, result.branch);
    assert.is(post.base, LEDGER);
    const text = `${post.title}\n${post.body}`;
    for (const needle of ['config/models.yaml', 'prompts/system.txt', 'high', 'medium', REASON, 'Test Author']) assert.ok(text.includes(needle), `PR title/body mention ${needle}:\n${text}`);
    assert.match(post.title, /^Accept 2 changes in default \(highest high\)/);

    // The pushed branch, read with plain git: accept commit on top of the ledger tip, then the alert
    // commit resolving the alert, then the queued notification.
    const branchTip = s.bareGit('rev-parse', `refs/heads/${result.branch}`).trim();
    assert.is(branchTip, result.tip);
    const commits = s.bareGit('rev-list', '--reverse', '--format=%P%x00%(trailers:key=Drift-Kind,valueonly)', `${LEDGER}..${result.branch}`)
      .split('\n')
      .filter((l) => l.includes('\0'))
      .map((l) => ({ parent: l.split('\0')[0], kind: l.split('\0')[1].trim() }));
    assert.equal(commits.map((c) => c.kind), ['accept', 'alert', 'outbox']);
    assert.is(commits[0].parent, ledgerTip, 'the accept commit sits on the ledger tip');
    const acceptCommit = s.bareGit('rev-list', '--reverse', `${LEDGER}..${result.branch}`).split('\n')[0];
    const changed = s.bareGit('diff', '--name-only', ledgerTip, acceptCommit).split('\n').filter(Boolean);
    assert.ok(changed.some((p) => p.startsWith('targets/default/baseline/')), `baseline changed: ${changed.join(', ')}`);
    assert.ok(changed.some((p) => p.endsWith(`${result.record.id}.accept.json`)), 'accept record added');
    const accept = JSON.parse(s.bareGit('show', `${acceptCommit}:${changed.find((p) => p.endsWith('.accept.json'))}`));
    assert.is(accept.reason, REASON);
    assert.is(accept.changes.length, 2);
    // Nothing announced before the merge.
    assert.not.ok(alertLines(s).some((l) => l.event === 'resolved'), 'no resolution notice before the merge');

    // Merge (fast-forward the remote ledger), catch up locally with plain git, check again.
    s.merge(result.branch);
    s.pull();
    assert.is(s.repo.git('rev-parse', LEDGER).trim(), branchTip);
    const check = await cli(s.repo.dir, ['check', '--json'], ENV);
    expectCode(check, 0, 'check after the merge');
    assert.equal(showJson(s.repo, 'targets/default/alerts.json').open, {});
    const resolved = alertLines(s).filter((l) => l.event === 'resolved');
    assert.is(resolved.length, 1, 'the queued resolution is delivered after the merge');
    assert.is(resolved[0].resolution?.reason ?? resolved[0].reason, 'accepted');
    assert.is(ledgerLog(s.repo).filter((c) => c.trailers['Drift-Kind'] === 'accept').length, 2);
  }),
);

test(
  'accepting the same drift again pushes the same branch and updates the open pull request',
  with_({}, async (s) => {
    await drifted(s);
    const first = oneJson(await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--json', '--pr'], ENV));
    const run = await cli(s.repo.dir, ['accept', '--all', '--reason', 'approved again, with the eval numbers', '--json', '--pr'], ENV);
    expectCode(run, 0, 'second accept');
    const second = oneJson(run);
    assert.is(second.branch, first.branch);
    assert.equal(second.pullRequest, { number: first.pullRequest.number, url: first.pullRequest.url, action: 'updated' });
    assert.is.not(second.tip, first.tip);
    assert.is(s.bareGit('rev-parse', `refs/heads/${second.branch}`).trim(), second.tip, 'the branch was force-pushed');
    assert.is(s.bareGit('for-each-ref', 'refs/heads/driftctl/').trim().split('\n').length, 1, 'one accept branch');
    const methods = s.gh.requests.map((r) => r.method);
    assert.equal(methods, ['GET', 'POST', 'GET', 'PATCH']);
    assert.is(s.gh.requests[3].path, `/repos/acme/ledger/pulls/${first.pullRequest.number}`);
    assert.match(s.gh.requests[3].body.body, 'approved again, with the eval numbers');
    assert.is(s.gh.pulls.length, 1);
  }),
);

test(
  'a partial accept --pr proposes only the named keys; after the merge the other drift stays open',
  with_({}, async (s) => {
    await drifted(s);
    const run = await cli(s.repo.dir, ['accept', 'config/models.yaml', '--reason', REASON, '--json', '--pr'], ENV);
    expectCode(run, 0, 'partial accept');
    const result = oneJson(run);
    assert.equal(result.accepted.map((c: any) => c.key), ['config/models.yaml']);
    assert.is(result.remaining, 1);
    const post = s.gh.requests.find((r) => r.method === 'POST')?.body;
    assert.match(post.body, 'config/models.yaml');
    assert.not.match(post.body, 'prompts/system.txt');
    s.merge(result.branch);
    s.pull();
    const check = await cli(s.repo.dir, ['check', '--json'], ENV);
    expectCode(check, 2, 'check after merging a partial accept');
    assert.equal(oneJson(check).reports[0].changes.map((c: any) => c.key), ['prompts/system.txt']);
    assert.equal(Object.keys(showJson(s.repo, 'targets/default/alerts.json').open).length, 1, 'the alert of the remaining drift stays open');
  }),
);

test(
  'a bad GitHub token fails with exit 1 naming GITHUB_TOKEN, without printing it or pushing anything',
  with_({}, async (s) => {
    await drifted(s);
    const bad = 'ghp_wrongTOKEN999';
    for (const json of [false, true]) {
      const run = await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, ...(json ? ['--json'] : [])], { ...ENV, GITHUB_TOKEN: bad });
      expectCode(run, 1, 'accept with a bad token');
      const out = run.stdout + run.stderr;
      assert.match(out, 'GITHUB_TOKEN');
      assert.not.match(out, bad);
      assert.not.match(out, GH_TOKEN);
      if (json) assert.is(oneJson(run).error.code, 'GITHUB_AUTH');
    }
    assert.is(s.bareGit('for-each-ref', 'refs/heads/driftctl/').trim(), '', 'nothing pushed');
    const missing = await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--json'], { DRIFTCTL_GIT_TOKEN: GIT_TOKEN });
    expectCode(missing, 1, 'accept without a token');
    assert.is(oneJson(missing).error.code, 'GITHUB_TOKEN_MISSING');
    // --direct keeps the local accept.
    expectCode(await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--direct'], { ...ENV, GITHUB_TOKEN: bad }), 0, 'accept --direct');
  }),
);

test(
  'GitHub Enterprise: an api_url with a path prefix works, and a pull request opened concurrently (422) is updated',
  with_({ prefix: '/api/v3', explicit: true }, async (s) => {
    await drifted(s);
    const first = oneJson(await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--json'], ENV));
    assert.is(first.pullRequest.action, 'created');
    s.gh.hideOpenPulls = 1;
    const run = await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--json'], ENV);
    expectCode(run, 0, 'accept racing an open pull request');
    assert.equal(oneJson(run).pullRequest, { ...first.pullRequest, action: 'updated' });
    assert.equal(s.gh.requests.map((r) => `${r.method} ${r.status}`), ['GET 200', 'POST 201', 'GET 200', 'POST 422', 'GET 200', 'PATCH 200']);
    for (const r of s.gh.requests) assert.match(r.path, /^\/api\/v3\/repos\/acme\/ledger\/pulls/);
  }),
);

test(
  'a refused ledger token: exit 1, REMOTE_AUTH naming the variable as for every remote command, without the token',
  with_({}, async (s) => {
    await drifted(s);
    const bad = 'git-wrong-789';
    const run = await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--json'], { ...ENV, DRIFTCTL_GIT_TOKEN: bad });
    expectCode(run, 1, 'accept --pr with a bad ledger token');
    const error = oneJson(run).error;
    assert.is(error.code, 'REMOTE_AUTH');
    assert.match(error.message, 'the token in the environment variable DRIFTCTL_GIT_TOKEN was refused');
    assert.not.match(run.stdout + run.stderr, bad);
    assert.equal(s.gh.pulls, [], 'no pull request opened');
  }),
);

/**
 * Merges a pull request the way a forge's three buttons do, on the remote: a merge commit (two
 * parents, the pull request's tree), a squash (one new commit with the pull request's tree and a
 * forge-written message without driftctl's trailers), or a rebase (each commit replayed: new
 * objects, same trees and messages).
 */
function mergeAs(s: Setup, branch: string, method: 'merge' | 'squash' | 'rebase'): void {
  const head = s.bareGit('rev-parse', `refs/heads/${branch}`).trim();
  const base = s.bareGit('rev-parse', s.ledger).trim();
  const tree = (rev: string): string => s.bareGit('rev-parse', `${rev}^{tree}`).trim();
  let tip: string;
  if (method === 'merge') {
    tip = s.bareGit('commit-tree', tree(head), '-p', base, '-p', head, '-m', `Merge pull request #1 from acme/${branch}`, '-m', 'Accept 2 changes in default').trim();
  } else if (method === 'squash') {
    const subjects = s.bareGit('log', '--reverse', '--format=* %s', `${base}..${head}`).trim();
    tip = s.bareGit('commit-tree', tree(head), '-p', base, '-m', 'Accept 2 changes in default (highest high) (#1)', '-m', subjects).trim();
  } else {
    tip = base;
    for (const commit of s.bareGit('rev-list', '--reverse', `${base}..${head}`).trim().split('\n')) {
      const message = s.bareGit('log', '-1', '--format=%B', commit);
      tip = s.bareGit('commit-tree', tree(commit), '-p', tip, '-m', message.trimEnd()).trim();
    }
  }
  s.bareGit('update-ref', `refs/heads/${s.ledger}`, tip);
  for (const p of s.gh.pulls) if (p.head === branch) p.state = 'closed';
}

for (const layout of [undefined, 'per-target'] as const)
for (const method of ['merge', 'squash', 'rebase'] as const) {
  test(
    `an accept pull request merged with ${method === 'merge' ? 'a merge commit' : method === 'squash' ? 'a squash' : 'a rebase'}${layout ? ' into the target\'s own branch (ledger.layout: per-target)' : ''}: verify passes, log and blame show the accept, the alert resolves`,
    with_({ layout }, async (s) => {
      await drifted(s);
      const result = oneJson(await cli(s.repo.dir, ['accept', '--all', '--reason', REASON, '--json'], ENV));
      assert.ok(result.pullRequest, 'a pull request was opened');
      assert.is(result.base, s.ledger, 'the pull request goes to the target\'s ledger branch');
      assert.is(s.gh.pulls[s.gh.pulls.length - 1].base, s.ledger);
      mergeAs(s, result.branch, method);
      s.pull();
      const check = await cli(s.repo.dir, ['check', '--json'], ENV);
      expectCode(check, 0, `check after the ${method}`);
      assert.equal(showJson(s.repo, 'targets/default/alerts.json', s.ledger).open, {}, 'the alert is resolved');
      const resolved = alertLines(s).filter((l) => l.event === 'resolved');
      assert.is(resolved.length, 1, 'the queued resolution is delivered once');
      const verify = await cli(s.repo.dir, ['verify', '--full', '--json'], ENV);
      expectCode(verify, 0, `verify after the ${method}: ${verify.stdout}`);
      const accepts = oneJson(await cli(s.repo.dir, ['log', '--kind', 'accept', '--json'], ENV)).entries;
      assert.equal(accepts.map((e: any) => e.record), [result.record.id, accepts[1]?.record].filter(Boolean));
      assert.is(accepts.length, 2, 'the pull request’s accept and the initial baseline');
      const blame = oneJson(await cli(s.repo.dir, ['blame', 'config/models.yaml', '--json'], ENV));
      const accepted = blame.events.filter((e: any) => e.kind === 'accept');
      assert.is(accepted.length, 2, JSON.stringify(blame.events));
      assert.equal([accepted[1].reason, accepted[1].by], [REASON, 'Test Author <author@example.test>']);
    }),
  );
}

test.run();
