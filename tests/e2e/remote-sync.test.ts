import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, SEED_CONFIG, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, LEDGER, ledgerTip, oneJson } from '../helpers/e2e.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';

/**
 * Remote ledgers against a real `git http-backend` server on loopback: init and check push, a
 * second machine pulls and reads the same history, bad credentials fail clearly without leaking
 * the token, unpushed commits are replayed on the remote tip, and two machines writing one target
 * are refused rather than merged.
 */
const TOKEN = 'tok-3f9a1c77e2-super-secret';
const ENV = { DRIFTCTL_GIT_TOKEN: TOKEN };

function withRemote(config: string, url: string, extra = ''): string {
  return config.replace('  branch: drift-ledger\n', `  branch: drift-ledger\n  remote: ${url}\n${extra}`);
}

function bareGit(bare: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', bare, ...args], { env: TEST_ENV, encoding: 'utf8' });
}

function bareTip(bare: string): string | undefined {
  try {
    return bareGit(bare, 'rev-parse', '--verify', '-q', `refs/heads/${LEDGER}`).trim();
  } catch {
    return undefined;
  }
}

/** A second machine: an unrelated repository with the same target name and the same remote. */
function machineB(url: string): TempRepo {
  return makeRepo({ 'driftctl.yml': withRemote(SEED_CONFIG, url), 'src/main.py': 'print("other machine")\n' });
}

async function withServer(body: (server: GitServer) => Promise<void>, token: string | undefined = TOKEN): Promise<void> {
  const server = await startGitServer(token ? { token } : {});
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('init and check push to the remote; another machine pulls and reads the same log, diff and status', () =>
  withServer(async (server) => {
    const bare = server.createRepo('ledger');
    const url = `${server.url}/ledger.git`;
    const a = seedProject(withRemote(SEED_CONFIG, url));
    const b = machineB(url);
    try {
      expectCode(await cli(a.dir, ['init'], ENV), 0, 'init on A');
      assert.is(bareTip(bare), ledgerTip(a), 'the remote has the ledger A created');
      a.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
      const check = await cli(a.dir, ['check', '--json'], ENV);
      expectCode(check, 2, 'check on A');
      assert.is(oneJson(check).tip, ledgerTip(a), 'check reports the pushed tip');
      assert.is(bareTip(bare), ledgerTip(a), 'the remote has the report');
      assert.is(a.git('rev-parse', `refs/remotes/driftctl/${LEDGER}`).trim(), ledgerTip(a), 'tracking ref');
      assert.not.ok(a.git('for-each-ref', 'refs/remotes/origin').trim(), 'no refs under origin were written');
      assert.not.ok(readFileSync(path.join(a.dir, '.git', 'config'), 'utf8').includes(TOKEN), 'the token is not stored');

      expectCode(await cli(b.dir, ['log'], ENV), 1, 'log on B before pull');
      const pull = await cli(b.dir, ['pull', '--json'], ENV);
      expectCode(pull, 0, 'pull on B');
      assert.is(oneJson(pull).state, 'created');
      assert.is(ledgerTip(b), ledgerTip(a), 'B has the same tip');
      const logA = oneJson(await cli(a.dir, ['log', '--json']));
      const logB = oneJson(await cli(b.dir, ['log', '--json']));
      assert.equal(logB, logA, 'the same log on both machines');
      assert.ok(logA.entries.length >= 4);
      const diffB = await cli(b.dir, ['diff', '--json']);
      expectCode(diffB, 2, 'diff on B');
      assert.equal(oneJson(diffB).changes.map((c: { key: string }) => c.key), ['config/models.yaml']);
      expectCode(await cli(b.dir, ['status'], ENV), 0, 'status on B');
      const again = await cli(b.dir, ['pull', '--json'], ENV);
      expectCode(again, 0, 'second pull');
      assert.is(oneJson(again).state, 'up-to-date');
      expectCode(await cli(b.dir, ['verify'], ENV), 0, 'verify on B');
    } finally {
      a.cleanup();
      b.cleanup();
    }
  }));

test('the remote HEAD points at the ledger branch: a plain git clone checks out the ledger', () =>
  withServer(async (server) => {
    const bare = server.createRepo('ledger');
    const a = seedProject(withRemote(SEED_CONFIG, `${server.url}/ledger.git`));
    const clone = mkdtempSync(path.join(tmpdir(), 'driftctl-clone-'));
    try {
      expectCode(await cli(a.dir, ['init']), 0, 'init without a token on an open server');
      assert.is(bareGit(bare, 'symbolic-ref', 'HEAD').trim(), `refs/heads/${LEDGER}`);
      assert.is(bareGit(bare, 'rev-parse', 'HEAD').trim(), ledgerTip(a), 'HEAD resolves to the ledger tip');
      execFileSync('git', ['clone', '-q', bare, clone], { env: TEST_ENV });
      assert.is(execFileSync('git', ['-C', clone, 'symbolic-ref', 'HEAD'], { env: TEST_ENV, encoding: 'utf8' }).trim(), `refs/heads/${LEDGER}`);
      assert.ok(readFileSync(path.join(clone, 'ledger.json'), 'utf8').includes('"kind": "ledger"') || readFileSync(path.join(clone, 'ledger.json'), 'utf8').includes('"kind":"ledger"'));
    } finally {
      a.cleanup();
      rmSync(clone, { recursive: true, force: true });
    }
  }, ''));

test('a bad or missing token: exit 1, REMOTE_AUTH naming the variable, never the token; credentials in the URL are refused', () =>
  withServer(async (server) => {
    server.createRepo('ledger');
    const url = `${server.url}/ledger.git`;
    const a = seedProject(withRemote(SEED_CONFIG, url));
    try {
      const bad = await cli(a.dir, ['init', '--json'], { DRIFTCTL_GIT_TOKEN: 'wrong-token-0001' });
      expectCode(bad, 1, 'init with a bad token');
      assert.is(oneJson(bad).error.code, 'REMOTE_AUTH');
      assert.match(bad.stderr, /DRIFTCTL_GIT_TOKEN/);
      assert.not.ok(`${bad.stdout}${bad.stderr}`.includes('wrong-token-0001'), 'the token is never printed');
      assert.not.ok(`${bad.stdout}${bad.stderr}`.includes('/ledger.git'), 'the URL path is not printed');
      assert.is(ledgerTip(a), undefined, 'nothing was written');

      const none = await cli(a.dir, ['check', '--json'], {});
      expectCode(none, 1, 'check without a token');
      assert.is(oneJson(none).error.code, 'REMOTE_AUTH');
      assert.match(oneJson(none).error.message, /set the environment variable DRIFTCTL_GIT_TOKEN/);

      a.write('driftctl.yml', withRemote(SEED_CONFIG, url, '  token_env: LEDGER_TOKEN\n'));
      expectCode(await cli(a.dir, ['init'], { LEDGER_TOKEN: TOKEN }), 0, 'init with token_env');

      const inUrl = url.replace('http://', `http://user:${TOKEN}@`);
      a.write('driftctl.yml', withRemote(SEED_CONFIG, inUrl));
      const cred = await cli(a.dir, ['check', '--json'], ENV);
      expectCode(cred, 1, 'credentials in the URL');
      assert.is(oneJson(cred).error.code, 'CONFIG_INVALID');
      assert.match(cred.stderr, /ledger\.remote: must not contain credentials/);
      assert.not.ok(`${cred.stdout}${cred.stderr}`.includes(TOKEN), 'the token in the URL is not echoed');
    } finally {
      a.cleanup();
    }
  }));

test('unpushed local commits are replayed on the remote tip: pull refuses to diverge, push replays, verify passes', () =>
  withServer(async (server) => {
    const bare = server.createRepo('ledger');
    const url = `${server.url}/ledger.git`;
    const targets = (name: string): string =>
      withRemote(SEED_CONFIG, url).replace(/sources:\n(  - name: files\n(?: {4}.*\n)+)/, (_m, src: string) => `targets:\n  - name: ${name}\n    sources:\n${src.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n')}`);
    const a = seedProject(targets('alpha'));
    const b = seedProject(targets('beta'));
    try {
      expectCode(await cli(a.dir, ['init'], ENV), 0, 'init alpha');
      expectCode(await cli(b.dir, ['init'], ENV), 0, 'init beta (on top of alpha)');
      // A checks while offline from the remote (no remote in its config): local commits only.
      a.write('driftctl.yml', targets('alpha').replace(/  remote: .*\n/, ''));
      a.write('config/models.yaml', 'models: {}\n');
      expectCode(await cli(a.dir, ['check'], ENV), 2, 'offline check on A');
      const offlineTip = ledgerTip(a);
      a.write('driftctl.yml', targets('alpha'));
      b.write('prompts/system.txt', 'changed\n');
      expectCode(await cli(b.dir, ['check'], ENV), 2, 'check on B (pushes)');

      const pull = await cli(a.dir, ['pull', '--json'], ENV);
      expectCode(pull, 1, 'pull on a diverged branch');
      assert.is(oneJson(pull).error.code, 'REMOTE_DIVERGED');
      assert.is(ledgerTip(a), offlineTip, 'pull changed nothing');

      const push = await cli(a.dir, ['push', '--json'], ENV);
      expectCode(push, 0, 'push replays');
      assert.is(oneJson(push).pushed, true);
      assert.is(bareTip(bare), ledgerTip(a), 'local branch = pushed tip');
      bareGit(bare, 'merge-base', '--is-ancestor', ledgerTip(b) as string, LEDGER); // throws unless B's tip is on the remote
      const kinds = bareGit(bare, 'log', '--format=%(trailers:key=Drift-Target,valueonly,separator=%x2C)/%(trailers:key=Drift-Kind,valueonly,separator=%x2C)', LEDGER)
        .trim()
        .split('\n')
        .map((k) => k.replace(/,[^/]*/, '').replace(/,.*$/, '')); // the first target / the first kind of each commit
      assert.is(kinds.filter((k) => k === 'alpha/report').length, 1, 'alpha’s offline report, once');
      assert.is(kinds.filter((k) => k === 'beta/report').length, 1, 'beta’s report, once');
      assert.is(bareGit(bare, 'rev-list', '--merges', LEDGER).trim(), '', 'linear');
      assert.is(bareGit(bare, 'rev-list', '--max-parents=0', LEDGER).trim().split('\n').length, 1, 'one root');
      const verifyA = await cli(a.dir, ['verify', '--json'], ENV);
      expectCode(verifyA, 0, 'verify on A after the replay (checkpoints follow the replayed commits)');

      // Two machines writing the same target: the replay is refused, nothing moves.
      const c = seedProject(targets('alpha'));
      try {
        expectCode(await cli(c.dir, ['pull'], ENV), 0, 'pull on C');
        c.write('driftctl.yml', targets('alpha').replace(/  remote: .*\n/, ''));
        c.write('src/main.py', 'print(1)\n');
        expectCode(await cli(c.dir, ['check'], ENV), 2, 'offline check on C');
        const before = ledgerTip(c);
        a.write('src/main.py', 'print(2)\n');
        expectCode(await cli(a.dir, ['check'], ENV), 2, 'check on A');
        c.write('driftctl.yml', targets('alpha'));
        const conflict = await cli(c.dir, ['push', '--json'], ENV);
        expectCode(conflict, 1, 'push of a conflicting target');
        assert.is(oneJson(conflict).error.code, 'REMOTE_CONFLICT');
        assert.match(oneJson(conflict).error.message, /targets\/alpha\//);
        assert.is(ledgerTip(c), before, 'local branch unchanged');
        assert.is(bareTip(bare), ledgerTip(a), 'remote unchanged');
      } finally {
        c.cleanup();
      }
    } finally {
      a.cleanup();
      b.cleanup();
    }
  }));

test.run();
