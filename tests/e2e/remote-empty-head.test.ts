import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, SEED_CONFIG, seedProject, TEST_ENV } from '../helpers/repo.js';
import { expectCode, LEDGER, ledgerTip, oneJson } from '../helpers/e2e.js';
import { startGitServer } from '../helpers/git-server.js';

/**
 * A ledger remote whose HEAD names a branch without commits (a new GitHub repository whose default
 * `main` is empty and holds only the ledger branch): git advertises no HEAD then, and pull, check
 * and a fresh agent still find the ledger branch and read every commit of it.
 */
const TOKEN = 'tok-6c2e0b5d1f-empty-head';
const ENV = { DRIFTCTL_GIT_TOKEN: TOKEN };

function withRemote(config: string, url: string): string {
  return config.replace('  branch: drift-ledger\n', `  branch: drift-ledger\n  remote: ${url}\n`);
}

test('pull and check work against a remote whose HEAD is an unborn main', async () => {
  const server = await startGitServer({ token: TOKEN });
  const url = `${server.url}/ledger.git`;
  const bare = server.createRepo('ledger', 'main');
  const a = seedProject(withRemote(SEED_CONFIG, url));
  const b = makeRepo({ 'driftctl.yml': withRemote(SEED_CONFIG, url), 'src/main.py': 'print("other machine")\n' });
  try {
    expectCode(await cli(a.dir, ['init'], ENV), 0, 'init on A');
    const remoteTip = execFileSync('git', ['--git-dir', bare, 'rev-parse', `refs/heads/${LEDGER}`], { env: TEST_ENV, encoding: 'utf8' }).trim();
    assert.is(remoteTip, ledgerTip(a), 'the remote has the ledger');
    assert.is(execFileSync('git', ['--git-dir', bare, 'symbolic-ref', 'HEAD'], { env: TEST_ENV, encoding: 'utf8' }).trim(), 'refs/heads/main');
    assert.is(execFileSync('git', ['--git-dir', bare, 'for-each-ref', 'refs/heads/main'], { env: TEST_ENV, encoding: 'utf8' }).trim(), '', 'main has no commits');

    const pull = await cli(b.dir, ['pull', '--json'], ENV);
    expectCode(pull, 0, 'pull on B');
    assert.is(oneJson(pull).state, 'created', pull.stdout);
    assert.is(ledgerTip(b), remoteTip, 'B has the ledger');
    expectCode(await cli(b.dir, ['verify'], ENV), 0, 'verify on B');

    a.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    expectCode(await cli(a.dir, ['check'], ENV), 2, 'check on A (fetches first)');
    const c = makeRepo({ 'driftctl.yml': withRemote(SEED_CONFIG.replace('drift-ledger\n', 'drift-ledger\n'), url), 'src/main.py': 'print("third")\n' });
    try {
      // A fresh agent's first check fetches the ledger before it writes: no NOT_INITIALIZED.
      const check = await cli(c.dir, ['check', '--json'], ENV);
      assert.ok(check.code === 0 || check.code === 2, check.stdout + check.stderr);
      execFileSync('git', ['fsck', '--strict', '--no-progress'], { cwd: c.dir, env: TEST_ENV });
    } finally {
      c.cleanup();
    }
  } finally {
    a.cleanup();
    b.cleanup();
    await server.close();
  }
});

test.run();
