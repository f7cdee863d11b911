import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, alertsState, assertNoSecret, at, everythingStored, outboxFiles, run, runJson } from '../helpers/alerts.js';
import { inRepo, showJson } from '../helpers/e2e.js';
import { startPagerDutyApi, type PagerDutyApi } from '../helpers/pagerduty-api.js';
import type { CliRun, TempRepo } from '../helpers/repo.js';

/**
 * The pagerduty channel against a loopback Events API v2 stand-in that validates every event as
 * PagerDuty does: the incident is triggered when the alert opens, triggered again (same dedup key)
 * when it changes, resolved when the drift is accepted; the routing key comes from the
 * environment and never reaches the ledger, the outbox or the output.
 */

const ROUTING_KEY = 'R0UTINGKEY0123456789abcdefSECRET';
let api: PagerDutyApi;
test.before(async () => {
  api = await startPagerDutyApi(ROUTING_KEY);
});
test.after(async () => {
  await api.close();
});
test.before.each(() => {
  api.events.length = 0;
  api.rejected.length = 0;
  api.failNext();
});

const channel = (extra = ''): string => `report_url: "https://git.example.test/ops/blob/{branch}/{path}"
channels:
  - name: oncall
    kind: pagerduty
    routing_key_env: PD_ROUTING_KEY
    api_url: API_URL
    timeout: 2s
    retries: 1${extra}`;
const config = (extra = ''): string => alertConfig(channel(extra).replace('API_URL', api.url));
const env = (key = ROUTING_KEY): Record<string, string> => ({ PD_ROUTING_KEY: key });

async function initialised(repo: TempRepo): Promise<void> {
  repo.write('driftctl.yml', config('\n    min_severity: high'));
  await run(repo, ['init'], 0, env(), at(0));
  await run(repo, ['check'], 0, env(), at(1));
}

test(
  'trigger on opened and updated, resolve on accept, one dedup key (the alert fingerprint) throughout',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    await initialised(repo);
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    const opened = await runJson(repo, ['check'], 2, env(), at(2));
    assert.equal(opened.deliveries.map((d: any) => [d.channel, d.status]), [['oncall', 'delivered']]);
    assert.is(api.events.length, 1);
    const fingerprint = alertRecords(repo)[0].fingerprint as string;
    assert.match(fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(Object.keys(alertsState(repo).open), [fingerprint]);
    const reportId = opened.reports[0].id as string;
    const trigger = api.events[0];
    assert.is(trigger.routing_key, ROUTING_KEY);
    assert.is(trigger.event_action, 'trigger');
    assert.is(trigger.dedup_key, fingerprint);
    assert.is(trigger.client, 'driftctl');
    const reportLink = `https://git.example.test/ops/blob/drift-ledger/targets/default/records/2026/03/01/08/${reportId}.report.json`;
    assert.is(trigger.client_url, reportLink);
    assert.equal(trigger.links, [{ href: reportLink, text: `Drift report ${reportId}` }]);
    const payload = trigger.payload as NonNullable<typeof trigger.payload>;
    assert.equal([payload.source, payload.component, payload.group, payload.class, payload.severity, payload.timestamp], ['default', 'files', 'default', 'drift', 'error', at(2)]);
    assert.is(payload.summary, 'Drift detected: default (files): 1 change, highest high; changed config/models.yaml');
    const details = payload.custom_details;
    assert.equal([details.event, details.alert, details.fingerprint, details.severity, details.report, details.report_link], ['opened', alertRecords(repo)[0].alert, fingerprint, 'high', reportId, reportLink]);
    assert.equal(details.summary, { total: 1, added: 0, removed: 0, changed: 1 });
    assert.equal(details.changes.map((c: any) => [c.key, c.change, c.severity, c.rule]), [['config/models.yaml', 'changed', 'high', 'config/**']]);
    assert.equal(Object.keys(details.changes[0]).sort(), ['after', 'before', 'change', 'details', 'key', 'rule', 'severity']);
    assert.is(details.more, 0);

    // More drift in the same class: the same incident is triggered again with the new details.
    repo.write('prompts/system.txt', 'You are terse.\n');
    await runJson(repo, ['check'], 2, env(), at(3));
    assert.is(api.events.length, 2);
    assert.equal([api.events[1].event_action, api.events[1].dedup_key, api.events[1].payload?.severity], ['trigger', fingerprint, 'error']);
    assert.equal(api.events[1].payload?.custom_details.summary, { total: 2, added: 0, removed: 0, changed: 2 });
    assert.is(api.events[1].payload?.custom_details.event, 'updated');

    // The high change goes back: the alert is now medium, below min_severity. The channel that was
    // paged hears that once (the incident's severity drops to warning), and nothing more...
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4o\n');
    const lowered = await runJson(repo, ['check'], 2, env(), at(4));
    assert.is(lowered.alerts[0].updated, 1);
    assert.is(api.events.length, 3, 'the paged channel hears the drop below its min_severity');
    assert.equal([api.events[2].event_action, api.events[2].dedup_key, api.events[2].payload?.severity], ['trigger', fingerprint, 'warning']);
    repo.write('prompts/system.txt', 'You are brief.\n');
    await runJson(repo, ['check'], 2, env(), at(4.5));
    assert.is(api.events.length, 3, 'a further medium update does not page a high-only channel');
    // ...but the resolution still closes the incident.
    await runJson(repo, ['accept', '--all', '--reason', 'expected'], 0, env(), at(5));
    assert.is(api.events.length, 4);
    assert.equal(api.events[3], { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: fingerprint });
    assert.equal(api.rejected, []);
    assert.equal(outboxFiles(repo), []);
  }),
);

test(
  'severities map to critical, error, warning, info; a reminder triggers the same incident again',
  inRepo(alertProject('version: 1\n', { 'data/vault.bin': 'x\n', 'src/app.py': 'x\n' }), async (repo) => {
    repo.write(
      'driftctl.yml',
      alertConfig(`repeat_interval: 1h\n${channel()}`.replace('API_URL', api.url), {
        watch: '["src/**/*", "prompts/**/*.txt", "config/**/*.yaml", "data/**/*"]',
        severity: `severity:\n  default: low\n  rules:\n    - { match: "data/**", severity: critical, alert: secrets }\n    - { match: "config/**", severity: high, alert: config }\n    - { match: "prompts/**", severity: medium, alert: prompts }\n`,
      }),
    );
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('data/vault.bin', 'y\n');
    repo.write('config/models.yaml', 'models: {}\n');
    repo.write('prompts/user.txt', 'Q?\n');
    repo.write('src/app.py', 'y\n');
    await runJson(repo, ['check'], 2, env(), at(2));
    const bySeverity = Object.fromEntries(api.events.map((e) => [e.payload?.custom_details.severity, e.payload?.severity]));
    assert.equal(bySeverity, { critical: 'critical', high: 'error', medium: 'warning', low: 'info' });
    assert.is(new Set(api.events.map((e) => e.dedup_key)).size, 4, 'one incident per alert');
    const keys = api.events.map((e) => e.dedup_key).sort();
    assert.equal(keys, Object.keys(alertsState(repo).open).sort());
    await runJson(repo, ['check'], 2, env(), at(3.5));
    assert.is(api.events.length, 8, 'reminders re-trigger every open incident');
    assert.equal(api.events.slice(4).map((e) => e.dedup_key).sort(), keys);
    assert.ok(api.events.slice(4).every((e) => e.event_action === 'trigger' && e.payload?.custom_details.event === 'reminded'));
  }),
);

test(
  'no routing key, a wrong one (400, not retried) and a 503 (retried): kept in the outbox, then delivered unchanged; the key is never stored or printed; --dry-run masks it',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    const outputs: CliRun[] = [];
    const go = async (args: string[], code: number, hours: number, e: Record<string, string>): Promise<CliRun> => {
      const r = await run(repo, args, code, e, at(hours));
      outputs.push(r);
      return r;
    };
    await initialised(repo);
    repo.write('config/models.yaml', 'models: {}\n');
    await go(['check', '--no-alert'], 2, 2, env());
    const dry = await go(['alert', '--dry-run'], 0, 2.1, env());
    assert.match(dry.stdout, /--- pagerduty channel "oncall": opened \S+\nPOST http:\/\/127\.0\.0\.1:\d+\/v2\/enqueue\n\{\n {2}"routing_key": "\*{6} \(from \$PD_ROUTING_KEY, set\)",\n {2}"event_action": "trigger",\n {2}"dedup_key": "[0-9a-f]{16}"/);
    const dryJson = await runJson(repo, ['alert', '--dry-run'], 0, {}, at(2.1));
    assert.match(dryJson.payloads[0].preview, /"routing_key": "\*{6} \(from \$PD_ROUTING_KEY, NOT SET\)"/);
    assert.is(api.events.length, 0);

    const unset = await go(['alert', '--json'], 0, 3, {});
    assert.match(JSON.parse(unset.stdout).deliveries[0].error, /environment variable PD_ROUTING_KEY is not set/);
    assert.is(outboxFiles(repo).length, 1);
    const queued = showJson(repo, outboxFiles(repo)[0]);
    assert.is(queued.channelKind, 'pagerduty');
    assert.not.ok('routing_key' in JSON.parse(queued.body), 'the outbox keeps the event without its key');

    const wrong = await go(['alert', '--json'], 0, 4, env('wrong-key-0000'));
    assert.match(JSON.parse(wrong.stdout).deliveries[0].error, /HTTP 400 \(.*Invalid routing key.*\), rejected \(not retried in this run\)/);
    assert.is(api.rejected.length, 1, '4xx is not retried');

    api.failNext(503);
    const delivered = await go(['alert', '--json'], 0, 5, env());
    assert.equal(JSON.parse(delivered.stdout).deliveries.map((d: any) => [d.status, d.retried]), [['delivered', true]]);
    assert.is(api.events.length, 1, 'the 503 was retried once and then accepted');
    assert.equal({ ...api.events[0], routing_key: undefined }, { ...JSON.parse(queued.body), routing_key: undefined });
    assert.equal(outboxFiles(repo), []);

    for (const [i, o] of outputs.entries()) assertNoSecret(o.stdout + o.stderr, [ROUTING_KEY], `output of command ${i}`);
    assertNoSecret(everythingStored(repo), [ROUTING_KEY], 'the ledger repository');
  }),
);

test(
  'out of its retry budget, a pagerduty event is abandoned and recorded whole under dead/ (its kind passes the dead schema); the ledger verifies',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    repo.write('driftctl.yml', alertConfig(`outbox:\n  max_attempts: 2\n${channel().replace('API_URL', api.url)}`));
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('config/models.yaml', 'models: {}\n');
    const queued = await runJson(repo, ['check'], 2, {}, at(2));
    assert.equal(queued.deliveries.map((d: any) => [d.status, d.attempts, d.maxAttempts]), [['queued', 1, 2]]);
    const abandoned = await runJson(repo, ['alert'], 0, {}, at(3));
    assert.equal(abandoned.deliveries.map((d: any) => [d.status, d.reason]), [['abandoned', 'attempts']]);
    assert.equal(outboxFiles(repo), []);
    const dead = repo.git('ls-tree', '-r', '--name-only', 'drift-ledger', 'dead/').split('\n').filter(Boolean);
    assert.is(dead.length, 1);
    const record = showJson(repo, dead[0]);
    assert.equal([record.kind, record.reason, record.entry.channel, record.entry.channelKind, record.entry.attempts], ['dead', 'attempts', 'oncall', 'pagerduty', 2]);
    await run(repo, ['verify'], 0, env(), at(4));
    await runJson(repo, ['alert'], 0, env(), at(5));
    assert.is(api.events.length, 0, 'an abandoned event is never sent');
  }),
);

test(
  'digests skip pagers: the default digest goes to the channels that take one; --channel naming a pagerduty channel is an error',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    repo.write('driftctl.yml', alertConfig(`${channel().replace('API_URL', api.url)}\n  - kind: console`));
    await run(repo, ['init'], 0, env(), at(0));
    const digest = await runJson(repo, ['digest', '--dry-run'], 0, env(), at(1));
    assert.equal(digest.payloads.map((p: any) => p.channel), ['console']);
    const refused = await run(repo, ['digest', '--channel', 'oncall'], 1, env(), at(1));
    assert.match(refused.stderr, /channel "oncall" is of kind pagerduty, which takes alerts but no digests/);
    assert.is(api.events.length, 0);
  }),
);

test.run();
