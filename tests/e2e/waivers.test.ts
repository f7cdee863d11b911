import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, alertsState, at, bodyJson, commitsOfKind, run, runJson } from '../helpers/alerts.js';
import { inRepo, ledgerPaths, showJson } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';

/**
 * Waivers through the CLI with a fixed clock (DRIFTCTL_NOW): waived drift is shown and recorded
 * but neither alerts nor exits 2; it alerts again at expiry, or as soon as its content changes.
 */
const receiver = useReceiver(test);
const CONFIG = alertConfig(`channels:\n  - { name: hook, kind: webhook, url_env: HOOK_URL, timeout: 2s, retries: 0 }`);
const env = (): Record<string, string> => ({ HOOK_URL: `${receiver.url}/hook` });
const hooks = (): any[] => receiver.received.filter((r) => r.path === '/hook').map(bodyJson);

test(
  'a waiver silences an open alert (resolved: waived), expires at its date and alerts again; verify passes',
  inRepo(alertProject(CONFIG), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(hooks().at(-1).event, 'opened');

    const waived = await runJson(repo, ['waive', 'config/models.yaml', '--until', at(26), '--reason', 'model trial until Tuesday'], 0, env(), at(3));
    assert.is(waived.resolvedAlerts, 1);
    assert.is(hooks().at(-1).event, 'resolved');
    assert.equal(hooks().at(-1).resolution.reason, 'waived');
    const record = showJson(repo, ledgerPaths(repo).find((p) => p.endsWith('.waiver.json')) as string);
    assert.equal([record.kind, record.reason, record.until, record.anyContent, record.covers.map((c: any) => c.key)], ['waiver', 'model trial until Tuesday', at(26), false, ['config/models.yaml']]);
    assert.is(commitsOfKind(repo, 'waiver').length, 1);
    const logged = await runJson(repo, ['log', '--kind', 'waiver'], 0, env(), at(3));
    assert.equal(logged.entries.map((e: any) => e.kind), ['waiver']);
    assert.equal(alertsState(repo).open, {});

    // While in force: shown as waived, recorded in the report, exit 0, nothing sent.
    const sent = hooks().length;
    const quiet = await runJson(repo, ['check'], 0, env(), at(4));
    assert.is(quiet.status, 'clean');
    assert.equal(quiet.reports[0].waived.map((w: any) => [w.key, w.waiver]), [['config/models.yaml', record.id]]);
    const human = await run(repo, ['check'], 0, env(), at(5));
    assert.match(human.stdout, /target default: WAIVED/);
    assert.match(human.stdout, /waived files:config\/models\.yaml until/);
    assert.is(hooks().length, sent);

    // At expiry it is drift again and alerts.
    const expired = await runJson(repo, ['check'], 2, env(), at(27));
    assert.is(expired.reports[0].waived, undefined);
    assert.is(expired.alerts[0].opened, 1);
    assert.is(hooks().at(-1).event, 'opened');
    await run(repo, ['verify'], 0, env(), at(28));
  }),
);

test(
  'a waiver covers one observed state: a new change to the waived key is drift again; --any-content covers the key whatever it holds',
  inRepo(alertProject(CONFIG), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('prompts/system.txt', 'You are terse.\n');
    repo.write('src/main.py', 'print("bye")\n');
    await run(repo, ['check'], 2, env(), at(2));
    await run(repo, ['waive', '--all', '--until', '7d', '--reason', 'rewrite in progress'], 0, env(), at(3));
    await run(repo, ['check'], 0, env(), at(4));

    repo.write('prompts/system.txt', 'You are very terse.\n');
    const broken = await runJson(repo, ['check'], 2, env(), at(5));
    assert.equal(broken.reports[0].waived.map((w: any) => w.key), ['src/main.py']);
    assert.is(broken.alerts[0].opened, 1);
    const opened = alertRecords(repo).at(-1);
    assert.equal(opened.changes.map((c: any) => c.key), ['prompts/system.txt']);

    await run(repo, ['waive', 'prompts/**', '--any-content', '--until', '2026-03-20', '--reason', 'prompt tuning week'], 0, env(), at(6));
    repo.write('prompts/system.txt', 'You are terse again.\n');
    await run(repo, ['check'], 0, env(), at(7));
    const state = showJson(repo, 'targets/default/waivers.json');
    assert.is(state.waivers.length, 2);
    assert.is(state.waivers[1].until, '2026-03-20T23:59:59.999Z');
    await run(repo, ['verify'], 0, env(), at(8));
  }),
);

test(
  'waivers: in driftctl.yml silence matching keys until their date; bad input is one clear error',
  inRepo(alertProject(`${CONFIG}waivers:\n  - { keys: "src/**", until: "2026-03-02", reason: "refactor" }\n`), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('src/main.py', 'print("bye")\n');
    const result = await runJson(repo, ['check'], 0, env(), at(2));
    assert.equal(result.reports[0].waived, [{ key: 'src/main.py', source: 'files', until: '2026-03-02T23:59:59.999Z', waiver: 'config:0' }]);
    await run(repo, ['check'], 2, env(), at(48));

    const past = await run(repo, ['waive', 'src/main.py', '--until', '2026-01-01', '--reason', 'x'], 1, env(), at(49));
    assert.match(past.stderr, /BAD_UNTIL|in the past/);
    const none = await run(repo, ['waive', 'nothing/here', '--until', '3d', '--reason', 'x'], 1, env(), at(49));
    assert.match(none.stderr, /no drift to waive for "nothing\/here"/);
    await run(repo, ['waive', 'src/main.py', '--reason', 'x'], 1, env(), at(49));
    repo.write('driftctl.yml', `${CONFIG}waivers:\n  - { keys: "src/**", until: "soon", reason: "refactor" }\n`);
    const bad = await run(repo, ['check'], 1, env(), at(50));
    assert.match(bad.stderr, /driftctl\.yml:\d+: waivers\[0\]\.until: "soon" is not a date/);
  }),
);

test(
  'alerts and the HTML report list the waivers in force; the digest lists those expiring within 7 days',
  inRepo(alertProject(`${CONFIG}waivers:\n  - { keys: "src/**", until: "2026-06-30", reason: "long refactor" }\n`), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    await run(repo, ['check'], 2, env(), at(2));
    const waiver = await runJson(repo, ['waive', 'config/models.yaml', '--until', '3d', '--reason', 'trial <b>'], 0, env(), at(3));

    const alerts = await runJson(repo, ['alerts'], 0, env(), at(4));
    assert.equal(alerts.waivers.map((w: any) => [w.id, w.keys, w.until]), [[waiver.record.id, ['config/models.yaml'], at(75)], ['config:0', ['src/**'], '2026-06-30T23:59:59.999Z']]);
    const human = await run(repo, ['alerts'], 0, env(), at(4));
    assert.match(human.stdout, /active waivers:\n/);
    assert.match(human.stdout, /default +config\/models\.yaml +2026-03-04T09:00:00\.000Z/);

    const digest = await runJson(repo, ['digest', '--dry-run'], 0, env(), at(5));
    assert.equal(digest.view.expiringWaivers.map((w: any) => [w.id, w.keys]), [[waiver.record.id, ['config/models.yaml']]], 'the config waiver expires in months: not listed');
    assert.match(JSON.stringify(digest.payloads), /Waivers expiring within 7 days|expiringWaivers/);

    const report = await runJson(repo, ['report', '--html', 'r.html'], 0, env(), at(6));
    assert.equal(report.targets[0].waivers.map((w: any) => w.id), [waiver.record.id, 'config:0']);
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(`${repo.dir}/r.html`, 'utf8');
    assert.match(html, /Active waivers <span class="n">2<\/span>/);
    assert.match(html, /trial &lt;b&gt;/);
    // Expired: gone from every list.
    const later = await runJson(repo, ['alerts'], 0, env(), at(80));
    assert.equal(later.waivers.map((w: any) => w.id), ['config:0']);
  }),
);

test.run();
