import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, SEED_CONFIG, seedProject, TEST_ENV } from '../helpers/repo.js';
import { expectCode, LEDGER, ledgerTip, oneJson } from '../helpers/e2e.js';
import { startGitServer, type GitServer, type SlowMode } from '../helpers/git-server.js';

/**
 * Slow git servers (tests/helpers/git-server.ts "slow" mode): a server slower than Node's 5 s
 * keep-alive socket timeout still takes pushes; `ledger.timeout` bounds each request and a request
 * that runs out of it says "timed out"; a push whose answer is lost is checked against the remote
 * before it is called a failure.
 */
const TOKEN = 'tok-slow-0c1d2e3f4a5b';
const ENV = { DRIFTCTL_GIT_TOKEN: TOKEN };

function withRemote(url: string, extra = ''): string {
  return SEED_CONFIG.replace('  branch: drift-ledger\n', `  branch: drift-ledger\n  remote: ${url}\n${extra}`);
}

function bareTip(bare: string): string | undefined {
  try {
    return execFileSync('git', ['--git-dir', bare, 'rev-parse', '--verify', '-q', `refs/heads/${LEDGER}`], { env: TEST_ENV, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function withServer(slow: SlowMode | undefined, body: (server: GitServer) => Promise<void>): Promise<void> {
  const server = await startGitServer({ token: TOKEN, ...(slow ? { slow } : {}) });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('a git server that answers each POST after 6 s (beyond Node\'s 5 s socket timeout): init and check push, exit 0 and 2', () =>
  withServer({ ms: 6000, service: 'git-receive-pack' }, async (server) => {
    const bare = server.createRepo('ledger');
    const repo = seedProject(withRemote(`${server.url}/ledger.git`));
    try {
      const init = await cli(repo.dir, ['init'], ENV);
      expectCode(init, 0, 'init through a slow server');
      assert.not.match(init.stderr, /cannot reach|timed out/);
      assert.is(bareTip(bare), ledgerTip(repo), 'the remote has the ledger');
      assert.ok(server.requests.some((r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack') && r.status === 200), 'the push went through the slow path');
      repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
      const check = await cli(repo.dir, ['check'], ENV);
      expectCode(check, 2, 'check through a slow server');
      assert.not.match(check.stderr, /cannot reach|timed out/);
      assert.is(bareTip(bare), ledgerTip(repo), 'the remote has the report');
    } finally {
      repo.cleanup();
    }
  }),
);

test('ledger.timeout: a push whose answer comes too late but landed is confirmed from the remote (exit 0, a warning); one that never landed fails saying "timed out", commits kept', () =>
  withServer(undefined, async (server) => {
    const bare = server.createRepo('ledger');
    const repo = seedProject(withRemote(`${server.url}/ledger.git`, '  timeout: 1s\n'));
    try {
      server.slow({ ms: 2500, service: 'git-receive-pack', phase: 'answer' });
      const init = await cli(repo.dir, ['init', '--json'], ENV);
      expectCode(init, 0, 'init: the push landed although its answer timed out');
      assert.match(init.stderr, /push to http:\/\/127\.0\.0\.1:\d+ timed out after 1000 ms \(ledger\.timeout\), but the remote has this run's commits: the push landed/);
      assert.is(bareTip(bare), ledgerTip(repo));
      assert.is(oneJson(init).tip ?? ledgerTip(repo), ledgerTip(repo));
      assert.is(repo.git('rev-parse', `refs/remotes/driftctl/${LEDGER}`).trim(), ledgerTip(repo), 'the tracking ref knows it landed');

      server.slow({ ms: 2500, service: 'git-receive-pack', phase: 'request' });
      repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
      const before = bareTip(bare);
      const check = await cli(repo.dir, ['check', '--json'], ENV);
      expectCode(check, 1, 'check: the push never landed');
      const error = oneJson(check).error;
      assert.is(error.code, 'REMOTE_TIMEOUT');
      assert.match(error.message, /^push to http:\/\/127\.0\.0\.1:\d+ timed out after 1000 ms \(ledger\.timeout\); this run's commits are kept on the local ledger branch/);
      assert.not.match(check.stdout + check.stderr, new RegExp(TOKEN));
      assert.is(bareTip(bare), before, 'nothing landed');
      assert.not.equal(ledgerTip(repo), before, 'the report is kept locally');

      // The server is fast again: the next write sends the kept commits.
      server.slow(undefined);
      const push = await cli(repo.dir, ['push', '--json'], ENV);
      expectCode(push, 0, 'push');
      assert.is(bareTip(bare), ledgerTip(repo));
    } finally {
      repo.cleanup();
    }
  }),
);

test('ledger.timeout: a fetch that runs out of time fails with "timed out", exit 1', () =>
  withServer(undefined, async (server) => {
    server.createRepo('ledger');
    const repo = seedProject(withRemote(`${server.url}/ledger.git`, '  timeout: 1s\n'));
    try {
      expectCode(await cli(repo.dir, ['init'], ENV), 0, 'init');
      server.slow({ ms: 2500, service: 'git-upload-pack' });
      repo.git('update-ref', '-d', `refs/remotes/driftctl/${LEDGER}`);
      repo.git('update-ref', `refs/heads/${LEDGER}`, `${LEDGER}~1`);
      const pull = await cli(repo.dir, ['pull'], ENV);
      expectCode(pull, 1, 'pull');
      assert.match(pull.stderr, /fetch from http:\/\/127\.0\.0\.1:\d+ timed out after 1000 ms \(ledger\.timeout\)/);
    } finally {
      repo.cleanup();
    }
  }),
);

test.run();
