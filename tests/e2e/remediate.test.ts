import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertRecords, alertsState, at, bodyJson, commitsOfKind, run, runJson } from '../helpers/alerts.js';
import { inRepo, ledgerPaths, LEDGER, showJson } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';
import { makeRepo, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * Remediation end to end: real `kubectl` stand-ins (shell scripts on PATH) that fix the drift,
 * fail, or hang past the timeout; policy-driven remediation on dev but never on prod; the alert
 * lifecycle and the ledger records of each.
 */
const receiver = useReceiver(test);

const FIXING = `#!/bin/sh
# kubectl apply -f desired/: puts the desired manifests back in place
[ "$1" = apply ] || exit 64
cp "$3"/*.yaml live/
echo "deployment.apps/web configured (token $KUBE_TOKEN)"
echo "other=\${OTHER_SECRET:-unset}"
cp "$DRIFT_REPORT" seen-report.json
printf '%s' "$DRIFT_KEYS" > seen-keys.txt
`;
const FAILING = `#!/bin/sh
echo "error: the server has asked for the client to provide credentials ($KUBE_TOKEN)" >&2
exit 1
`;
const HANGING = `#!/bin/sh
echo "waiting for rollout"
sleep 60
`;

function project(script: string, extra = ''): () => TempRepo {
  return () => {
    const repo = makeRepo({
      'driftctl.yml': `version: 1
ledger:
  branch: ${LEDGER}
targets:
  - name: web-dev
    labels: { env: dev }
    sources:
      - { name: k8s, kind: files, root: live, watch: ["*.yaml"] }
    remediate:
      argv: [kubectl, apply, -f, desired]
      env: [KUBE_TOKEN]
      timeout: 2s
  - name: web-prod
    labels: { env: prod }
    sources:
      - { name: k8s, kind: files, root: prod, watch: ["*.yaml"] }
    remediate: [kubectl, apply, -f, desired]
severity:
  default: medium
alerts:
  channels:
    - { name: hook, kind: webhook, url_env: HOOK_URL, timeout: 2s, retries: 0 }
${extra}`,
      'desired/app.yaml': 'replicas: 2\n',
      'live/app.yaml': 'replicas: 2\n',
      'prod/app.yaml': 'replicas: 2\n',
      'bin/kubectl': script,
    });
    chmodSync(path.join(repo.dir, 'bin/kubectl'), 0o755);
    return repo;
  };
}
const env = (repo: TempRepo): Record<string, string> => ({ HOOK_URL: `${receiver.url}/hook`, PATH: `${repo.dir}/bin:${TEST_ENV.PATH}`, KUBE_TOKEN: 'tok-s3cr3t-value', OTHER_SECRET: 'never-passed' });
const hooks = (): any[] => receiver.received.filter((r) => r.path === '/hook').map(bodyJson);

async function drifted(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, env(repo), at(0));
  await run(repo, ['check'], 0, env(repo), at(1));
  repo.write('live/app.yaml', 'replicas: 9\n');
  await run(repo, ['check', '--target', 'web-dev'], 2, env(repo), at(2));
  assert.is(hooks().at(-1).event, 'opened');
}

test(
  'remediate runs the command with DRIFT_REPORT and DRIFT_KEYS and only allow-listed variables, records it (secrets masked), re-observes, and resolves the alert as remediated',
  inRepo(project(FIXING), async (repo) => {
    await drifted(repo);
    const plan = await runJson(repo, ['remediate', '--target', 'web-dev', '--dry-run'], 2, env(repo), at(3));
    assert.equal(plan.outcomes.map((o: any) => [o.status, o.argv, o.keys]), [['planned', ['kubectl', 'apply', '-f', 'desired'], ['app.yaml']]]);
    assert.is(readFileSync(path.join(repo.dir, 'live/app.yaml'), 'utf8'), 'replicas: 9\n', 'dry-run changes nothing');
    assert.not.ok(existsSync(path.join(repo.dir, 'seen-keys.txt')));
    assert.is(commitsOfKind(repo, 'remediation').length, 0);

    const done = await runJson(repo, ['remediate', '--target', 'web-dev'], 0, env(repo), at(4));
    assert.equal(done.outcomes.map((o: any) => [o.status, o.exitCode, o.before, o.remaining]), [['fixed', 0, 1, 0]]);
    assert.is(readFileSync(path.join(repo.dir, 'seen-keys.txt'), 'utf8'), 'app.yaml');
    const seen = JSON.parse(readFileSync(path.join(repo.dir, 'seen-report.json'), 'utf8'));
    assert.equal([seen.target, seen.changes.map((c: any) => c.key)], ['web-dev', ['app.yaml']]);
    const record = showJson(repo, ledgerPaths(repo).find((p) => p.endsWith('.remediation.json')) as string);
    assert.equal([record.outcome, record.trigger, record.exitCode, record.timedOut, record.remaining, record.command.argv], ['fixed', 'command', 0, false, 0, ['kubectl', 'apply', '-f', 'desired']]);
    assert.match(record.output, /configured \(token \*\*\*\)/);
    assert.match(record.output, /other=unset/);
    assert.not.match(JSON.stringify(record), /tok-s3cr3t-value/);
    const resolved = hooks().at(-1);
    assert.equal([resolved.event, resolved.resolution.reason], ['resolved', 'remediated']);
    assert.equal(alertsState(repo, 'web-dev').open, {});
    await run(repo, ['check', '--target', 'web-dev'], 0, env(repo), at(5));
    await run(repo, ['verify'], 0, env(repo), at(6));
  }),
);

test(
  'a failing command is recorded as failed, the alert is updated and channels hear that remediation failed; a hanging one is killed at its timeout',
  inRepo(project(FAILING), async (repo) => {
    await drifted(repo);
    const failed = await run(repo, ['remediate', '--target', 'web-dev'], 2, env(repo), at(3));
    assert.match(failed.stdout, /target web-dev: remediation failed \(exit 1, \d+ ms\): 0 of 1 change fixed/);
    assert.match(failed.stdout, /provide credentials \(\*\*\*\)/);
    const record = showJson(repo, ledgerPaths(repo).find((p) => p.endsWith('.remediation.json')) as string);
    assert.equal([record.outcome, record.exitCode, record.remaining], ['failed', 1, 1]);
    const told = hooks().at(-1);
    assert.equal([told.event, told.resolution.reason], ['updated', 'remediation-failed']);
    assert.match(told.title, /Remediation failed: web-dev/);
    assert.equal(alertRecords(repo, 'web-dev').at(-1).reason, 'remediation-failed');
    assert.is(Object.keys(alertsState(repo, 'web-dev').open).length, 1);

    repo.write('bin/kubectl', HANGING);
    const hung = await runJson(repo, ['remediate', '--target', 'web-dev'], 2, env(repo), at(4));
    assert.equal(hung.outcomes.map((o: any) => [o.status, o.timedOut, o.exitCode]), [['failed', true, null]]);
    const last = ledgerPaths(repo).filter((p) => p.endsWith('.remediation.json')).map((p) => showJson(repo, p)).sort((a, b) => (a.id < b.id ? -1 : 1)).at(-1);
    assert.equal([last.timedOut, last.signal, last.outcome], [true, 'SIGTERM', 'failed']);
    assert.match(last.output, /waiting for rollout[\s\S]*killed after the timeout of 2000 ms/);
    await run(repo, ['verify'], 0, env(repo), at(5));
  }),
);

const POLICY = `policies:
  - name: heal
    remediate: { max_severity: high, max_attempts: 1 }
`;

test(
  'a remediate policy heals dev after a check, never prod; a failure is not retried beyond max_attempts for the same drift',
  inRepo(project(FIXING, POLICY), async (repo) => {
    await run(repo, ['init'], 0, env(repo), at(0));
    await run(repo, ['check'], 0, env(repo), at(1));
    repo.write('live/app.yaml', 'replicas: 9\n');
    repo.write('prod/app.yaml', 'replicas: 9\n');
    const checked = await runJson(repo, ['check'], 2, env(repo), at(2));
    assert.equal(checked.remediations.map((r: any) => [r.target, r.status]), [['web-dev', 'fixed'], ['web-prod', 'skipped']]);
    assert.match(checked.remediations[1].reason, /production target/);
    assert.is(readFileSync(path.join(repo.dir, 'live/app.yaml'), 'utf8'), 'replicas: 2\n');
    assert.is(readFileSync(path.join(repo.dir, 'prod/app.yaml'), 'utf8'), 'replicas: 9\n', 'prod is never remediated by policy');
    assert.equal(showJson(repo, ledgerPaths(repo).find((p) => p.endsWith('.remediation.json')) as string).policy, 'heal');
    const human = await run(repo, ['check'], 2, env(repo), at(3));
    assert.match(human.stdout, /target web-prod: DRIFT/);
    assert.match(human.stdout, /target web-dev: clean/);

    // Dev only, with a failing command: one attempt per drift, then no more.
    repo.write('bin/kubectl', FAILING);
    repo.write('live/app.yaml', 'replicas: 7\n');
    const first = await runJson(repo, ['check', '--target', 'web-dev'], 2, env(repo), at(4));
    assert.equal(first.remediations.map((r: any) => r.status), ['failed']);
    const second = await runJson(repo, ['check', '--target', 'web-dev'], 2, env(repo), at(5));
    assert.equal(second.remediations.map((r: any) => r.status), ['skipped']);
    assert.match(second.remediations[0].reason, /already failed 1 time \(max_attempts 1\)/);
    assert.is(commitsOfKind(repo, 'remediation').length, 2);
    await run(repo, ['verify'], 0, env(repo), at(6));
  }),
);

test(
  "a source's own remediate: runs for that source's drift, the target's for the rest; one record each",
  inRepo(
    () => {
      const repo = makeRepo({
        'driftctl.yml': `version: 1
ledger:
  branch: ${LEDGER}
targets:
  - name: svc
    sources:
      - { name: k8s, kind: files, root: live, watch: ["*.yaml"], remediate: [kubectl, apply, -f, desired] }
      - { name: notes, kind: files, root: notes, watch: ["*.txt"] }
    remediate: [sh, -c, 'echo "cannot fix $DRIFT_KEYS"; exit 3']
alerts:
  channels:
    - { name: hook, kind: webhook, url_env: HOOK_URL, timeout: 2s, retries: 0 }
`,
        'desired/app.yaml': 'replicas: 2\n',
        'live/app.yaml': 'replicas: 2\n',
        'notes/todo.txt': 'one\n',
        'bin/kubectl': FIXING,
      });
      chmodSync(path.join(repo.dir, 'bin/kubectl'), 0o755);
      return repo;
    },
    async (repo) => {
      await run(repo, ['init'], 0, env(repo), at(0));
      repo.write('live/app.yaml', 'replicas: 9\n');
      repo.write('notes/todo.txt', 'two\n');
      await run(repo, ['check'], 2, env(repo), at(1));
      const plan = await run(repo, ['remediate', '--dry-run'], 2, env(repo), at(2));
      assert.match(plan.stdout, /target svc \[source:k8s\]: would run kubectl apply -f desired for 1 key \(app\.yaml\)/);
      assert.match(plan.stdout, /target svc: would run sh -c .* for 1 key \(todo\.txt\)/);
      const done = await runJson(repo, ['remediate'], 2, env(repo), at(3));
      assert.equal(done.outcomes.map((o: any) => [o.from, o.status, o.exitCode, o.remaining]), [['source:k8s', 'fixed', 0, 0], ['target', 'failed', 3, 1]]);
      const records = ledgerPaths(repo).filter((p) => p.endsWith('.remediation.json')).map((p) => showJson(repo, p));
      assert.equal(records.map((r: any) => [r.command.from, r.outcome]).sort(), [['source:k8s', 'fixed'], ['target', 'failed']]);
      assert.match(records.find((r: any) => r.command.from === 'target').output, /cannot fix todo\.txt/);
      assert.equal(showJson(repo, 'targets/svc/remediations.json').failures, 1);
      await run(repo, ['verify'], 0, env(repo), at(4));
    },
  ),
);

test(
  'remediate on a target without remediate: is one clear error; a bad remediate: is a config error naming the field',
  inRepo(project(FIXING), async (repo) => {
    await run(repo, ['init'], 0, env(repo), at(0));
    repo.write('driftctl.yml', readFileSync(path.join(repo.dir, 'driftctl.yml'), 'utf8').replace('    remediate: [kubectl, apply, -f, desired]\n', ''));
    const none = await run(repo, ['remediate', '--target', 'web-prod'], 1, env(repo), at(1));
    assert.match(none.stderr, /target "web-prod" declares no remediate: command/);
    repo.write('driftctl.yml', readFileSync(path.join(repo.dir, 'driftctl.yml'), 'utf8').replace('timeout: 2s', 'timeout: soon'));
    const bad = await run(repo, ['remediate'], 1, env(repo), at(1));
    assert.match(bad.stderr, /driftctl\.yml:\d+: targets\[0\]\.remediate\.timeout/);
  }),
);

test.run();
