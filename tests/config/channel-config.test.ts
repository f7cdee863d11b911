import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

/** The email, sms and pagerduty channel blocks: defaults, and one clear line per mistake. */

const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-channel-config-'));
const file = path.join(dir, 'driftctl.yml');
writeFileSync(path.join(dir, 'ca.pem'), 'not checked at load\n');

const config = (channels: string, digest = ''): string => `version: 1\nsources:\n  - kind: files\n    watch: ["**/*"]\nalerts:\n  channels:\n${channels}${digest}`;

function issuesOf(text: string): { file: string; path: string; message: string }[] {
  try {
    parseConfig(text, file);
  } catch (error) {
    assert.instance(error, ConfigError);
    return (error as ConfigError).issues;
  }
  assert.unreachable('config was accepted');
  return [];
}

test('email: port follows tls (587 starttls by default, 465 implicit, 25 none), to/cc lists, ca resolved against the config folder', () => {
  const channels = parseConfig(
    config(`    - { name: a, kind: email, host: smtp.example.com, from: "Drift <drift@example.com>", to: ops@example.com }
    - { name: b, kind: email, host: smtp.example.com, tls: implicit, from: drift@example.com, to: [a@example.com, b@example.com], cc: c@example.com, user_env: SMTP_USER, password_env: SMTP_PASSWORD, ca: ca.pem }
    - { name: c, kind: email, host: localhost, tls: none, from: drift@localhost, to: root@localhost }
    - { name: d, kind: email, host: smtp.example.com, port: 465, from: drift@example.com, to: ops@example.com }
`),
    file,
  ).alerts.channels;
  assert.equal(channels[0].email, { host: 'smtp.example.com', port: 587, tls: 'starttls', from: 'Drift <drift@example.com>', to: ['ops@example.com'], cc: [] });
  assert.equal(channels[1].email, {
    host: 'smtp.example.com',
    port: 465,
    tls: 'implicit',
    userEnv: 'SMTP_USER',
    passwordEnv: 'SMTP_PASSWORD',
    ca: path.join(dir, 'ca.pem'),
    from: 'drift@example.com',
    to: ['a@example.com', 'b@example.com'],
    cc: ['c@example.com'],
  });
  assert.equal([channels[2].email?.port, channels[2].email?.tls], [25, 'none']);
  assert.equal([channels[3].email?.port, channels[3].email?.tls], [465, 'implicit'], 'port 465 means implicit TLS');
  assert.is(channels[0].minSeverity, 'info');
});

test('sms: Twilio by default, max_segments 2, min_severity high; pagerduty: the Events API v2 endpoint', () => {
  const [sms, pd] = parseConfig(
    config(`    - { name: text, kind: sms, account_sid_env: TWILIO_SID, auth_token_env: TWILIO_TOKEN, from: "+15550001111", to: ["+15550002222", "+4915112345678"] }
    - { name: page, kind: pagerduty, routing_key_env: PD_KEY }
`),
    file,
  ).alerts.channels;
  assert.equal(sms.sms, { apiUrl: 'https://api.twilio.com', accountSidEnv: 'TWILIO_SID', authTokenEnv: 'TWILIO_TOKEN', from: '+15550001111', to: ['+15550002222', '+4915112345678'], maxSegments: 2 });
  assert.is(sms.minSeverity, 'high');
  assert.equal(pd.pagerduty, { apiUrl: 'https://events.pagerduty.com/v2/enqueue', routingKeyEnv: 'PD_KEY' });
  assert.is(pd.minSeverity, 'info');
});

test('mistakes are named with their field: addresses, half a login, missing CA, phone numbers, required env names, digests to pagers', () => {
  const issues = issuesOf(
    config(
      `    - { name: mail, kind: email, host: smtp.example.com, from: "drift", to: [ops@example.com, "ops at example"], user_env: SMTP_USER, ca: missing.pem }
    - { name: text, kind: sms, account_sid_env: SID, auth_token_env: TOKEN, from: "+15550001111", to: "5550002222" }
`,
      '',
    ),
  );
  const lines = issues.map((i) => `${i.path}: ${i.message}`);
  assert.ok(lines.includes('alerts.channels[1].to: "5550002222" is not a phone number in E.164 form (write a plus, the country code and the number, e.g. +15551234567)'), lines.join('\n'));
  const semantic = issuesOf(
    config(`    - { name: mail, kind: email, host: smtp.example.com, from: "drift", to: [ops@example.com, "ops at example"], user_env: SMTP_USER, ca: missing.pem }
    - { name: page, kind: pagerduty, routing_key_env: PD_KEY }
    - { name: text, kind: sms, account_sid_env: SID, auth_token_env: TOKEN, from: "+15550001111", to: "+15550002222" }
`, `  digest:\n    channels: [mail, page, text]\n`),
  ).map((i) => `${i.path}: ${i.message}`);
  assert.equal(semantic, [
    'alerts.channels[0].from: "drift" is not an email address (write name@example.com or "Name <name@example.com>")',
    'alerts.channels[0].to[1]: "ops at example" is not an email address (write name@example.com or "Name <name@example.com>")',
    'alerts.channels[0].user_env: SMTP authentication needs both user_env and password_env (or neither, for a server without authentication)',
    `alerts.channels[0].ca: file ${path.join(dir, 'missing.pem')} does not exist (give the PEM file of the CA that signed the SMTP server's certificate)`,
    'alerts.digest.channels[1]: channel "page" is of kind pagerduty, which takes alerts but no digests (list console, file, slack, webhook or email channels)',
    'alerts.digest.channels[2]: channel "text" is of kind sms, which takes alerts but no digests (list console, file, slack, webhook or email channels)',
  ]);
  const required = issuesOf(config(`    - { kind: pagerduty }\n    - { kind: sms, from: x, to: "+15550002222" }\n    - { kind: email, host: h, to: a@b.c }\n`)).map((i) => `${i.path}: ${i.message}`);
  assert.ok(required.some((l) => /routing_key_env/.test(l)), required.join('\n'));
  assert.ok(required.some((l) => /account_sid_env/.test(l)), required.join('\n'));
  assert.ok(required.some((l) => /from/.test(l)), required.join('\n'));
  assert.ok(issuesOf(config(`    - { kind: pagerduty, routing_key_env: K, api_url: "ftp://x" }\n`)).length === 1);
  assert.equal(issuesOf(config(`    - { kind: email, host: smtp.example.com, tls: none, user_env: U, password_env: P, from: a@b.c, to: a@b.c }\n`)).map((i) => `${i.path}: ${i.message}`), [
    'alerts.channels[0].tls: none would send the SMTP password unencrypted over the network (use starttls or implicit; tls: none with a login is for a relay on this machine only)',
  ]);
  parseConfig(config(`    - { kind: email, host: 127.0.0.1, tls: none, user_env: U, password_env: P, from: a@b.c, to: a@b.c }\n`), file);
  assert.ok(issuesOf(config(`    - { kind: sms, account_sid_env: A, auth_token_env: B, from: x, to: "+15550002222", max_segments: 0 }\n`)).length === 1);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
