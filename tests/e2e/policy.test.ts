import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, at, run, runJson } from '../helpers/alerts.js';
import { commitCount, inRepo, ledgerLog, recordPathOf, showJson } from '../helpers/e2e.js';
import { cli } from '../helpers/repo.js';

/**
 * Auto-accept policies through the CLI: drift at or below a policy's max_severity on a matching
 * target becomes the baseline in the same check (an accept by "policy:<name>"), so the next check
 * is clean and an open alert resolves with reason accepted; anything above, unmatched, or on a
 * production target (unless include_production) stays drift.
 */

const FILE_CHANNEL = 'channels:\n  - kind: file\n    path: .drift/alerts.jsonl';

/** One target, "app", labelled `labels`, watching the seed's files; `policies` is a YAML block. */
function policyProject(labels: string, policies: string): ReturnType<typeof alertProject> {
  const targets = `- name: app\n  labels: ${labels}\n  sources: [ { kind: files, root: ., watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml"] } ]`;
  const config = alertConfig(FILE_CHANNEL, { targets });
  return alertProject(`${config}${policies ? `policies:\n${policies}\n` : ''}`);
}

const DEV_LOW = '  - name: dev-low\n    labels: { env: dev }\n    auto_accept: { max_severity: low }';

async function initAndCheck(repo: Parameters<Parameters<typeof inRepo>[1]>[0]): Promise<void> {
  await run(repo, ['init'], 0, {}, at(0));
  await run(repo, ['check'], 0, {}, at(1));
}

test(
  'dev target, drift at low: auto-accepted in the same check by the policy, next check clean, ledger verifies',
  inRepo(policyProject('{ env: dev }', DEV_LOW), async (repo) => {
    await initAndCheck(repo);
    repo.write('src/main.py', 'print("hello, world")\n');
    const before = commitCount(repo);
    const result = await runJson(repo, ['check'], 0, {}, at(2));
    assert.is(result.status, 'clean', 'all drift was auto-accepted: exit 0');
    assert.is(result.reports[0].status, 'drift', 'the report still records the drift it saw');
    assert.is(result.autoAccepted.length, 1);
    const auto = result.autoAccepted[0];
    assert.equal({ ...auto, accept: typeof auto.accept }, { target: 'app', policy: 'dev-low', status: 'accepted', accept: 'string', changes: 1, reason: 'auto-accepted by policy dev-low: all changes at or below low' });
    const kinds = ledgerLog(repo).slice(0, commitCount(repo) - before).map((c) => c.trailers['Drift-Kind']);
    assert.equal(kinds.reverse(), ['report', 'accept'], 'the check commit (snapshot and report) and the accept land in one run');
    assert.match(ledgerLog(repo)[1].subject, /^report app: drift/);
    const record = showJson(repo, recordPathOf(repo, auto.accept, 'accept'));
    assert.equal(record.by, { name: 'policy:dev-low', email: '' });
    assert.is(record.reason, 'auto-accepted by policy dev-low: all changes at or below low');
    assert.is(record.scope, 'all');
    assert.equal(record.changes.map((c: any) => [c.key, c.severity]), [['src/main.py', 'low']]);
    assert.is(record.snapshot.id, result.reports[0].snapshot.id);
    const human = await cli(repo.dir, ['check'], { DRIFTCTL_NOW: at(3) });
    assert.is(human.code, 0, human.stderr);
    assert.match(human.stdout, /target app: clean/);
    const text = await run(repo, ['check', '--target', 'app'], 0, {}, at(4));
    assert.not.match(text.stdout, /auto-accepted/, 'nothing left to accept');
    await run(repo, ['verify'], 0, {}, at(5));
  }),
);

test(
  'a high change on the same target is not accepted (exit 2, says why); once only low drift remains it is, and the open alert resolves as accepted',
  inRepo(policyProject('{ env: dev }', DEV_LOW), async (repo) => {
    await initAndCheck(repo);
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    repo.write('src/main.py', 'print("hello, world")\n');
    const high = await runJson(repo, ['check'], 2, {}, at(2));
    assert.equal(high.autoAccepted, [{ target: 'app', policy: 'dev-low', status: 'declined', accept: null, changes: 2, reason: '1 change above low' }]);
    assert.is(high.alerts[0].opened, 1);
    const human = await run(repo, ['check'], 2, {}, at(3));
    assert.match(human.stdout, /target app: not auto-accepted by policy dev-low: 1 change above low/);
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4o\n');
    const low = await runJson(repo, ['check'], 0, {}, at(4));
    assert.is(low.autoAccepted[0].status, 'accepted');
    assert.is(low.alerts[0].resolved, 1);
    assert.equal(alertRecords(repo, 'app').map((r) => [r.event, r.reason]), [
      ['opened', null],
      ['resolved', 'accepted'],
    ]);
    await run(repo, ['check'], 0, {}, at(5));
  }),
);

test(
  'a production target is never auto-accepted by default',
  inRepo(policyProject('{ env: prod }', '  - name: any-low\n    auto_accept: { max_severity: low }'), async (repo) => {
    await initAndCheck(repo);
    repo.write('src/main.py', 'print("hello, world")\n');
    const result = await runJson(repo, ['check'], 2, {}, at(2));
    assert.equal(result.autoAccepted, [{ target: 'app', policy: 'any-low', status: 'declined', accept: null, changes: 1, reason: 'production target (set include_production: true to allow)' }]);
    assert.is(ledgerLog(repo).filter((c) => c.trailers['Drift-Kind'] === 'accept').length, 1, 'only the init baseline');
  }),
);

test(
  'production="true" counts as production; include_production: true allows it',
  inRepo(policyProject('{ production: "true" }', '  - name: prod-ok\n    targets: [app]\n    include_production: true\n    auto_accept: { max_severity: medium }'), async (repo) => {
    await initAndCheck(repo);
    repo.write('prompts/system.txt', 'You are a terse assistant.\n');
    const result = await runJson(repo, ['check'], 0, {}, at(2));
    assert.is(result.autoAccepted[0].status, 'accepted');
    assert.is(result.autoAccepted[0].reason, 'auto-accepted by policy prod-ok: all changes at or below medium');
    await run(repo, ['check'], 0, {}, at(3));
  }),
);

test(
  'without policies nothing is auto-accepted; a policy whose labels do not match does nothing',
  inRepo(policyProject('{ env: staging }', DEV_LOW), async (repo) => {
    await initAndCheck(repo);
    repo.write('src/main.py', 'print("hello, world")\n');
    const result = await runJson(repo, ['check'], 2, {}, at(2));
    assert.equal(result.autoAccepted, []);
  }),
);

test(
  'policy config errors name the field: unknown target, bad severity',
  inRepo(policyProject('{ env: dev }', '  - name: p\n    targets: [web]\n    auto_accept: { max_severity: lowish }'), async (repo) => {
    const r = await cli(repo.dir, ['check']);
    assert.is(r.code, 1);
    assert.match(r.stderr, /policies\[0\]\.auto_accept\.max_severity: must be one of/);
  }),
);

test(
  'policy config errors: a target that does not exist',
  inRepo(policyProject('{ env: dev }', '  - name: p\n    targets: [web]\n    auto_accept: { max_severity: low }'), async (repo) => {
    const r = await cli(repo.dir, ['check']);
    assert.is(r.code, 1);
    assert.match(r.stderr, /policies\[0\]\.targets\[0\]: unknown target "web" \(known: app\)/);
  }),
);

test.run();
