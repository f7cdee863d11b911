import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, alertsState, assertSlackPayload, at, bodyJson, run, runJson, slackTexts } from '../helpers/alerts.js';
import { inRepo } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';

/**
 * Resolutions reach the channels that heard an alert open, whatever its severity became, and say
 * what was resolved and why: through the CLI, with Slack and a webhook on a loopback receiver.
 */

const receiver = useReceiver(test);

const CONFIG = alertConfig(
  `channels:
  - { name: ops-slack, kind: slack, webhook_env: SLACK_URL, min_severity: high, timeout: 2s, retries: 0 }
  - { name: hook, kind: webhook, url_env: HOOK_URL, timeout: 2s, retries: 0 }`,
  {
    watch: '["config/**", "docs/**"]',
    severity: 'severity:\n  default: low\n  rules:\n    - match: "config/**"\n      severity: high\n',
  },
);
const FILES = { 'config/app.yaml': 'replicas: 2\n', 'docs/guide.txt': 'Read me.\n' };
const env = (): Record<string, string> => ({ SLACK_URL: `${receiver.url}/slack`, HOOK_URL: `${receiver.url}/hook` });
const slackBodies = (): any[] => receiver.received.filter((r) => r.path === '/slack').map((r) => assertSlackPayload(bodyJson(r)));
const hookBodies = (): any[] => receiver.received.filter((r) => r.path === '/hook').map(bodyJson);

test(
  'a min_severity: high channel that heard "opened … high" hears the drop below its threshold and the resolution, which lists what was open and says it was reverted',
  inRepo(alertProject(CONFIG, FILES), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('config/app.yaml', 'replicas: 5\n');
    repo.write('docs/guide.txt', 'Read me twice.\n');
    await run(repo, ['check'], 2, env(), at(2));
    assert.is(slackBodies().length, 1);
    assert.match(slackBodies()[0].text, /Drift detected: default \(files\): 2 changes, highest high/);

    repo.write('config/app.yaml', 'replicas: 2\n');
    const dropped = await runJson(repo, ['check'], 2, env(), at(3));
    assert.is(dropped.alerts[0].updated, 1);
    assert.is(slackBodies().length, 2, 'told once that the alert fell below its threshold');
    assert.match(slackBodies()[1].text, /Drift changed: default \(files\): 1 change, highest low/);
    assert.equal(alertsState(repo).open[Object.keys(alertsState(repo).open)[0]].notifiedChannels, { hook: 'low', 'ops-slack': 'low' });

    repo.write('docs/guide.txt', 'Read me.\n');
    const resolved = await runJson(repo, ['check'], 0, env(), at(4));
    assert.is(resolved.alerts[0].resolved, 1);
    const slack = slackBodies();
    assert.is(slack.length, 3, 'the channel that heard it open hears it resolve');
    assert.match(slack[2].text, /✅ Drift resolved: default \(files\): 1 change \(highest low\) reverted: back to the baseline$/);
    const texts = slackTexts(slack[2]);
    assert.match(texts, /\*Resolved\*\n1 change reverted: back to the baseline/);
    assert.match(texts, /`docs\/guide\.txt` changed/);
    assert.not.match(texts, /Changes\*\n0 \(0 added/);
    const hook = hookBodies().at(-1);
    assert.is(hook.event, 'resolved');
    assert.equal(hook.changes.map((c: any) => [c.key, c.severity]), [['docs/guide.txt', 'low']]);
    assert.equal(hook.resolution, { reason: 'drift-gone', text: 'reverted: back to the baseline' });
    const event = alertRecords(repo).at(-1);
    assert.equal([event.event, event.summary.total, event.notified], ['resolved', 1, ['ops-slack', 'hook']]);
    assert.equal(event.changes.map((c: any) => c.key), ['docs/guide.txt']);

    // Low drift alone never reaches the high channel, not even its resolution.
    repo.write('docs/guide.txt', 'Read me thrice.\n');
    await run(repo, ['check'], 2, env(), at(5));
    repo.write('docs/guide.txt', 'Read me.\n');
    await run(repo, ['check'], 0, env(), at(6));
    assert.is(slackBodies().length, 3);
    assert.is(hookBodies().length, 5);
  }),
);

test(
  'an accepted alert resolves in every channel that heard it, listing the accepted keys and severities and saying they were accepted',
  inRepo(alertProject(CONFIG, FILES), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    await run(repo, ['check'], 0, env(), at(1));
    repo.write('config/app.yaml', 'replicas: 5\n');
    repo.write('docs/guide.txt', 'Read me twice.\n');
    await run(repo, ['check'], 2, env(), at(2));
    await run(repo, ['accept', '--all', '--reason', 'scale-up approved'], 0, env(), at(3));
    const slack = slackBodies();
    assert.is(slack.length, 2);
    assert.match(slack[1].text, /^✅ Drift resolved: default \(files\): 2 changes \(highest high\) accepted as the new baseline$/);
    assert.match(slackTexts(slack[1]), /`config\/app\.yaml` changed/);
    const hook = hookBodies().at(-1);
    assert.equal(hook.changes.map((c: any) => [c.key, c.severity]), [['config/app.yaml', 'high'], ['docs/guide.txt', 'low']]);
    assert.is(hook.resolution.reason, 'accepted');
    assert.equal(hook.summary.bySeverity, [{ severity: 'high', count: 1 }, { severity: 'low', count: 1 }]);
  }),
);

test.run();
