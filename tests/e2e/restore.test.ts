import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../../src/cli/main.js';
import { alertsState, at, bodyJson, commitsOfKind, run, runJson } from '../helpers/alerts.js';
import { inRepo, LEDGER, ledgerPaths, showJson, userState } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';
import { makeRepo, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * restore end to end: the baseline's captured content goes back over edited, removed and (with
 * --delete-added) added files, a symlink and a mode; uncaptured or redacted entries are refused by
 * name with nothing written; dry-run writes nothing; the user's index and HEAD are untouched; the
 * next check is clean and resolves the alert as restored.
 */
const receiver = useReceiver(test);
const CONFIG = `version: 1
ledger:
  branch: ${LEDGER}
sources:
  - name: files
    kind: files
    root: app
    watch: ["**/*"]
    capture: ["prompts/**", "config/**", "current", "bin/**"]
    redact: ["sk-[a-z0-9]+"]
alerts:
  channels:
    - { name: hook, kind: webhook, url_env: HOOK_URL, timeout: 2s, retries: 0 }
`;
const PROMPT = 'You are a helpful assistant.\nAnswer briefly.\nCite sources.\n';

function project(): TempRepo {
  const repo = makeRepo({
    'driftctl.yml': CONFIG,
    'app/prompts/system.txt': PROMPT,
    'app/prompts/user.txt': 'Question: {q}\n',
    'app/config/app.yaml': 'replicas: 2\n',
    'app/config/keys.yaml': 'token: sk-abc123\n',
    'app/bin/run.sh': '#!/bin/sh\necho run\n',
    'app/data/blob.bin': 'not captured\n',
    'app/v1/model.txt': 'v1\n',
    'app/v2/model.txt': 'v2\n',
  });
  chmodSync(path.join(repo.dir, 'app/bin/run.sh'), 0o755);
  symlinkSync('v1', path.join(repo.dir, 'app/current'));
  repo.git('add', '-A');
  repo.git('commit', '-qm', 'user work');
  return repo;
}
const env = (): Record<string, string> => ({ HOOK_URL: `${receiver.url}/hook` });
const hooks = (): any[] => receiver.received.filter((r) => r.path === '/hook').map(bodyJson);
const read = (repo: TempRepo, file: string): string => readFileSync(path.join(repo.dir, 'app', file), 'utf8');

async function drift(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, env(), at(0));
  await run(repo, ['check'], 0, env(), at(1));
  repo.write('app/prompts/system.txt', 'You are a pirate.\nAnswer briefly.\nCite sources.\n');
  repo.remove('app/prompts/user.txt');
  repo.write('app/prompts/extra.txt', 'added\n');
  repo.remove('app/current');
  symlinkSync('v2', path.join(repo.dir, 'app/current'));
  chmodSync(path.join(repo.dir, 'app/bin/run.sh'), 0o644);
  repo.git('add', 'app/prompts/extra.txt'); // the user's own staging must survive
  await run(repo, ['check'], 2, env(), at(2));
  await run(repo, ['check'], 2, env(), at(3));
  assert.is(hooks().at(-1).event, 'opened');
}

test(
  'restore puts edited, removed and added files, a symlink and a mode back from captured content; the next check is clean and resolves as restored',
  inRepo(project, async (repo) => {
    await drift(repo);
    const user = userState(repo);
    const keys = ['prompts/**', 'current', 'bin/run.sh'];

    const plan = await run(repo, ['restore', ...keys, '--reason', 'roll back the pirate prompt', '--dry-run'], 0, env(), at(4));
    assert.match(plan.stdout, /write {3}files:prompts\/system\.txt\n--- a\/prompts\/system\.txt\n\+\+\+ b\/prompts\/system\.txt\n@@ -1,3 \+1,3 @@\n-You are a pirate\.\n\+You are a helpful assistant\.\n Answer briefly\./);
    assert.match(plan.stdout, /create {2}files:prompts\/user\.txt\n--- \/dev\/null/);
    assert.match(plan.stdout, /relink {2}files:current -> v1/);
    assert.match(plan.stdout, /chmod {3}files:bin\/run\.sh mode 644 -> 755/);
    assert.match(plan.stdout, /kept files:prompts\/extra\.txt: added since the baseline \(delete it with --delete-added\)/);
    assert.match(plan.stdout, /would restore 4 files \(dry run: nothing written\)/);
    assert.is(read(repo, 'prompts/system.txt'), 'You are a pirate.\nAnswer briefly.\nCite sources.\n', 'dry-run writes nothing');
    assert.is(commitsOfKind(repo, 'restore').length, 0);

    const refused = await run(repo, ['restore', ...keys, '--reason', 'x'], 1, env(), at(4));
    assert.match(refused.stderr, /CONFIRMATION_REQUIRED|pass --yes/);

    const done = await runJson(repo, ['restore', ...keys, '--delete-added', '--yes', '--reason', 'roll back the pirate prompt'], 0, env(), at(5));
    assert.equal(done.steps.map((s: any) => [s.key, s.action]).sort(), [['bin/run.sh', 'chmod'], ['current', 'relink'], ['prompts/extra.txt', 'delete'], ['prompts/system.txt', 'write'], ['prompts/user.txt', 'create']]);
    assert.is(read(repo, 'prompts/system.txt'), PROMPT);
    assert.is(read(repo, 'prompts/user.txt'), 'Question: {q}\n');
    assert.not.ok(existsSync(path.join(repo.dir, 'app/prompts/extra.txt')));
    assert.is(readlinkSync(path.join(repo.dir, 'app/current')), 'v1');
    assert.is(lstatSync(path.join(repo.dir, 'app/bin/run.sh')).mode & 0o777, 0o755);
    assert.equal([userState(repo).head, userState(repo).index, userState(repo).refs], [user.head, user.index, user.refs], 'HEAD, index and refs untouched');

    const record = showJson(repo, ledgerPaths(repo).find((p) => p.endsWith('.restore.json')) as string);
    assert.equal([record.kind, record.reason, record.keys], ['restore', 'roll back the pirate prompt', keys]);
    const written = record.files.find((f: any) => f.key === 'prompts/system.txt');
    assert.equal([written.before.type, written.after.type, written.after.sha256 !== written.before.sha256], ['file', 'file', true]);
    assert.is(commitsOfKind(repo, 'restore').length, 1);

    const next = await runJson(repo, ['check'], 0, env(), at(6));
    assert.is(next.status, 'clean');
    assert.equal([hooks().at(-1).event, hooks().at(-1).resolution.reason], ['resolved', 'restored']);
    assert.equal(alertsState(repo).open, {});
    await run(repo, ['verify'], 0, env(), at(7));
  }),
);

test(
  'restore refuses entries whose baseline content was not captured or is redacted, naming them, and writes nothing',
  inRepo(project, async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    repo.write('app/data/blob.bin', 'changed\n');
    repo.write('app/config/keys.yaml', 'token: sk-zzz999\n');
    repo.write('app/config/app.yaml', 'replicas: 5\n');
    await run(repo, ['check'], 2, env(), at(1));
    const refused = await run(repo, ['restore', '--all', '--yes', '--reason', 'put it back'], 1, env(), at(2));
    assert.match(refused.stderr, /NOT_CAPTURED|cannot put back 2 entries/);
    assert.match(refused.stderr, /files:config\/keys\.yaml \(its captured content is redacted \(1 secret masked\)/);
    assert.match(refused.stderr, /files:data\/blob\.bin \(its content was not captured \(not-listed;/);
    assert.is(read(repo, 'config/app.yaml'), 'replicas: 5\n', 'nothing written, not even the restorable file');
    assert.is(commitsOfKind(repo, 'restore').length, 0);
    const missing = await run(repo, ['restore', 'nope.txt', '--yes', '--reason', 'x'], 1, env(), at(2));
    assert.match(missing.stderr, /no drift to restore for "nope\.txt"/);
    await run(repo, ['restore', 'config/app.yaml', '--reason', 'x', '--yes'], 0, env(), at(3));
    assert.is(read(repo, 'config/app.yaml'), 'replicas: 2\n');
  }),
);

test(
  'restore never writes through a directory that now links outside the source root',
  inRepo(project, async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    const outside = mkdtempSync(path.join(tmpdir(), 'driftctl-outside-'));
    try {
      repo.remove('app/prompts');
      symlinkSync(outside, path.join(repo.dir, 'app/prompts'));
      await run(repo, ['check'], 2, env(), at(1));
      const refused = await run(repo, ['restore', 'prompts/system.txt', '--yes', '--reason', 'x'], 1, env(), at(2));
      assert.match(refused.stderr, /restore refuses "prompts\/system\.txt": its directory resolves to .*, outside the source root; nothing was written/);
      assert.equal(readdirSync(outside), []);
      assert.is(commitsOfKind(repo, 'restore').length, 0);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  }),
);

test(
  'on a terminal restore shows the diff and asks; "no" writes nothing',
  inRepo(project, async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    repo.write('app/config/app.yaml', 'replicas: 5\n');
    await run(repo, ['check'], 2, env(), at(1));
    for (const answer of [false, true]) {
      let stderr = '';
      const asked: string[] = [];
      const code = await runCli(['restore', 'config/app.yaml', '--reason', 'back to 2'], {
        cwd: repo.dir,
        env: { ...TEST_ENV, ...env(), DRIFTCTL_NOW: at(2) },
        stdout: { write: () => true, isTTY: false },
        stderr: { write: (t: string) => (stderr += t), isTTY: false },
        confirm: async (question) => {
          asked.push(question);
          return answer;
        },
      });
      assert.is(code, 0);
      assert.equal(asked, ['restore 1 file?']);
      assert.match(stderr, /-replicas: 5\n\+replicas: 2/);
      assert.is(read(repo, 'config/app.yaml'), answer ? 'replicas: 2\n' : 'replicas: 5\n');
    }
  }),
);

test.run();
