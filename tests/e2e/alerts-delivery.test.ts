import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { alertConfig, alertProject, alertRecords, at, bodyJson, commitsOfKind, outboxFiles, run, runJson } from '../helpers/alerts.js';
import { inRepo, showJson } from '../helpers/e2e.js';
import { startReceiver, useReceiver } from '../helpers/http-receiver.js';
import type { TempRepo } from '../helpers/repo.js';
import { signBody } from '../../src/channels/webhook-channel.js';
import { createHmac } from 'node:crypto';

/**
 * Delivery through the real loopback receiver: HTTP retries (5xx, 429 + Retry-After), no retry on
 * other 4xx, timeouts, the ledger outbox (kept, listed, retried by the next run, removed once
 * delivered, never sent twice), signed webhooks, routing filters, and the file channel.
 */

const receiver = useReceiver(test);

const slack = (extra = 'timeout: 2s\nretries: 2'): string => `channels:
  - name: slack
    kind: slack
    webhook_env: SLACK_URL
${extra
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}`;

const env = (): Record<string, string> => ({ SLACK_URL: `${receiver.url}/hooks/slack` });

/** init, a clean first check, then drift in prompts/system.txt: the next `check` opens an alert. */
async function readyToOpen(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, env(), at(0));
  await run(repo, ['check'], 0, env(), at(1));
  repo.write('prompts/system.txt', 'You are a terse assistant.\n');
}

test(
  'HTTP 500 then 200: retried, delivered once, nothing left in the outbox',
  inRepo(alertProject(alertConfig(slack())), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 500, body: 'boom' }, { status: 200, body: 'ok' });
    const result = await runJson(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 2, 'one failed attempt, one retry');
    assert.is(receiver.received[0].body, receiver.received[1].body, 'the retry sends the same payload');
    assert.equal(result.deliveries.map((d: any) => [d.channel, d.status, d.retried]), [['slack', 'delivered', false]]);
    assert.equal(outboxFiles(repo), []);
    assert.is(commitsOfKind(repo, 'outbox').length, 0, 'no outbox commit when everything was delivered');
    await runJson(repo, ['alert'], 0, env(), at(3));
    assert.is(receiver.received.length, 2, 'nothing sent twice');
  }),
);

test(
  'HTTP 429 with Retry-After: 0 is retried; Retry-After: 1 is waited for',
  inRepo(alertProject(alertConfig(slack())), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 429, headers: { 'retry-after': '0' }, body: 'rate limited' });
    await runJson(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 2);
    assert.equal(outboxFiles(repo), []);

    repo.write('config/models.yaml', 'models: {}\n');
    receiver.script({ status: 429, headers: { 'retry-after': '1' } }, { status: 503 }, { status: 200 });
    const started = Date.now();
    const updated = await runJson(repo, ['check'], 2, env(), at(3));
    assert.ok(Date.now() - started >= 950, `Retry-After: 1 honoured (took ${Date.now() - started} ms)`);
    assert.is(updated.alerts[0].updated, 1);
    assert.is(receiver.received.length, 5);
    assert.equal(updated.deliveries.map((d: any) => d.status), ['delivered']);
  }),
);

test(
  'HTTP 404: not retried (one request), kept in the outbox, listed, delivered by the next `alert`, then removed and never sent twice',
  inRepo(alertProject(alertConfig(slack())), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 404, body: 'no_service' });
    const checked = await run(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 1, '4xx is never retried');
    const original = receiver.received[0].body;
    assert.match(checked.stdout, /not delivered \(kept in the outbox for the next run, attempt 1 of 10\): slack channel "slack": HTTP 404 \(no_service\), rejected \(not retried in this run\)/);

    // Visible on the ledger branch with plain git…
    const files = outboxFiles(repo);
    assert.is(files.length, 1);
    assert.match(files[0], /^outbox\/\d{8}T\d{9}Z-[0-9a-f]{6}-slack\.json$/);
    const entry = showJson(repo, files[0]);
    assert.equal([entry.kind, entry.channel, entry.channelKind, entry.attempts, entry.created], ['outbox', 'slack', 'slack', 1, at(2)]);
    assert.is(entry.body, original, 'the outbox holds the exact payload');
    assert.match(entry.lastError, /HTTP 404/);
    const outboxCommit = commitsOfKind(repo, 'outbox')[0];
    assert.ok(outboxCommit.subjects.includes('outbox: 0 delivered, 1 waiting'), outboxCommit.subjects.join('\n'));
    // …and in `alerts --json`.
    let list = await runJson(repo, ['alerts'], 0, env(), at(2.5));
    assert.equal(list.outbox.map((o: any) => [o.channel, o.attempts]), [['slack', 1]]);
    assert.match(list.outbox[0].lastError, /HTTP 404/);
    assert.is(list.open.length, 1, 'the alert is open even though not delivered');
    const human = await run(repo, ['alerts'], 0, env(), at(2.5));
    assert.match(human.stdout, /outbox \(1 waiting\):\n {2}slack: opened \S+, 1 attempt\(s\), last error: .*HTTP 404/);

    // `alert --dry-run` counts it and sends nothing.
    const dry = await runJson(repo, ['alert', '--dry-run'], 0, env(), at(2.6));
    assert.is(dry.outbox, 1);
    assert.is(receiver.received.length, 1);

    // Still 404: kept, attempts counted.
    receiver.script({ status: 404 });
    let alerted = await runJson(repo, ['alert'], 0, env(), at(3));
    assert.equal(alerted.deliveries.map((d: any) => [d.status, d.retried]), [['kept', true]]);
    assert.is(receiver.received.length, 2);
    assert.is(showJson(repo, outboxFiles(repo)[0]).attempts, 2);

    // The receiver answers 200: delivered from the outbox, removed from the ledger.
    alerted = await runJson(repo, ['alert'], 0, env(), at(4));
    assert.equal(alerted.deliveries.map((d: any) => [d.status, d.retried]), [['delivered', true]]);
    assert.is(alerted.outbox, 0);
    assert.is(receiver.received.length, 3);
    assert.is(receiver.received[2].body, original, 'the queued payload, unchanged');
    assert.equal(outboxFiles(repo), []);
    assert.match(commitsOfKind(repo, 'outbox')[0].subject, /^outbox: 1 delivered, 0 waiting$/);
    list = await runJson(repo, ['alerts'], 0, env(), at(4.5));
    assert.equal(list.outbox, []);

    // Nothing is sent twice: by `alert`, by `check` with the same drift, or by `digest --dry-run`.
    await runJson(repo, ['alert'], 0, env(), at(5));
    await runJson(repo, ['check'], 2, env(), at(6));
    assert.is(receiver.received.length, 3);
    assert.is(alertRecords(repo).length, 1, 'the alert was opened once');
  }),
);

test(
  'the outbox is also retried by check, accept and digest',
  inRepo(alertProject(alertConfig(slack())), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 400 });
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(outboxFiles(repo).length, 1);
    // check: the same drift (no new notification) but the waiting one goes out.
    const checked = await run(repo, ['check'], 2, env(), at(3));
    assert.match(checked.stdout, /delivered from the outbox: slack opened /);
    assert.is(receiver.received.length, 2);
    assert.equal(outboxFiles(repo), []);

    // Queue the `updated` notification, then accept: the outbox and the resolution both go out.
    repo.write('config/models.yaml', 'models: {}\n');
    receiver.script({ status: 410 });
    await run(repo, ['check'], 2, env(), at(4));
    assert.is(outboxFiles(repo).length, 1);
    const accepted = await runJson(repo, ['accept', '--all', '--reason', 'ok'], 0, env(), at(5));
    assert.equal(accepted.deliveries.map((d: any) => [d.subject.split(' ')[0], d.status, d.retried]), [
      ['updated', 'delivered', true],
      ['resolved', 'delivered', false],
    ]);
    assert.equal(outboxFiles(repo), []);
    assert.is(receiver.received.length, 5);
    assert.match(bodyJson(receiver.received[3]).text, /Drift changed/);
    assert.match(bodyJson(receiver.received[4]).text, /Drift resolved/);

    // digest: a queued notification goes out before the digest itself.
    repo.write('src/main.py', 'print("bye")\n');
    receiver.script({ status: 400 });
    await run(repo, ['check'], 2, env(), at(6));
    assert.is(outboxFiles(repo).length, 1);
    const digest = await runJson(repo, ['digest', '--channel', 'slack'], 0, env(), at(7));
    assert.equal(digest.deliveries.map((d: any) => [d.subject.split(' ')[0], d.status, d.retried]), [
      ['opened', 'delivered', true],
      ['digest', 'delivered', false],
    ]);
    assert.equal(outboxFiles(repo), []);
  }),
);

test(
  "a 'hang' with timeout: 1s, retries: 0 → not delivered (timed out), kept in the outbox",
  inRepo(alertProject(alertConfig(slack('timeout: 1s\nretries: 0'))), async (repo) => {
    await readyToOpen(repo);
    receiver.script('hang');
    const started = Date.now();
    const result = await runJson(repo, ['check'], 2, env(), at(2));
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 5000, `gave up after the 1s timeout (took ${took} ms)`);
    assert.is(receiver.received.length, 1, 'retries: 0 means one attempt');
    assert.equal(result.deliveries.map((d: any) => d.status), ['queued']);
    assert.match(result.deliveries[0].error, /timed out after 1000 ms \(1 attempt\)/, result.deliveries[0].error);
    assert.is(outboxFiles(repo).length, 1);
    assert.match(showJson(repo, outboxFiles(repo)[0]).lastError, /timed out/);
    // Next run, the receiver answers: delivered from the outbox.
    const alerted = await runJson(repo, ['alert'], 0, env(), at(3));
    assert.equal(alerted.deliveries.map((d: any) => [d.status, d.retried]), [['delivered', true]]);
    assert.equal(outboxFiles(repo), []);
  }),
);

test(
  'connection refused and retries exhausted on 5xx: queued; a channel removed from the config keeps its entries',
  inRepo(alertProject(alertConfig(slack('timeout: 2s\nretries: 1'))), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 502 }, { status: 502 });
    const result = await runJson(repo, ['check'], 2, env(), at(2));
    assert.is(receiver.received.length, 2);
    assert.match(result.deliveries[0].error, /HTTP 502 \(2 attempts\)/);
    assert.is(outboxFiles(repo).length, 1);

    const dead = await startReceiver();
    await dead.close();
    const refused = await runJson(repo, ['alert'], 0, { SLACK_URL: `${dead.url}/hooks/slack` }, at(3));
    assert.match(refused.deliveries[0].error, /connection refused \(2 attempts\)/);
    assert.is(showJson(repo, outboxFiles(repo)[0]).attempts, 2);

    const unset = await runJson(repo, ['alert'], 0, {}, at(3.5));
    assert.match(unset.deliveries[0].error, /environment variable SLACK_URL is not set/);
    assert.is(outboxFiles(repo).length, 1);

    repo.write('driftctl.yml', alertConfig('channels:\n  - kind: console'));
    const orphan = await runJson(repo, ['alert'], 0, env(), at(4));
    assert.equal(orphan.deliveries.map((d: any) => [d.status, d.error]), [['kept', 'channel "slack" is no longer configured']]);
    assert.is(outboxFiles(repo).length, 1);
    assert.is(receiver.received.length, 2);
  }),
);

const HOOKS = (url: string): Record<string, string> => ({
  HOOK_ALL: `${url}/all`,
  HOOK_SECRET: 'whsec_test_0123456789',
  HOOK_HIGH: `${url}/high`,
  HOOK_PROD: `${url}/prod`,
  HOOK_DB: `${url}/db`,
  HOOK_RESOLVED: `${url}/resolved`,
});

const ROUTING = alertConfig(
  `channels:
  - { name: all, kind: webhook, url_env: HOOK_ALL, secret_env: HOOK_SECRET, timeout: 2s, retries: 0 }
  - { name: high, kind: webhook, url_env: HOOK_HIGH, min_severity: high, timeout: 2s, retries: 0 }
  - { name: prod, kind: webhook, url_env: HOOK_PROD, labels: { env: prod }, timeout: 2s, retries: 0 }
  - { name: db-only, kind: webhook, url_env: HOOK_DB, targets: [db], timeout: 2s, retries: 0 }
  - { name: resolutions, kind: webhook, url_env: HOOK_RESOLVED, events: [resolved], timeout: 2s, retries: 0 }`,
  {
    targets: `- name: web
  labels: { env: prod, team: web }
  sources: [ { kind: files, root: web, watch: ["**/*"] } ]
- name: db
  labels: { env: staging }
  sources: [ { kind: files, root: db, watch: ["**/*"] } ]`,
    severity: `severity:\n  default: low\n  rules:\n    - match: "*.conf"\n      severity: high\n`,
  },
);

test(
  'webhook: the HMAC-SHA256 signature of "<timestamp>.<body>" verifies with the secret; the body is the alert',
  inRepo(alertProject(ROUTING, { 'web/index.html': '<h1>hi</h1>\n', 'db/pg.conf': 'max_connections=100\n' }), async (repo) => {
    const hooks = HOOKS(receiver.url);
    await run(repo, ['init'], 0, hooks, at(0));
    await run(repo, ['check'], 0, hooks, at(1));
    repo.write('web/index.html', '<h1>hello</h1>\n');
    const before = Math.floor(Date.now() / 1000);
    await run(repo, ['check'], 2, hooks, at(2));
    const after = Math.floor(Date.now() / 1000);
    const requests = receiver.received.filter((r) => r.path === '/all');
    assert.is(requests.length, 1);
    const [request] = requests;
    const timestamp = String(request.headers['x-driftctl-timestamp']);
    assert.match(timestamp, /^\d+$/);
    assert.ok(Number(timestamp) >= before && Number(timestamp) <= after + 1, 'timestamp: unix seconds of the delivery');
    const expected = `sha256=${createHmac('sha256', hooks.HOOK_SECRET).update(`${timestamp}.${request.body}`).digest('hex')}`;
    assert.is(request.headers['x-driftctl-signature'], expected);
    assert.is(signBody(hooks.HOOK_SECRET, timestamp, request.body), expected);
    assert.ok(request.headers['x-driftctl-signature'] !== `sha256=${createHmac('sha256', 'wrong').update(`${timestamp}.${request.body}`).digest('hex')}`);
    assert.ok(signBody(hooks.HOOK_SECRET, timestamp, `${request.body} `) !== expected, 'the signature covers the body');
    assert.not.ok(JSON.stringify(request.headers).includes(hooks.HOOK_SECRET), 'the secret itself is never sent');

    const body = bodyJson(request);
    assert.is(body.type, 'driftctl.alert');
    assert.is(body.event, 'opened');
    assert.is(body.time, at(2));
    assert.is(body.target.name, 'web');
    assert.equal(body.target.labels, [
      { key: 'env', value: 'prod' },
      { key: 'team', value: 'web' },
    ]);
    assert.is(body.source, 'files');
    assert.is(body.alert.severity, 'low');
    assert.is(body.alert.state, 'open');
    assert.equal(body.changes.map((c: any) => [c.key, c.change]), [['index.html', 'changed']]);
    assert.is(body.alert.id, alertRecords(repo, 'web')[0].alert);

    // Channels without secret_env send no signature.
    const prod = receiver.received.find((r) => r.path === '/prod');
    assert.ok(prod, 'prod channel got the web alert');
    assert.is(prod?.headers['x-driftctl-signature'], undefined);
    assert.is(prod?.headers['x-driftctl-timestamp'], undefined);
  }),
);

test(
  'routing: min_severity, target and label filters, and event kinds pick the channels',
  inRepo(alertProject(ROUTING, { 'web/index.html': '<h1>hi</h1>\n', 'db/pg.conf': 'max_connections=100\n' }), async (repo) => {
    const hooks = HOOKS(receiver.url);
    await run(repo, ['init'], 0, hooks, at(0));
    await run(repo, ['check'], 0, hooks, at(1));
    repo.write('web/index.html', '<h1>hello</h1>\n'); // web: low, env=prod
    repo.write('db/pg.conf', 'max_connections=500\n'); // db: high, env=staging
    await run(repo, ['check'], 2, hooks, at(2));
    const got = (): Record<string, string[]> => {
      const out: Record<string, string[]> = {};
      for (const r of receiver.received) {
        const b = bodyJson(r);
        (out[r.path.slice(1)] ??= []).push(`${b.event} ${b.target.name}`);
      }
      for (const list of Object.values(out)) list.sort();
      return out;
    };
    assert.equal(got(), {
      all: ['opened db', 'opened web'],
      high: ['opened db'],
      prod: ['opened web'],
      db: ['opened db'],
    });
    const events = [...alertRecords(repo, 'web'), ...alertRecords(repo, 'db')];
    assert.equal(events.map((e) => [e.target, e.notified]), [
      ['web', ['all', 'prod']],
      ['db', ['all', 'high', 'db-only']],
    ]);

    receiver.received.length = 0;
    repo.write('web/index.html', '<h1>hi</h1>\n');
    repo.write('db/pg.conf', 'max_connections=100\n');
    await run(repo, ['check'], 0, hooks, at(3));
    assert.equal(got(), {
      all: ['resolved db', 'resolved web'],
      high: ['resolved db'],
      prod: ['resolved web'],
      db: ['resolved db'],
      resolved: ['resolved db', 'resolved web'],
    });
  }),
);

test(
  'file channel: one JSON line per event appended (opened, updated, resolved) and the rendered text log',
  inRepo(
    alertProject(alertConfig(`channels:\n  - name: log\n    kind: file\n    path: logs/alerts.jsonl\n    text_path: logs/alerts.log`)),
    async (repo) => {
      const jsonl = path.join(repo.dir, 'logs/alerts.jsonl');
      const textLog = path.join(repo.dir, 'logs/alerts.log');
      await run(repo, ['init'], 0, {}, at(0));
      await run(repo, ['check'], 0, {}, at(1));
      assert.not.ok(existsSync(jsonl), 'nothing logged without an event');
      repo.write('prompts/system.txt', 'You are a terse assistant.\n');
      await run(repo, ['check'], 2, {}, at(2));
      await run(repo, ['check'], 2, {}, at(3)); // unchanged: nothing appended
      repo.write('config/models.yaml', 'models: {}\n');
      await run(repo, ['check'], 2, {}, at(4));
      repo.write('prompts/system.txt', 'You are a helpful assistant.\n');
      repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4o\n');
      await run(repo, ['check'], 0, {}, at(5));

      const lines = readFileSync(jsonl, 'utf8').split('\n');
      assert.is(lines.pop(), '', 'the file ends with a newline');
      assert.is(lines.length, 3, lines.join('\n'));
      const events = lines.map((l) => JSON.parse(l));
      const records = alertRecords(repo);
      assert.equal(events.map((e) => [e.type, e.event, e.time, e.severity, e.target, e.source, e.class]), [
        ['driftctl.alert', 'opened', at(2), 'medium', 'default', 'files', 'drift'],
        ['driftctl.alert', 'updated', at(4), 'high', 'default', 'files', 'drift'],
        ['driftctl.alert', 'resolved', at(5), 'high', 'default', 'files', 'drift'],
      ]);
      assert.ok(events.every((e) => e.alert === records[0].alert), 'one alert id throughout');
      assert.equal(events[0].changes, [{ key: 'prompts/system.txt', change: 'changed', severity: 'medium', rule: 'prompts/**' }]);
      assert.equal(events[1].changes.map((c: any) => c.key), ['config/models.yaml', 'prompts/system.txt']);
      assert.is(events[1].summary.total, 2);
      assert.equal([events[2].reason, events[2].changes.map((c: any) => [c.key, c.severity])], ['drift-gone', [['config/models.yaml', 'high'], ['prompts/system.txt', 'medium']]], 'the resolution lists what was open');
      assert.equal(events.map((e) => e.report), records.map((r) => r.report));

      const text = readFileSync(textLog, 'utf8');
      assert.match(text, new RegExp(`^${at(2)} MEDIUM opened default/files \\S+: Drift detected: default \\(files\\): 1 change, highest medium\\n  MEDIUM changed prompts/system.txt\\n`));
      assert.match(text, /HIGH updated default\/files \S+: Drift changed: default \(files\): 2 changes, highest high\n {2}HIGH changed config\/models\.yaml\n {2}MEDIUM changed prompts\/system\.txt\n/);
      assert.match(text, /HIGH resolved default\/files \S+: Drift resolved: default \(files\): 2 changes \(highest high\) reverted: back to the baseline\n {2}HIGH changed config\/models\.yaml\n {2}MEDIUM changed prompts\/system\.txt\n$/);

      // Appended, never rewritten: a later event adds one line.
      repo.write('src/main.py', 'print("x")\n');
      await run(repo, ['check'], 2, {}, at(6));
      assert.is(readFileSync(jsonl, 'utf8').split('\n').filter(Boolean).length, 4);
      assert.ok(readFileSync(jsonl, 'utf8').startsWith(lines.join('\n')));
    },
  ),
);

test(
  'console channel: rendered on stdout (stderr under --json, keeping stdout one document)',
  inRepo(alertProject(alertConfig('channels:\n  - kind: console')), async (repo) => {
    await run(repo, ['init'], 0, {}, at(0));
    await run(repo, ['check'], 0, {}, at(1));
    repo.write('config/evals.json', '{"threshold": 0.1}\n');
    const human = await run(repo, ['check'], 2, {}, at(2));
    assert.match(human.stdout, /🟠 Drift detected: default \(files\): 1 change, highest high\n {3}HIGH {2}changed {2}config\/evals\.json {2}\(config\/\*\*\)\n/);
    repo.write('config/evals.json', '{"threshold": 0.8}\n');
    const json = await run(repo, ['check', '--json'], 0, {}, at(3));
    JSON.parse(json.stdout);
    assert.match(json.stderr, /✅ Drift resolved: default \(files\): 1 change \(highest high\) reverted: back to the baseline\n {3}HIGH {2}changed {2}config\/evals\.json/);
  }),
);

test(
  'a malformed webhook URL in the environment is one config error at load naming the file, field and variable (not a retried network error); nothing is written',
  inRepo(
    alertProject(alertConfig(`channels:\n  - { name: ops, kind: slack, webhook_env: SLACK_URL, timeout: 2s, retries: 2 }\n  - { name: hook, kind: webhook, url_env: HOOK_URL }`)),
    async (repo) => {
      await readyToOpen(repo);
      const tip = repo.git('rev-parse', 'drift-ledger').trim();
      const bad = await run(repo, ['check'], 1, { SLACK_URL: 'http://exa mple.test/services/T0/B0/secret-token', HOOK_URL: `${receiver.url}/hook` }, at(2));
      assert.is(
        bad.stderr.trim(),
        'driftctl: error: driftctl.yml: alerts.channels[0].webhook_env: the environment variable SLACK_URL (channel "ops") is not a valid URL: set it to the Slack incoming-webhook URL, https://…',
      );
      assert.not.match(bad.stdout + bad.stderr, /secret-token|ERR_INVALID_URL|network error/);
      assert.is(receiver.received.length, 0, 'nothing was attempted');
      assert.is(repo.git('rev-parse', 'drift-ledger').trim(), tip, 'the ledger is untouched');
      const json = await run(repo, ['check', '--json'], 1, { SLACK_URL: `${receiver.url}/slack`, HOOK_URL: 'mailto:ops@example.test' }, at(2));
      assert.is(JSON.parse(json.stdout).error.code, 'CONFIG_INVALID');
      assert.match(JSON.parse(json.stdout).error.message, /alerts\.channels\[1\]\.url_env: the environment variable HOOK_URL \(channel "hook"\) is not an http\(s\) URL \(it starts with mailto:\)/);
      // Set right, the same check delivers.
      await run(repo, ['check'], 2, { SLACK_URL: `${receiver.url}/slack`, HOOK_URL: `${receiver.url}/hook` }, at(3));
      assert.is(receiver.received.length, 2);
    },
  ),
);

test(
  'outbox budget: an entry is abandoned after max_attempts failed deliveries, recorded whole as a dead record, and never posted again',
  inRepo(alertProject(alertConfig(`${slack()}\noutbox: { max_attempts: 2, max_age: 7d }`)), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 404, body: 'no_service' });
    const first = await run(repo, ['check'], 2, env(), at(2));
    assert.match(first.stdout, /kept in the outbox for the next run, attempt 1 of 2/);
    const [file] = outboxFiles(repo);
    const entry = showJson(repo, file);
    receiver.script({ status: 404, body: 'no_service' });
    const second = await runJson(repo, ['alert'], 0, env(), at(3));
    assert.equal(second.deliveries.map((d: any) => [d.status, d.reason, d.attempts]), [['abandoned', 'attempts', 2]]);
    const human = await run(repo, ['alert'], 0, env(), at(3.5));
    assert.not.match(human.stdout, /abandoned/, 'abandoned once');
    assert.equal(outboxFiles(repo), []);
    assert.match(commitsOfKind(repo, 'outbox')[0].subject, /^outbox: 0 delivered, 0 waiting, 1 abandoned$/);
    const dead = repo.git('ls-tree', '-r', '--name-only', 'drift-ledger', 'dead/').split('\n').filter(Boolean);
    assert.is(dead.length, 1);
    assert.match(dead[0], /^dead\/\d{4}\/\d{2}\/\d{2}\/\d{8}T\d{9}Z-[0-9a-f]{6}\.dead\.json$/);
    const record = showJson(repo, dead[0]);
    assert.equal([record.kind, record.reason, record.by, record.time], ['dead', 'attempts', 'driftctl', at(3)]);
    assert.equal({ ...record.entry, attempts: 0, lastError: '' }, { ...entry, attempts: 0, lastError: '' }, 'the entry is kept whole');
    assert.is(record.entry.attempts, 2);
    // Never posted again, and the ledger still verifies (the dead record has a schema and is immutable).
    await run(repo, ['alert'], 0, env(), at(4));
    await run(repo, ['check'], 2, env(), at(5));
    assert.is(receiver.received.length, 2);
    await run(repo, ['verify'], 0, env(), at(6));
  }),
);

test(
  'outbox budget: an entry for a channel removed from the config is not attempted, and is abandoned once older than max_age',
  inRepo(alertProject(alertConfig(slack())), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 503 }, { status: 503 }, { status: 503 });
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(outboxFiles(repo).length, 1);
    repo.write('driftctl.yml', alertConfig('channels:\n  - kind: console'));
    const early = await runJson(repo, ['alert'], 0, env(), at(2 + 24 * 6));
    assert.equal(early.deliveries.map((d: any) => [d.status, d.error]), [['kept', 'channel "slack" is no longer configured']]);
    const late = await runJson(repo, ['alert'], 0, env(), at(2 + 24 * 7));
    assert.equal(late.deliveries.map((d: any) => [d.status, d.reason]), [['abandoned', 'age']]);
    assert.equal(outboxFiles(repo), []);
    const [dead] = repo.git('ls-tree', '-r', '--name-only', 'drift-ledger', 'dead/').split('\n').filter(Boolean);
    assert.is(showJson(repo, dead).reason, 'age');
    assert.is(receiver.received.length, 3, 'never posted once the channel was gone');
  }),
);

test(
  'alerts outbox lists entries with their budget; --retry ID delivers one now; --drop ID abandons one, recorded as dropped by the actor; an unknown id is an error',
  inRepo(alertProject(alertConfig(slack('timeout: 2s\nretries: 0'))), async (repo) => {
    await readyToOpen(repo);
    receiver.script({ status: 500 });
    await run(repo, ['check'], 2, env(), at(2));
    repo.write('config/models.yaml', 'models: {}\n');
    receiver.script({ status: 500 }, { status: 500 });
    await run(repo, ['check'], 2, env(), at(3));
    const listed = await runJson(repo, ['alerts', 'outbox'], 0, env(), at(3.5));
    assert.equal(listed.entries.map((e: any) => [e.channel, e.subject.split(' ')[0], e.attempts, e.maxAttempts, e.expires]), [
      ['slack', 'opened', 2, 10, at(2 + 24 * 7)],
      ['slack', 'updated', 1, 10, at(3 + 24 * 7)],
    ]);
    const [opened, updated] = listed.entries.map((e: any) => e.id);
    const human = await run(repo, ['alerts', 'outbox'], 0, env(), at(3.5));
    assert.match(human.stdout, new RegExp(`outbox \\(2 waiting\\):\\n {2}ID .*\\n {2}${opened} +slack +opened \\S+ +2/10 `));

    const retried = await runJson(repo, ['alerts', 'outbox', '--retry', opened], 0, env(), at(4));
    assert.equal([retried.outcome.status, retried.entries.map((e: any) => e.id)], ['delivered', [updated]]);
    assert.is(receiver.received.length, 4);

    const dropped = await runJson(repo, ['alerts', 'outbox', '--drop', updated], 0, env(), at(5));
    assert.equal([dropped.outcome.status, dropped.outcome.reason, dropped.entries], ['abandoned', 'dropped', []]);
    const [dead] = repo.git('ls-tree', '-r', '--name-only', 'drift-ledger', 'dead/').split('\n').filter(Boolean);
    const record = showJson(repo, dead);
    assert.equal([record.reason, record.by, record.entry.id], ['dropped', 'Test Author <author@example.test>', updated]);
    await run(repo, ['alert'], 0, env(), at(6));
    assert.is(receiver.received.length, 4, 'a dropped entry is never posted');

    const unknown = await run(repo, ['alerts', 'outbox', '--drop', 'nope', '--json'], 1, env(), at(7));
    assert.is(JSON.parse(unknown.stdout).error.code, 'OUTBOX_ENTRY_NOT_FOUND');
  }),
);

test.run();
