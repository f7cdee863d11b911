import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { alertConfig, alertProject, assertNoSecret, at, everythingStored, outboxFiles, run, T0 } from '../helpers/alerts.js';
import { inRepo, showJson } from '../helpers/e2e.js';
import { startReceiver, useReceiver } from '../helpers/http-receiver.js';
import { cli, type CliRun, type TempRepo } from '../helpers/repo.js';

/**
 * Secrets (the Slack webhook URL with its token path, the webhook URL and its signing key) never
 * reach the ledger (commit messages, any blob, the outbox), the file channel's logs, or anything
 * the CLI prints, whether delivery succeeds, is retried, fails, times out or is misconfigured.
 */

/** Slack and the webhook have a receiver each, so their scripted answers do not depend on request order. */
const receiver = useReceiver(test);
const hooks = useReceiver(test);

const TOKEN_PATH = '/services/T0SECRETTEAM/B0SECRETBOT/xoxbSeCrEtToKeN1234567890';
const HOOK_PATH = '/hooks/wh-SECRETPATH-987654';
const SIGNING_KEY = 'whsec_SIGNINGKEY_a1b2c3d4e5';

const CONFIG = alertConfig(`channels:
  - name: slack
    kind: slack
    webhook_env: SLACK_URL
    timeout: 500ms
    retries: 1
  - name: hook
    kind: webhook
    url_env: HOOK_URL
    secret_env: HOOK_SECRET
    timeout: 500ms
    retries: 0
  - name: log
    kind: file
    path: logs/alerts.jsonl
    text_path: logs/alerts.log`);

function secretsFor(slackBase: string, hookBase: string): string[] {
  return [`${slackBase}${TOKEN_PATH}`, TOKEN_PATH, 'T0SECRETTEAM', 'xoxbSeCrEtToKeN1234567890', `${hookBase}${HOOK_PATH}`, 'wh-SECRETPATH-987654', SIGNING_KEY];
}

test(
  'the Slack URL, webhook URL and signing key never appear in the ledger, the logs or the CLI output (delivered, failed, retried)',
  inRepo(alertProject(CONFIG), async (repo: TempRepo) => {
    const outputs: CliRun[] = [];
    const env = (slackBase = receiver.url, hookBase = hooks.url): Record<string, string> => ({ SLACK_URL: `${slackBase}${TOKEN_PATH}`, HOOK_URL: `${hookBase}${HOOK_PATH}`, HOOK_SECRET: SIGNING_KEY });
    const go = async (args: string[], code: number, hours: number, e = env()): Promise<CliRun> => {
      const t = Date.now();
      const result = await run(repo, args, code, e, at(hours));
      if (process.env.E2E_TIMING) process.stderr.write(`    ${args.join(' ')}: ${Date.now() - t} ms\n`);
      outputs.push(result);
      return result;
    };
    await go(['init'], 0, 0);
    await go(['check'], 0, 1);

    // Opened: Slack fails twice (5xx, retries exhausted), the webhook is rejected (401): both queued.
    repo.write('config/models.yaml', 'models: {}\n');
    receiver.script({ status: 500, body: `upstream error for ${TOKEN_PATH}` }, { status: 503 });
    hooks.script({ status: 401, body: 'bad signature' });
    await go(['check'], 2, 2);
    assert.is(outboxFiles(repo).length, 2);
    // Receivers that echo the request path in their error pages (Express: "Cannot POST /path").
    receiver.script({ status: 500 }, { status: 502, body: `<pre>Cannot POST ${TOKEN_PATH}</pre>` });
    hooks.script({ status: 404, body: `Cannot POST ${HOOK_PATH}?x=1 (wh-SECRETPATH-987654)` });
    await go(['check', '--json'], 2, 2.1);
    const lastErrors = outboxFiles(repo).map((f) => showJson(repo, f).lastError as string).sort();
    assert.equal(lastErrors, [
      'slack channel "slack": HTTP 502 (<pre>Cannot POST [redacted]</pre>) (2 attempts)',
      'webhook channel "hook": HTTP 404 (Cannot POST [redacted]?x=1 ([redacted])), rejected (not retried in this run)',
    ]);
    assert.is(outboxFiles(repo).length, 2);
    await go(['alerts'], 0, 2.2);
    await go(['alerts', '--json'], 0, 2.2);
    await go(['alert', '--dry-run'], 0, 2.3);
    await go(['alert', '--dry-run', '--json'], 0, 2.3);
    await go(['status'], 0, 2.3);
    await go(['log'], 0, 2.3);
    await go(['digest', '--dry-run'], 0, 2.3);

    // Timeouts, refused connections, misconfigured URLs: still no secret in any message.
    receiver.script('hang', 'hang');
    hooks.script('hang');
    await go(['alert', '--json'], 0, 3);
    const dead = await startReceiver();
    await dead.close();
    await go(['alert'], 0, 3.5, env(dead.url, dead.url));
    // Malformed URLs are config errors at load, naming the field and the variable, not the value.
    await go(['alert', '--json', '--debug'], 1, 3.6, { SLACK_URL: `ftp://user:${SIGNING_KEY}@example.test${TOKEN_PATH}`, HOOK_URL: `gopher://x${HOOK_PATH}`, HOOK_SECRET: SIGNING_KEY });
    await go(['alert'], 1, 3.7, { SLACK_URL: `http://[::1${TOKEN_PATH}`, HOOK_URL: `http://${HOOK_PATH}`, HOOK_SECRET: SIGNING_KEY });
    assert.is(outboxFiles(repo).length, 2, 'still waiting');

    // Delivered at last, then an update, a digest and a resolution, all delivered.
    await go(['alert'], 0, 4);
    assert.equal(outboxFiles(repo), []);
    repo.write('prompts/system.txt', 'x\n');
    await go(['check'], 2, 5);
    await go(['digest', '--channel', 'slack', '--json'], 0, 5.5);
    await go(['accept', '--all', '--reason', `approved (not ${TOKEN_PATH.slice(0, 3)})`], 0, 6);
    await go(['check', '--debug'], 0, 7);

    const secrets = [...secretsFor(receiver.url, hooks.url), ...secretsFor(dead.url, dead.url)];
    const slackRequests = receiver.received.filter((r) => r.path === TOKEN_PATH);
    const hookRequests = hooks.received.filter((r) => r.path === HOOK_PATH);
    assert.ok(slackRequests.length >= 4 && hookRequests.length >= 3, `deliveries happened: ${slackRequests.length} slack, ${hookRequests.length} hook`);
    for (const [i, o] of outputs.entries()) {
      assertNoSecret(o.stdout, secrets, `stdout of command ${i}`);
      assertNoSecret(o.stderr, secrets, `stderr of command ${i}`);
    }
    const failures = outputs.map((o) => o.stdout + o.stderr).join('\n');
    assert.match(failures, /HTTP 503 \(2 attempts\)/, 'failures are still explained');
    assert.match(failures, /HTTP 401 \(bad signature\), rejected \(not retried in this run\)/);
    assert.match(failures, /timed out after 500 ms/);
    assert.match(failures, /connection refused/);
    assert.match(failures, /webhook_env: the environment variable SLACK_URL \(channel "slack"\) is not an http\(s\) URL \(it starts with ftp:\)/);
    assert.match(failures, /webhook_env: the environment variable SLACK_URL \(channel "slack"\) is not a valid URL/);

    const stored = everythingStored(repo);
    assert.ok(stored.includes('Drift-Kind: outbox') && /"kind":\s*"outbox"/.test(stored), 'the dump covers outbox commits and blobs');
    assertNoSecret(stored, secrets, 'the ledger repository (git log -p, every object, refs, .git files)');
    for (const file of ['logs/alerts.jsonl', 'logs/alerts.log']) {
      assert.ok(existsSync(path.join(repo.dir, file)), file);
      assertNoSecret(readFileSync(path.join(repo.dir, file), 'utf8'), secrets, file);
    }
    // The signing key is never sent either, only the signature.
    for (const r of [...receiver.received, ...hooks.received]) assertNoSecret(JSON.stringify(r.headers) + r.body, [SIGNING_KEY], `request to ${r.path}`);
  }),
);

test(
  'a whole-command failure (for example an unknown --channel) does not print the URLs either',
  inRepo(alertProject(CONFIG), async (repo) => {
    const env = { SLACK_URL: `${receiver.url}${TOKEN_PATH}`, HOOK_URL: `${hooks.url}${HOOK_PATH}`, HOOK_SECRET: SIGNING_KEY, DRIFTCTL_NOW: T0 };
    await cli(repo.dir, ['init'], env);
    for (const args of [['digest', '--channel', 'nope', '--debug'], ['digest', '--since', 'soon'], ['check', '--target', 'nope', '--json'], ['bogus']]) {
      const result = await cli(repo.dir, args, env);
      assert.is(result.code, 1, args.join(' '));
      assertNoSecret(result.stdout + result.stderr, secretsFor(receiver.url, hooks.url), args.join(' '));
    }
    assert.is(receiver.received.length + hooks.received.length, 0);
  }),
);

test.run();
