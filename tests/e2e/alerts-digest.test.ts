import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, assertSlackPayload, at, bodyJson, run, runJson, slackTexts } from '../helpers/alerts.js';
import { inRepo, ledgerTip, oneJson } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';
import type { TempRepo } from '../helpers/repo.js';
import { TOOL_VERSION } from '../../src/version.js';

/**
 * `digest` over a fixed clock (DRIFTCTL_NOW): the view counts alerts opened, still open and
 * resolved, accepted baselines and checks within the window; `--since` excludes older events;
 * `--channel` sends one payload to one channel; `--dry-run` sends and writes nothing.
 */

const receiver = useReceiver(test);

const CONFIG = alertConfig(
  `channels:
  - { name: slack, kind: slack, webhook_env: SLACK_URL, timeout: 2s, retries: 0, events: [resolved] }
  - { name: hook, kind: webhook, url_env: HOOK_URL, timeout: 2s, retries: 0, events: [resolved] }`,
  {
    targets: `- name: web
  sources: [ { kind: files, root: web, watch: ["**/*"] } ]
- name: db
  sources: [ { kind: files, root: db, watch: ["**/*"] } ]`,
    severity: `severity:\n  default: low\n  rules:\n    - match: "*.conf"\n      severity: high\n`,
  },
);

const env = (): Record<string, string> => ({ SLACK_URL: `${receiver.url}/slack`, HOOK_URL: `${receiver.url}/hook` });

/**
 * t0 init · t1 clean checks · t2 web drifts (opened) · t3 db drifts (opened) · t4 db accepted
 * (resolved, accepted) · t5 checks (web still drifting, db clean).
 */
async function history(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, env(), at(0));
  await run(repo, ['check'], 0, env(), at(1));
  repo.write('web/index.html', '<h1>hello</h1>\n');
  repo.write('web/site.conf', 'listen 8080;\n');
  await run(repo, ['check'], 2, env(), at(2));
  repo.write('db/pg.conf', 'max_connections=500\n');
  await run(repo, ['check'], 2, env(), at(3));
  await run(repo, ['accept', '--target', 'db', '--all', '--reason', 'bigger pool <approved> & "done"'], 0, env(), at(4));
  await run(repo, ['check'], 2, env(), at(5));
  receiver.received.length = 0;
}

const FILES = { 'web/index.html': '<h1>hi</h1>\n', 'web/site.conf': 'listen 80;\n', 'db/pg.conf': 'max_connections=100\n' };

test(
  'digest --dry-run --json: counts over the last 24h at a fixed clock; nothing sent, nothing written',
  inRepo(alertProject(CONFIG, FILES), async (repo) => {
    await history(repo);
    const tip = ledgerTip(repo);
    const { view, payloads, dryRun } = await runJson(repo, ['digest', '--dry-run'], 0, env(), at(6));
    assert.is(dryRun, true);
    assert.is(view.now, at(6));
    assert.is(view.since, at(-18));
    assert.is(view.title, 'Drift digest: last 24h');
    assert.equal(view.counts, { opened: 2, resolved: 1, open: 1, accepts: 1, checks: 8, drifted: 4 });
    assert.equal(view.opened.map((a: any) => [a.target, a.severity, a.changes]).sort(), [
      ['db', 'high', 1],
      ['web', 'high', 2],
    ]);
    assert.equal(view.resolved.map((a: any) => a.target), ['db']);
    assert.equal(view.open.map((a: any) => [a.target, a.openedAt]), [['web', at(2)]]);
    assert.equal(view.accepts.map((a: any) => [a.target, a.by, a.reason, a.changes]), [['db', 'Test Author <author@example.test>', 'bigger pool <approved> & "done"', 1]]);
    assert.equal(view.topChanges.map((c: any) => [c.target, c.key, c.severity]), [
      ['web', 'site.conf', 'high'],
      ['web', 'index.html', 'low'],
    ]);
    // Drift seen in the window, each entry once: web's site.conf and index.html, and db's pg.conf (accepted since).
    assert.equal(view.bySeverity, [
      { severity: 'high', count: 2 },
      { severity: 'low', count: 1 },
    ]);
    assert.equal(view.targets.map((t: any) => [t.name, t.status]), [
      ['web', 'drift'],
      ['db', 'clean'],
    ]);
    assert.equal(payloads.map((p: any) => [p.channel, p.kind, p.subject]), [
      ['slack', 'slack', 'digest'],
      ['hook', 'webhook', 'digest'],
    ]);
    const slack = assertSlackPayload(JSON.parse(payloads[0].body));
    assert.match(slack.text, /^Drift digest: last 24h: 2 opened, 1 open, 1 resolved$/);
    assert.is(receiver.received.length, 0);
    assert.is(ledgerTip(repo), tip);

    const human = await run(repo, ['digest', '--dry-run'], 0, env(), at(6));
    assert.match(human.stdout, /^--- slack channel "slack": digest\n\{\n {2}"text": "Drift digest: last 24h: 2 opened, 1 open, 1 resolved",/);
    assert.match(human.stdout, /\n--- webhook channel "hook": digest\n\{\n {2}"type": "driftctl.digest",/);
  }),
);

test(
  '--since narrows the window: older events are excluded; an empty window still shows what is open',
  inRepo(alertProject(CONFIG, FILES), async (repo) => {
    await history(repo);
    const counts = async (args: string[], hours: number): Promise<any> => (await runJson(repo, ['digest', '--dry-run', ...args], 0, env(), at(hours))).view.counts;
    // From t4 (inclusive): the accept and its resolution, the t5 checks.
    assert.equal(await counts(['--since', '2h'], 6), { opened: 0, resolved: 1, open: 1, accepts: 1, checks: 2, drifted: 1 });
    // From t4.5: only the t5 checks.
    assert.equal(await counts(['--since', '90m'], 6), { opened: 0, resolved: 0, open: 1, accepts: 0, checks: 2, drifted: 1 });
    // From t2.5: the db alert opened at t3, checks at t3 and t5.
    assert.equal(await counts(['--since', '210m'], 6), { opened: 1, resolved: 1, open: 1, accepts: 1, checks: 4, drifted: 3 });
    // A day later, the default 24h window holds nothing, but web's alert is still open.
    assert.equal(await counts([], 30), { opened: 0, resolved: 0, open: 1, accepts: 0, checks: 0, drifted: 0 });
    const view = (await runJson(repo, ['digest', '--dry-run', '--since', '7d'], 0, env(), at(30))).view;
    assert.is(view.title, 'Drift digest: last 7d');
    assert.equal(view.counts, { opened: 2, resolved: 1, open: 1, accepts: 1, checks: 8, drifted: 4 });
  }),
);

test(
  'digest --channel slack sends exactly one valid Slack payload; without --channel every channel gets one',
  inRepo(alertProject(CONFIG, FILES), async (repo) => {
    await history(repo);
    const sent = await runJson(repo, ['digest', '--channel', 'slack'], 0, env(), at(6));
    assert.equal(sent.deliveries.map((d: any) => [d.channel, d.status]), [['slack', 'delivered']]);
    assert.is(receiver.received.length, 1);
    assert.is(receiver.received[0].path, '/slack');
    const payload = assertSlackPayload(bodyJson(receiver.received[0]));
    assert.is(payload.text, 'Drift digest: last 24h: 2 opened, 1 open, 1 resolved');
    assert.equal(payload.blocks[0], { type: 'header', text: { type: 'plain_text', emoji: true, text: 'Drift digest: last 24h' } });
    assert.equal(payload.blocks[1].fields.map((f: any) => f.text), [
      '*Checks*\n8 (4 with drift)',
      '*Alerts opened*\n2',
      '*Still open*\n1',
      '*Resolved*\n1',
      '*Accepted baselines*\n1',
      '*By severity*\n🟠 2 🔵 1',
    ]);
    const text = slackTexts(payload);
    assert.match(text, /\*Open alerts\*\n🟠 `web\/files` 2 changes, open since 4 hours ago/);
    assert.match(text, /\*Most severe changes\*\n🟠 `web` `site\.conf` changed\n🔵 `web` `index\.html` changed/);
    assert.match(text, /`db` 1 change by Test Author &lt;author@example\.test&gt;: bigger pool &lt;approved&gt; &amp; "done"/);
    assert.equal(payload.blocks.at(-1), { type: 'context', elements: [{ type: 'mrkdwn', text: `since ${at(-18)} · driftctl ${TOOL_VERSION}` }] });

    receiver.received.length = 0;
    const all = await runJson(repo, ['digest'], 0, env(), at(6));
    assert.equal(all.deliveries.map((d: any) => d.channel).sort(), ['hook', 'slack']);
    assert.equal(receiver.received.map((r) => r.path).sort(), ['/hook', '/slack']);
    const hook = bodyJson(receiver.received.find((r) => r.path === '/hook')!);
    assert.is(hook.type, 'driftctl.digest');
    assert.equal(hook.counts, { opened: 2, resolved: 1, open: 1, accepts: 1, checks: 8, drifted: 4 });

    const unknown = await run(repo, ['digest', '--channel', 'teams', '--json'], 1, env(), at(6));
    assert.is(oneJson(unknown).error.code, 'UNKNOWN_CHANNEL');
    const badSince = await run(repo, ['digest', '--since', 'yesterday'], 1, env(), at(6));
    assert.match(badSince.stderr, /--since: "yesterday" is not a duration/);
  }),
);

test(
  'a digest that cannot be delivered waits in the outbox and goes out with the next run',
  inRepo(alertProject(CONFIG, FILES), async (repo) => {
    await history(repo);
    receiver.script({ status: 500 });
    const failed = await runJson(repo, ['digest', '--channel', 'slack'], 0, env(), at(6));
    assert.equal(failed.deliveries.map((d: any) => d.status), ['queued']);
    const list = await runJson(repo, ['alerts'], 0, env(), at(6));
    assert.equal(list.outbox.map((o: any) => [o.channel, o.subject]), [['slack', 'digest']]);
    const next = await runJson(repo, ['alert'], 0, env(), at(7));
    assert.equal(next.deliveries.map((d: any) => [d.channel, d.subject, d.status, d.retried]), [['slack', 'digest', 'delivered', true]]);
    assert.match(bodyJson(receiver.received[1]).text, /^Drift digest: last 24h/);
  }),
);

test(
  'digest counts the drift seen in its window by severity, also when every alert resolved since',
  inRepo(alertProject(CONFIG, FILES), async (repo) => {
    await history(repo);
    repo.write('web/index.html', '<h1>hi</h1>\n');
    repo.write('web/site.conf', 'listen 80;\n');
    await run(repo, ['check'], 0, env(), at(5.5));
    const { view } = await runJson(repo, ['digest', '--dry-run', '--channel', 'slack'], 0, env(), at(6));
    assert.equal(view.counts.open, 0);
    assert.equal(view.bySeverity, [
      { severity: 'high', count: 2 },
      { severity: 'low', count: 1 },
    ]);
    const human = await run(repo, ['digest', '--dry-run', '--channel', 'slack'], 0, env(), at(6));
    assert.match(human.stdout, /\*By severity\*\\n🟠 2 🔵 1/);
    assert.not.match(human.stdout, /By severity\*\\nnone/);
  }),
);

test.run();
