import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { alertConfig, alertProject, alertRecords, alertsState, assertSlackPayload, at, bodyJson, commitsOfKind, outboxFiles, run, runJson, slackTexts } from '../helpers/alerts.js';
import { inRepo, ledgerTip, showJson } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';
import type { TempRepo } from '../helpers/repo.js';

/**
 * The seed story US0122 "Configuration Drift Detection" (shared/seeds/002_*.txt) through the CLI:
 * compliant → drifted opens one alert and one Slack notification; unchanged drift stays quiet;
 * more drift updates; back to compliance resolves; the first check never alerts; accept resolves
 * (reason accepted); disabled targets are skipped; a failing source neither opens nor resolves;
 * an unchanged open alert is reminded once repeat_interval has elapsed.
 */

const receiver = useReceiver(test);

const SLACK = `channels:
  - name: slack
    kind: slack
    webhook_env: SLACK_URL
    timeout: 2s
    retries: 1`;

const env = (): Record<string, string> => ({ SLACK_URL: `${receiver.url}/services/T0/B0/lifecycle` });

const slackConfig = (extra = ''): string => alertConfig(`${extra}report_url: "https://git.example.test/ops/blob/{branch}/{path}"\n${SLACK}`);

async function initAndFirstCheck(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, env(), at(0));
  const first = await runJson(repo, ['check'], 0, env(), at(1));
  assert.equal(first.alerts, [{ target: 'default', opened: 0, updated: 0, reminded: 0, resolved: 0, open: 0, note: null }]);
}

function payloads(): any[] {
  return receiver.received.map((r, i) => assertSlackPayload(bodyJson(r), `request ${i}`));
}

test(
  'AC2/AC5: compliant → drifted opens exactly one alert and sends one Slack notification with the details (AC3)',
  inRepo(alertProject(slackConfig()), async (repo) => {
    await initAndFirstCheck(repo);
    assert.is(receiver.received.length, 0, 'a clean check sends nothing');
    repo.write('prompts/system.txt', 'You are a terse assistant.\n');
    repo.write('prompts/user.txt', 'Answer briefly: {question}\n');
    const result = await runJson(repo, ['check'], 2, env(), at(2));
    assert.equal(result.alerts, [{ target: 'default', opened: 1, updated: 0, reminded: 0, resolved: 0, open: 1, note: null }]);
    assert.is(result.deliveries.length, 1);
    assert.is(result.deliveries[0].status, 'delivered');

    assert.is(receiver.received.length, 1, 'exactly one notification');
    assert.is(receiver.received[0].method, 'POST');
    assert.is(receiver.received[0].path, '/services/T0/B0/lifecycle');
    assert.match(String(receiver.received[0].headers['content-type']), /^application\/json/);
    const [payload] = payloads();
    const text = slackTexts(payload);
    assert.match(payload.text, /Drift detected: default \(files\): 2 changes, highest medium/);
    assert.match(text, /\*Target\*\ndefault/, 'machine (target) name');
    assert.match(text, /\*Source\*\nfiles/, 'pack (source) name');
    assert.match(text, /\*Changes\*\n2 \(0 added, 0 removed, 2 changed\)/, 'mismatch count');
    const report = result.reports[0];
    const reportPath = `targets/default/records/2026/03/01/${report.id.slice(9, 11)}/${report.id}.report.json`;
    assert.ok(text.includes(`<https://git.example.test/ops/blob/drift-ledger/${reportPath}|${report.id}>`), `link to the report:\n${text}`);
    assert.is(showJson(repo, reportPath).id, report.id, 'the link names a real ledger path');

    const records = alertRecords(repo);
    assert.is(records.length, 1);
    const [opened] = records;
    assert.is(opened.kind, 'alert');
    assert.is(opened.event, 'opened');
    assert.is(opened.target, 'default');
    assert.is(opened.source, 'files');
    assert.is(opened.class, 'drift');
    assert.is(opened.severity, 'medium');
    assert.is(opened.time, at(2));
    assert.is(opened.report, report.id);
    assert.is(opened.summary.total, 2);
    assert.equal(opened.changes.map((c: any) => c.key).sort(), ['prompts/system.txt', 'prompts/user.txt']);
    assert.equal(opened.notified, ['slack']);
    assert.is(opened.reason, null);

    const alertCommits = commitsOfKind(repo, 'alert');
    assert.is(alertCommits.length, 1);
    assert.is(alertCommits[0].trailers['Drift-Target'], 'default');
    assert.ok(alertCommits[0].records.includes(opened.id), 'the alert event is recorded in the check commit');
    assert.equal(alertCommits[0].kinds, ['report', 'snapshot', 'alert'], 'one commit for the check: report, snapshot, alert events');
    assert.is(alertCommits[0].trailers['Drift-Severity'], 'medium');

    const state = alertsState(repo);
    assert.is(state.kind, 'alerts');
    const open = Object.values(state.open) as any[];
    assert.is(open.length, 1);
    assert.is(open[0].id, opened.alert);
    assert.is(open[0].changes, 2);

    const list = await runJson(repo, ['alerts'], 0, env(), at(3));
    assert.is(list.open.length, 1);
    assert.is(list.open[0].id, opened.alert);
    assert.is(list.recent[0].event, 'opened');
    assert.equal(list.outbox, []);
    assert.equal(outboxFiles(repo), []);
  }),
);

test(
  'the same drift again changes nothing and sends nothing; more drift → updated + notification; compliance → resolved (AC6)',
  inRepo(alertProject(slackConfig()), async (repo) => {
    await initAndFirstCheck(repo);
    repo.write('prompts/system.txt', 'You are a terse assistant.\n');
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 1);
    const stateAfterOpen = alertsState(repo);

    // Drifted again, same drift: no alert commit, no notification, alert state unchanged.
    const again = await runJson(repo, ['check'], 2, env(), at(3));
    assert.equal(again.alerts, [{ target: 'default', opened: 0, updated: 0, reminded: 0, resolved: 0, open: 1, note: null }]);
    assert.equal(again.deliveries, []);
    assert.is(receiver.received.length, 1, 'nothing sent for unchanged drift');
    assert.is(alertRecords(repo).length, 1);
    assert.is(commitsOfKind(repo, 'alert').length, 1);
    assert.equal(alertsState(repo).open, stateAfterOpen.open);

    // More drift: one alert updated (same id), severity rises to high, one notification.
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    const more = await runJson(repo, ['check'], 2, env(), at(4));
    assert.equal(more.alerts, [{ target: 'default', opened: 0, updated: 1, reminded: 0, resolved: 0, open: 1, note: null }]);
    assert.is(receiver.received.length, 2);
    const updatePayload = payloads()[1];
    assert.match(updatePayload.text, /Drift changed: default \(files\): 2 changes, highest high/);
    assert.ok(slackTexts(updatePayload).includes('`config/models.yaml`'), 'the new change is listed');
    let records = alertRecords(repo);
    assert.equal(records.map((r) => r.event), ['opened', 'updated']);
    assert.is(records[1].alert, records[0].alert, 'the same alert, not a duplicate');
    assert.is(records[1].severity, 'high');
    assert.is(Object.keys(alertsState(repo).open).length, 1);

    // Back to compliance: resolved (drift-gone), with a resolution notification.
    repo.write('prompts/system.txt', 'You are a helpful assistant.\n');
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4o\n');
    const clean = await runJson(repo, ['check'], 0, env(), at(5));
    assert.equal(clean.alerts, [{ target: 'default', opened: 0, updated: 0, reminded: 0, resolved: 1, open: 0, note: null }]);
    assert.is(receiver.received.length, 3);
    const resolvedPayload = payloads()[2];
    assert.match(resolvedPayload.text, /^✅ Drift resolved: default \(files\): \d+ changes? \(highest \w+\) reverted: back to the baseline$/);
    records = alertRecords(repo);
    assert.equal(records.map((r) => r.event), ['opened', 'updated', 'resolved']);
    assert.is(records[2].alert, records[0].alert);
    assert.is(records[2].reason, 'drift-gone');
    assert.equal(alertsState(repo).open, {});

    // Still compliant: nothing more.
    await run(repo, ['check'], 0, env(), at(6));
    assert.is(receiver.received.length, 3);
    assert.is(alertRecords(repo).length, 3);
    const list = await runJson(repo, ['alerts'], 0, env(), at(6));
    assert.equal(list.open, []);
    assert.equal(list.recent.map((e: any) => e.event), ['resolved', 'updated', 'opened']);
  }),
);

test(
  'the first check of a target never alerts, even with drift; the next check opens',
  inRepo(alertProject(slackConfig()), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    repo.write('config/evals.json', '{"threshold": 0.5}\n');
    const first = await runJson(repo, ['check'], 2, env(), at(1));
    assert.is(first.alerts.length, 1);
    assert.equal({ ...first.alerts[0], note: undefined }, { target: 'default', opened: 0, updated: 0, reminded: 0, resolved: 0, open: 0, note: undefined });
    assert.match(first.alerts[0].note, /first check/);
    assert.is(receiver.received.length, 0);
    assert.is(commitsOfKind(repo, 'alert').length, 0);
    assert.is(alertsState(repo), undefined);
    const human = await run(repo, ['check', '--no-alert'], 2, env(), at(1.5));
    assert.not.match(human.stdout, /alerts default/, '--no-alert evaluates nothing');

    const second = await runJson(repo, ['check'], 2, env(), at(2));
    assert.is(second.alerts[0].opened, 1);
    assert.is(receiver.received.length, 1);
    assert.match(payloads()[0].text, /highest high/);
  }),
);

test(
  'check --no-alert commits the report but evaluates and sends nothing',
  inRepo(alertProject(slackConfig()), async (repo) => {
    await initAndFirstCheck(repo);
    repo.write('src/main.py', 'print("bye")\n');
    const tip = ledgerTip(repo);
    const result = await runJson(repo, ['check', '--no-alert'], 2, env(), at(2));
    assert.equal(result.alerts, []);
    assert.is(receiver.received.length, 0);
    assert.is(commitsOfKind(repo, 'alert').length, 0);
    assert.ok(ledgerTip(repo) !== tip, 'the report was committed');
    // `alert` then evaluates the latest report.
    const alerted = await runJson(repo, ['alert'], 0, env(), at(3));
    assert.is(alerted.alerts[0].opened, 1);
    assert.is(receiver.received.length, 1);
    // Idempotent: the same report yields nothing new.
    const again = await runJson(repo, ['alert'], 0, env(), at(3.5));
    assert.is(again.alerts[0].opened + again.alerts[0].updated + again.alerts[0].reminded, 0);
    assert.is(receiver.received.length, 1);
  }),
);

test(
  'accept resolves the alert with reason accepted and notifies; the next check is clean and quiet',
  inRepo(alertProject(slackConfig()), async (repo) => {
    await initAndFirstCheck(repo);
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 1);
    const accepted = await runJson(repo, ['accept', '--all', '--reason', 'gpt-4.1 rollout approved'], 0, env(), at(3));
    assert.is(accepted.resolvedAlerts, 1);
    assert.is(receiver.received.length, 2);
    const payload = payloads()[1];
    assert.match(payload.text, /Drift resolved: default \(files\): \d+ changes? \(highest \w+\) accepted as the new baseline/);
    const records = alertRecords(repo);
    assert.equal(records.map((r) => [r.event, r.reason]), [
      ['opened', null],
      ['resolved', 'accepted'],
    ]);
    assert.equal(alertsState(repo).open, {});
    const after = await runJson(repo, ['check'], 0, env(), at(4));
    assert.equal(after.alerts[0].resolved + after.alerts[0].opened, 0);
    assert.is(receiver.received.length, 2);
  }),
);

test(
  'AC7: a disabled target is skipped and says so; its open alert is neither resolved nor re-notified',
  inRepo(
    alertProject(
      alertConfig(SLACK, {
        targets: `- name: web\n  sources: [ { kind: files, root: web, watch: ["**/*"] } ]\n- name: db\n  sources: [ { kind: files, root: db, watch: ["**/*"] } ]`,
      }),
      { 'web/app.conf': 'a=1\n', 'db/pg.conf': 'max_connections=100\n' },
    ),
    async (repo) => {
      await run(repo, ['init'], 0, env(), at(0));
      await run(repo, ['check'], 0, env(), at(1));
      repo.write('db/pg.conf', 'max_connections=500\n');
      const opened = await runJson(repo, ['check'], 2, env(), at(2));
      assert.equal(opened.alerts.map((a: any) => [a.target, a.opened]), [
        ['web', 0],
        ['db', 1],
      ]);
      assert.is(receiver.received.length, 1);

      // Disable db; its drift goes away on disk, but it is not checked, so nothing resolves.
      const config = alertConfig(SLACK, {
        targets: `- name: web\n  sources: [ { kind: files, root: web, watch: ["**/*"] } ]\n- name: db\n  enabled: false\n  sources: [ { kind: files, root: db, watch: ["**/*"] } ]`,
      });
      repo.write('driftctl.yml', config);
      repo.write('db/pg.conf', 'max_connections=100\n');
      repo.write('web/app.conf', 'a=2\n');
      const result = await runJson(repo, ['check'], 2, env(), at(3));
      assert.equal(result.skipped, [{ target: 'db', reason: 'disabled (enabled: false)' }]);
      assert.equal(result.reports.map((r: any) => r.target), ['web']);
      assert.equal(result.alerts.map((a: any) => a.target), ['web']);
      assert.is(result.alerts[0].opened, 1, 'web drift opens its own alert');
      assert.is(receiver.received.length, 2);
      assert.match(payloads()[1].text, /Drift detected: web \(files\)/);
      assert.is(alertRecords(repo, 'db').length, 1, 'db: only the opened event');
      assert.is(Object.keys(alertsState(repo, 'db').open).length, 1, 'db alert still open');

      const human = await run(repo, ['check'], 2, env(), at(4));
      assert.match(human.stdout, /target db: skipped, disabled \(enabled: false\)/);
      assert.is(receiver.received.length, 2);
    },
  ),
);

const TWO_TARGETS = `- name: web\n  sources: [ { kind: files, root: web, watch: ["**/*"] } ]\n- name: db\n  sources: [ { kind: files, root: db, watch: ["**/*"] } ]`;

test(
  'a failing source (root is no longer a directory) is a check error (exit 1) for that target only: no alert opened or resolved',
  inRepo(alertProject(alertConfig(SLACK, { targets: TWO_TARGETS }), { 'web/app.conf': 'a=1\n', 'db/pg.conf': 'max_connections=100\n' }), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('db/pg.conf', 'max_connections=500\n');
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 1);
    assert.is(alertRecords(repo, 'db').length, 1);

    // db cannot be observed (the "machine is offline"); its drift is gone on disk; web drifts.
    rmSync(path.join(repo.dir, 'db'), { recursive: true, force: true });
    writeFileSync(path.join(repo.dir, 'db'), 'not a directory\n');
    repo.write('web/app.conf', 'a=2\n');
    const failed = await run(repo, ['check', '--json'], 1, env(), at(3));
    const doc = JSON.parse(failed.stdout);
    assert.is(doc.status, 'error');
    assert.equal(doc.failures.map((f: any) => [f.target, f.code]), [['db', 'SOURCE_FAILED']]);
    assert.equal(doc.reports.map((r: any) => r.target), ['web']);
    assert.equal(doc.alerts.map((a: any) => [a.target, a.opened, a.resolved]), [['web', 1, 0]], 'only web is evaluated');
    assert.is(alertRecords(repo, 'db').length, 1, 'db alert neither resolved nor updated');
    assert.is(Object.keys(alertsState(repo, 'db').open).length, 1, 'db alert stays open');
    assert.is(receiver.received.length, 2, 'only the web alert was sent');
    assert.match(payloads()[1].text, /Drift detected: web \(files\)/);

    const human = await run(repo, ['check'], 1, env(), at(4));
    assert.match(human.stdout, /target db: .*ERROR.*, not checked: .*not a directory/);
    assert.is(receiver.received.length, 2);
    assert.is(alertRecords(repo, 'db').length, 1);
  }),
);

test(
  'a source whose root directory is removed after init: exit 1, the open alert stays open, nothing is sent or committed',
  inRepo(alertProject(alertConfig(SLACK, { targets: `- name: box\n  sources: [ { kind: files, root: data, watch: ["**/*"] } ]` }), { 'data/app.conf': 'a=1\n' }), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('data/app.conf', 'a=2\n');
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(Object.keys(alertsState(repo, 'box').open).length, 1);
    assert.is(receiver.received.length, 1);
    const tip = ledgerTip(repo);
    rmSync(path.join(repo.dir, 'data'), { recursive: true, force: true });
    const failed = await run(repo, ['check', '--json'], 1, env(), at(3));
    const doc = JSON.parse(failed.stdout);
    // Either a whole-command error or a per-target failure; either way it names the missing root.
    const failure = doc.error ?? doc.failures?.[0];
    assert.ok(failure, failed.stdout);
    assert.match(failure.message, /data/);
    assert.equal(doc.alerts ?? [], [], 'no alert evaluated');
    assert.is(alertRecords(repo, 'box').length, 1);
    assert.is(Object.keys(alertsState(repo, 'box').open).length, 1, 'the alert is not resolved');
    assert.is(receiver.received.length, 1, 'no resolution sent');
    assert.is(ledgerTip(repo), tip, 'nothing committed');
  }),
);

test(
  'repeat_interval: an unchanged open alert is reminded once the interval elapsed (DRIFTCTL_NOW moved), not before',
  inRepo(alertProject(slackConfig('repeat_interval: 24h\n')), async (repo) => {
    await initAndFirstCheck(repo);
    repo.write('prompts/system.txt', 'You are a terse assistant.\n');
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 1);

    const early = await runJson(repo, ['check'], 2, env(), at(2 + 23.9));
    assert.equal([early.alerts[0].reminded, early.alerts[0].updated], [0, 0]);
    assert.is(receiver.received.length, 1, 'not yet due');

    const due = await runJson(repo, ['check'], 2, env(), at(2 + 24));
    assert.equal(due.alerts, [{ target: 'default', opened: 0, updated: 0, reminded: 1, resolved: 0, open: 1, note: null }]);
    assert.is(receiver.received.length, 2);
    assert.match(payloads()[1].text, /Drift still open: default \(files\): 1 change, highest medium/);
    const records = alertRecords(repo);
    assert.equal(records.map((r) => r.event), ['opened', 'reminded']);
    assert.is(records[1].alert, records[0].alert);
    const state = Object.values(alertsState(repo).open)[0] as any;
    assert.is(state.lastNotifiedAt, at(26));
    assert.is(state.openedAt, at(2));

    // The interval restarts from the reminder.
    await run(repo, ['check'], 2, env(), at(2 + 30));
    assert.is(receiver.received.length, 2);
    await run(repo, ['check'], 2, env(), at(2 + 48));
    assert.is(receiver.received.length, 3);
    assert.is(alertRecords(repo).length, 3);
  }),
);

test(
  'without repeat_interval an unchanged alert is never reminded',
  inRepo(alertProject(slackConfig()), async (repo) => {
    await initAndFirstCheck(repo);
    repo.write('prompts/system.txt', 'You are a terse assistant.\n');
    await run(repo, ['check'], 2, env(), at(2));
    await run(repo, ['check'], 2, env(), at(24 * 30));
    assert.is(receiver.received.length, 1);
    assert.is(alertRecords(repo).length, 1);
  }),
);

test(
  'alert classes: a severity rule with `alert: <class>` opens a separate alert per class',
  inRepo(
    alertProject(
      alertConfig(SLACK, {
        severity: `severity:\n  default: low\n  rules:\n    - match: "config/**"\n      severity: high\n      alert: config_drift\n    - match: "prompts/**"\n      severity: medium\n`,
      }),
    ),
    async (repo) => {
      await initAndFirstCheck(repo);
      repo.write('config/models.yaml', 'models: {}\n');
      repo.write('prompts/user.txt', 'changed\n');
      const result = await runJson(repo, ['check'], 2, env(), at(2));
      assert.is(result.alerts[0].opened, 2);
      assert.is(receiver.received.length, 2);
      const records = alertRecords(repo);
      assert.equal(records.map((r) => [r.class, r.severity, r.changes.map((c: any) => c.key)]).sort(), [
        ['config_drift', 'high', ['config/models.yaml']],
        ['drift', 'medium', ['prompts/user.txt']],
      ]);
      // Only the config drift goes away: that alert resolves, the other stays open, untouched.
      repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4o\n');
      const next = await runJson(repo, ['check'], 2, env(), at(3));
      assert.equal([next.alerts[0].resolved, next.alerts[0].updated, next.alerts[0].open], [1, 0, 1]);
      assert.is(receiver.received.length, 3);
      assert.equal((Object.values(alertsState(repo).open) as any[]).map((a) => a.class), ['drift']);
    },
  ),
);

test.run();
