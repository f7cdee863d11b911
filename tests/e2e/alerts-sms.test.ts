import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, assertNoSecret, at, everythingStored, outboxFiles, run, runJson } from '../helpers/alerts.js';
import { inRepo, showJson } from '../helpers/e2e.js';
import { startSmsApi, type SmsApi } from '../helpers/sms-api.js';
import type { CliRun, TempRepo } from '../helpers/repo.js';

/**
 * The sms channel against a loopback stand-in for a Twilio-compatible Messages API that checks
 * the route, basic auth and form encoding: one message per recipient, only for alerts at or above
 * min_severity (default high), cut with "…" to max_segments, credentials only from the environment.
 */

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'authTOKEN-5ecret-9876543210';
let api: SmsApi;
test.before(async () => {
  api = await startSmsApi({ accountSid: SID, authToken: TOKEN });
});
test.after(async () => {
  await api.close();
});
test.before.each(() => {
  api.messages.length = 0;
  api.requests.length = 0;
  api.failNext();
});

const channel = (extra = ''): string => `channels:
  - name: text
    kind: sms
    api_url: API_URL
    account_sid_env: SMS_SID
    auth_token_env: SMS_TOKEN
    from: "+15550001111"
    to: ["+15550002222", "+4915112345678"]
    timeout: 2s
    retries: 1${extra}`;
const env = (token = TOKEN): Record<string, string> => ({ SMS_SID: SID, SMS_TOKEN: token });

async function initialised(repo: TempRepo, alertsYaml: string): Promise<void> {
  repo.write('driftctl.yml', alertConfig(alertsYaml.replace('API_URL', api.url)));
  await run(repo, ['init'], 0, env(), at(0));
  await run(repo, ['check'], 0, env(), at(1));
}

test(
  'one form-encoded POST with basic auth per recipient, only at or above min_severity (default high), and the resolution',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    await initialised(repo, channel());
    repo.write('prompts/system.txt', 'You are terse.\n');
    const medium = await runJson(repo, ['check'], 2, env(), at(2));
    assert.is(medium.alerts[0].opened, 1);
    assert.equal(medium.deliveries, [], 'a medium alert sends no text');
    assert.is(api.requests.length, 0);
    assert.equal(alertRecords(repo)[0].notified, []);

    repo.write('config/models.yaml', 'models: {}\n');
    const high = await runJson(repo, ['check'], 2, env(), at(3));
    const alertId = alertRecords(repo)[0].alert;
    assert.equal(high.deliveries.map((d: any) => [d.subject, d.status]), [
      [`updated ${alertId} to +15550002222`, 'delivered'],
      [`updated ${alertId} to +4915112345678`, 'delivered'],
    ]);
    assert.is(api.requests.length, 2);
    const text = 'HIGH Drift changed: default (files): 2 changes, changed config/models.yaml, changed prompts/system.txt';
    assert.equal(api.messages, [
      { accountSid: SID, to: '+15550002222', from: '+15550001111', body: text },
      { accountSid: SID, to: '+4915112345678', from: '+15550001111', body: text },
    ]);
    const request = api.requests[0];
    assert.is(request.path, `/2010-04-01/Accounts/${SID}/Messages.json`);
    assert.is(request.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
    assert.match(String(request.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.is(request.body, 'To=%2B15550002222&From=%2B15550001111&Body=HIGH+Drift+changed%3A+default+%28files%29%3A+2+changes%2C+changed+config%2Fmodels.yaml%2C+changed+prompts%2Fsystem.txt');

    await runJson(repo, ['accept', '--all', '--reason', 'ok'], 0, env(), at(4));
    assert.equal(api.messages.slice(2).map((m) => [m.to, m.body]), [
      ['+15550002222', 'Drift resolved: default (files): 2 changes (highest high) accepted as the new baseline'],
      ['+4915112345678', 'Drift resolved: default (files): 2 changes (highest high) accepted as the new baseline'],
    ]);
  }),
);

test(
  'segments: a long text is cut with "…" at max_segments and --dry-run says how many segments and which encoding',
  inRepo(
    alertProject('version: 1\n', {
      'tpl/sms.hbs': '{{severityLabel alert.severity}} {{title}}:{{#each changes}} {{printable key}}{{/each}}\n',
      'config/a-rather-long-file-name-number-one.yaml': 'a\n',
      'config/a-rather-long-file-name-number-two.yaml': 'a\n',
      'config/a-rather-long-file-name-number-three.yaml': 'a\n',
      'config/a-rather-long-file-name-number-four.yaml': 'a\n',
    }),
    async (repo) => {
      await initialised(repo, `templates: tpl\n${channel('\n    max_segments: 1\n    min_severity: medium')}`);
      for (const n of ['one', 'two', 'three', 'four']) repo.write(`config/a-rather-long-file-name-number-${n}.yaml`, 'b\n');
      await run(repo, ['check', '--no-alert'], 2, env(), at(2));
      const dry = await run(repo, ['alert', '--dry-run'], 0, env(), at(2.5));
      assert.match(dry.stdout, /--- sms channel "text": opened \S+ to \+15550002222\nPOST http:\/\/127\.0\.0\.1:\d+\/2010-04-01\/Accounts\/\{account SID\}\/Messages\.json \(form-encoded\)\n/);
      assert.match(dry.stdout, /basic auth: account SID \*{6} \(from \$SMS_SID, set\), auth token \*{6} \(from \$SMS_TOKEN, set\)/);
      assert.match(dry.stdout, /Body \(1 segment, UCS-2, cut at max_segments 1, 70 characters\):\nHIGH Drift detected: default \(files\): config\/a-rather-long-file-name-…\n/);
      assertNoSecret(dry.stdout + dry.stderr, [SID, TOKEN], 'alert --dry-run');
      assert.is(api.requests.length, 0, '--dry-run sends nothing');

      await runJson(repo, ['alert'], 0, env(), at(3));
      assert.is(api.messages.length, 2);
      const body = api.messages[0].body;
      assert.ok(body.endsWith('…'), body);
      assert.is(body.length, 70, 'one UCS-2 segment');
      assert.is(body, 'HIGH Drift detected: default (files): config/a-rather-long-file-name-…');

      // Two segments of GSM-7 text go out whole; a character outside GSM-7 makes it UCS-2.
      repo.write('driftctl.yml', alertConfig(`templates: tpl\n${channel('\n    max_segments: 2\n    min_severity: medium')}`.replace('API_URL', api.url)));
      repo.write('prompts/ünïcode-привет.txt', 'x\n');
      await run(repo, ['check', '--no-alert'], 2, env(), at(4));
      const dry2 = await runJson(repo, ['alert', '--dry-run'], 0, env(), at(4.5));
      const preview = dry2.payloads[0].preview as string;
      assert.match(preview, /Body \(2 segments, UCS-2, cut at max_segments 2, 134 characters\)/);
      repo.write('tpl/sms.hbs', '{{severityLabel alert.severity}} {{title}}: {{plural summary.total "change"}}\n');
      const dry3 = await runJson(repo, ['alert', '--dry-run'], 0, env(), at(4.6));
      assert.match(dry3.payloads[0].preview, /Body \(1 segment, GSM-7, 46 characters\):\nHIGH Drift changed: default \(files\): 5 changes$/);
      // Within max_segments nothing is cut, however many segments it takes.
      repo.write('driftctl.yml', alertConfig(`templates: tpl\n${channel('\n    max_segments: 6\n    min_severity: medium')}`.replace('API_URL', api.url)));
      repo.write('tpl/sms.hbs', '{{title}}:{{#each changes}} {{printable key}}{{/each}}\n');
      const dry4 = await runJson(repo, ['alert', '--dry-run'], 0, env(), at(4.7));
      const text = 'Drift changed: default (files): config/a-rather-long-file-name-number-four.yaml config/a-rather-long-file-name-number-one.yaml config/a-rather-long-file-name-number-three.yaml config/a-rather-long-file-name-number-two.yaml prompts/ünïcode-привет.txt';
      assert.is(text.length, 249);
      assert.ok(dry4.payloads[0].preview.endsWith(`Body (4 segments, UCS-2, 249 characters):\n${text}`), dry4.payloads[0].preview);
    },
  ),
);

test(
  'a wrong token (401, not retried) is kept in the outbox and delivered once the token is right; SID and token never stored or printed',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    const outputs: CliRun[] = [];
    await initialised(repo, channel('\n    to: "+15550002222"').replace('    to: ["+15550002222", "+4915112345678"]\n', ''));
    repo.write('config/models.yaml', 'models: {}\n');
    const refused = await run(repo, ['check', '--json'], 2, env('wrong-token-123'), at(2));
    outputs.push(refused);
    const delivery = JSON.parse(refused.stdout).deliveries[0];
    assert.is(delivery.status, 'queued');
    assert.match(delivery.error, /^sms channel "text": HTTP 401 \(.*Authenticate.*\), rejected \(not retried in this run\)$/);
    assert.is(api.requests.length, 1);
    const entry = showJson(repo, outboxFiles(repo)[0]);
    assert.is(entry.channelKind, 'sms');
    assert.equal(JSON.parse(entry.body), { from: '+15550001111', to: '+15550002222', text: 'HIGH Drift detected: default (files): 1 change, changed config/models.yaml', encoding: 'GSM-7', segments: 1, cut: false });

    outputs.push(await run(repo, ['alert'], 0, { SMS_SID: SID }, at(3)));
    assert.match(outputs[1].stdout, /environment variable SMS_TOKEN is not set/);
    api.failNext(500);
    const delivered = await run(repo, ['alert', '--json'], 0, env(), at(4));
    outputs.push(delivered);
    assert.equal(JSON.parse(delivered.stdout).deliveries.map((d: any) => [d.status, d.retried]), [['delivered', true]]);
    assert.is(api.messages.length, 1, 'the 500 was retried');
    assert.equal(outboxFiles(repo), []);
    for (const [i, o] of outputs.entries()) assertNoSecret(o.stdout + o.stderr, [SID, TOKEN, 'wrong-token-123'], `output of command ${i}`);
    assertNoSecret(everythingStored(repo), [SID, TOKEN, 'wrong-token-123'], 'the ledger repository');
  }),
);

test.run();
