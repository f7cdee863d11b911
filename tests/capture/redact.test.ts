import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCapturePolicy, looksLikeSecretName } from '../../src/capture/capture.js';
import { textOf } from '../../src/drift/content-diff.js';
import { compileRedaction, marker, redact } from '../../src/capture/redact.js';

/** Redaction of captured text: built-in credential shapes, user patterns, markers that keep the line and tell a change. */

test('built-in patterns replace the secret only, keeping the rest of the line', () => {
  const text = [
    'password: hunter2',
    'DB_PASSWORD="p@ss word"',
    "api_key = 'k-123456'",
    '"client_secret": "abc.def"',
    'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    'token: ghp_' + 'a'.repeat(36),
    'slack: xoxb-1234567890-abcdefghij',
    'hook: https://hooks.slack.com/services/T000/B000/XXXXXXXX',
    'url: postgres://app:s3cret@db:5432/app',
    'max_tokens: 4096',
    'password: ${DB_PASSWORD}',
    'name: service',
  ].join('\n');
  const { text: out, count } = redact(text);
  const lines = out.split('\n');
  assert.is(count, 9);
  assert.is(lines[0], `password: ${marker('assignment', 'hunter2')}`);
  assert.is(lines[1], `DB_PASSWORD="${marker('assignment', 'p@ss word')}"`);
  assert.is(lines[2], `api_key = '${marker('assignment', 'k-123456')}'`);
  assert.is(lines[3], `"client_secret": "${marker('assignment', 'abc.def')}"`);
  assert.match(lines[4], /^aws_access_key_id = \[REDACTED:(aws-access-key|assignment):[0-9a-f]{8}\]$/);
  assert.match(lines[5], /^token: \[REDACTED:(github-token|assignment):[0-9a-f]{8}\]$/);
  assert.is(lines[6], `slack: ${marker('slack-token', 'xoxb-1234567890-abcdefghij')}`);
  assert.is(lines[7], `hook: ${marker('slack-webhook', 'https://hooks.slack.com/services/T000/B000/XXXXXXXX')}`);
  assert.is(lines[8], `url: postgres://app:${marker('url-password', 's3cret')}@db:5432/app`);
  assert.equal(lines.slice(9), ['max_tokens: 4096', 'password: ${DB_PASSWORD}', 'name: service'], 'numbers, references and plain fields stay');
  for (const secret of ['hunter2', 'p@ss word', 'k-123456', 'abc.def', 'AKIAIOSFODNN7EXAMPLE', 'xoxb-1234567890', 's3cret', 'XXXXXXXX']) assert.not.ok(out.includes(secret), secret);
});

test('a private key block keeps its BEGIN and END lines; a changed secret changes its marker', () => {
  const key = (body: string): string => `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
  const a = redact(key('AAAA\nBBBB'));
  const b = redact(key('AAAA\nCCCC'));
  assert.is(a.count, 1);
  assert.match(a.text, /^-----BEGIN OPENSSH PRIVATE KEY-----\n\[REDACTED:private-key:[0-9a-f]{8}\]\n-----END OPENSSH PRIVATE KEY-----\n$/);
  assert.is.not(a.text, b.text, 'a changed key still shows as a change');
  assert.is(redact('password: same').text, redact('password: same').text, 'the marker is stable');
});

test('user patterns: the group named secret, else group 1, else the whole match', () => {
  const patterns = [compileRedaction('internal-(?<secret>[0-9a-f]{8})'), compileRedaction('pin=(\\d+)'), compileRedaction('TOPSECRET')];
  const { text, count } = redact('id internal-deadbeef pin=1234 TOPSECRET\n', patterns);
  assert.is(count, 3);
  assert.is(text, `id internal-${marker('pattern', 'deadbeef')} pin=${marker('pattern', '1234')} ${marker('pattern', 'TOPSECRET')}\n`);
});

test('capture policy: listed globs, secret names unless named explicitly, size and binary', () => {
  const policy = createCapturePolicy({ globs: ['prompts/**', 'config/**', 'config/.env'], maxBytes: 16, redact: [] });
  assert.equal(policy.decide('prompts/a.txt', 5), { capture: true });
  assert.equal(policy.decide('src/a.py', 5), { capture: false, reason: 'not-listed' });
  assert.equal(policy.decide('config/server.key', 5), { capture: false, reason: 'secret-name' });
  assert.equal(policy.decide('config/.env', 5), { capture: true }, 'named without wildcards: explicit');
  assert.equal(policy.decide('prompts/a.txt', 17), { capture: false, reason: 'oversize' });
  assert.equal(policy.capture(Buffer.from([1, 0, 2])), { reason: 'binary' });
  assert.equal(policy.capture(Buffer.from([0xff, 0xfe, 0x41])), { reason: 'binary' }, 'not UTF-8');
  const kept = policy.capture(Buffer.from('password: x1\n'));
  assert.ok('oid' in kept && kept.redacted === 1 && !kept.bytes.toString().includes('x1'));
  for (const name of ['.env', '.env.production', 'a/b/id_ed25519', 'tls.pem', 'server.key']) assert.ok(looksLikeSecretName(name), name);
  for (const name of ['env.md', 'keys.txt', 'prompts/identity.txt']) assert.not.ok(looksLikeSecretName(name), name);
  assert.is(textOf(Buffer.from('héllo')), 'héllo');
});

test.run();
