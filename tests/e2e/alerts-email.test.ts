import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, assertNoSecret, at, everythingStored, outboxFiles, run, runJson } from '../helpers/alerts.js';
import { inRepo, showJson } from '../helpers/e2e.js';
import { selfSignedCertificate, startMailServer, type MailServer, type RecordedMail } from '../helpers/smtp-server.js';
import type { CliRun, TempRepo } from '../helpers/repo.js';

/**
 * The email channel against real SMTP servers on loopback (smtp-server): multipart text + HTML
 * messages per transition and for the digest, threaded by Message-ID / In-Reply-To / References
 * derived from the alert fingerprint; logins from the environment; a server refusing the login,
 * one that is down (outbox), STARTTLS and implicit TLS with a self-signed certificate (`ca`).
 */

const USER = 'drift-mailer';
const PASSWORD = 'pA55w0rd-SMTP-secret';
const env = (pass = PASSWORD): Record<string, string> => ({ SMTP_USER: USER, SMTP_PASSWORD: pass });

const emailChannel = (port: number, extra = ''): string => `channels:
  - name: mail
    kind: email
    host: 127.0.0.1
    port: ${port}
    from: "driftctl <drift@alerts.example.test>"
    to: [ops@example.test, sre@example.test]
    cc: lead@example.test
    timeout: 3s
    retries: 1${extra}`;
const LOGIN = '\n    user_env: SMTP_USER\n    password_env: SMTP_PASSWORD';
const PLAIN = '\n    tls: none';

const servers: MailServer[] = [];
async function server(options: Parameters<typeof startMailServer>[0] = {}): Promise<MailServer> {
  const s = await startMailServer(options);
  servers.push(s);
  return s;
}
test.after(async () => {
  for (const s of servers) await s.close();
});

async function initialised(repo: TempRepo, alertsYaml: string, e: Record<string, string> = env()): Promise<void> {
  repo.write('driftctl.yml', alertConfig(alertsYaml));
  await run(repo, ['init'], 0, e, at(0));
  await run(repo, ['check'], 0, e, at(1));
}

function header(mail: RecordedMail, name: string): string {
  const value = mail.parsed.headers.get(name) as unknown;
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'value' in value) return String((value as { value: string }).value);
  return String(value);
}

test(
  'one multipart text + HTML message per transition and for the digest, with a login, threaded by the alert fingerprint',
  inRepo(alertProject('version: 1\n', { 'config/a<b>&c.yaml': 'x: 1\n' }), async (repo) => {
    const smtp = await server({ auth: { user: USER, pass: PASSWORD } });
    const outputs: CliRun[] = [];
    await initialised(repo, emailChannel(smtp.port, LOGIN + PLAIN));
    repo.write('config/a<b>&c.yaml', 'x: 2\n');
    outputs.push(await run(repo, ['check'], 2, env(), at(2)));
    assert.is(smtp.messages.length, 1);
    const [opened] = smtp.messages;
    const record = alertRecords(repo)[0];
    const root = `<driftctl.${record.fingerprint}.${record.alert}@alerts.example.test>`;
    assert.is(opened.user, USER, 'logged in with the user from the environment');
    assert.equal(smtp.logins, [USER]);
    assert.is(opened.from, 'drift@alerts.example.test');
    assert.equal(opened.to, ['ops@example.test', 'sre@example.test', 'lead@example.test']);
    assert.is(opened.parsed.from?.text, '"driftctl" <drift@alerts.example.test>');
    assert.is((opened.parsed.to as { text: string }).text, 'ops@example.test, sre@example.test');
    assert.is((opened.parsed.cc as { text: string }).text, 'lead@example.test');
    assert.is(opened.parsed.subject, '[driftctl] HIGH: Drift detected: default (files)');
    assert.is(opened.parsed.messageId, root);
    assert.is(opened.parsed.inReplyTo, undefined);
    assert.is(opened.parsed.references, undefined);
    assert.match(header(opened, 'content-type'), /^multipart\/alternative/);
    assert.is(header(opened, 'auto-submitted'), 'auto-generated');
    const text = opened.parsed.text ?? '';
    assert.match(text, /^Drift detected: default \(files\): 1 change, highest high\n/);
    assert.match(text, /\n {2}HIGH {2}changed {2}config\/a<b>&c\.yaml {2}\(config\/\*\*\)\n/);
    assert.ok(text.includes(`alert fingerprint ${record.fingerprint}`), text);
    const html = opened.parsed.html || '';
    assert.match(html, /<h2[^>]*>🟠 Drift detected: default \(files\)<\/h2>/);
    assert.ok(html.includes('<code>config/a&lt;b&gt;&amp;c.yaml</code>'), 'file names are HTML-escaped');
    assert.not.ok(html.includes('a<b>&c'), 'no raw markup from a file name');

    // Updated: a new message in the same thread.
    repo.write('prompts/system.txt', 'You are terse.\n');
    outputs.push(await run(repo, ['check'], 2, env(), at(3)));
    assert.is(smtp.messages.length, 2);
    const updated = smtp.messages[1];
    assert.is(updated.parsed.subject, '[driftctl] HIGH: Drift changed: default (files)');
    assert.is(updated.parsed.messageId, `<driftctl.${record.fingerprint}.${record.alert}.updated.20260301T090000000Z@alerts.example.test>`);
    assert.is(updated.parsed.inReplyTo, root);
    assert.is(updated.parsed.references, root);
    assert.match(updated.parsed.text ?? '', /Changes: {3}2 \(0 added, 0 removed, 2 changed\)/);

    // Resolved by an accept: the thread closes.
    outputs.push(await run(repo, ['accept', '--all', '--reason', 'ok'], 0, env(), at(4)));
    assert.is(smtp.messages.length, 3);
    const resolved = smtp.messages[2];
    assert.is(resolved.parsed.subject, '[driftctl] RESOLVED: Drift resolved: default (files)');
    assert.equal([resolved.parsed.inReplyTo, resolved.parsed.references], [root, root]);
    assert.match(resolved.parsed.text ?? '', /Resolved: {2}the new state was accepted as the baseline/);

    // The digest is one more message, outside the alert threads.
    const digest = await runJson(repo, ['digest', '--channel', 'mail'], 0, env(), at(5));
    assert.equal(digest.deliveries.map((d: any) => [d.subject, d.status]), [['digest', 'delivered']]);
    const mail = smtp.messages[3];
    assert.is(mail.parsed.subject, '[driftctl] Drift digest: last 24h');
    assert.is(mail.parsed.messageId, '<driftctl.digest.20260301T110000000Z@alerts.example.test>');
    assert.is(mail.parsed.inReplyTo, undefined);
    assert.match(mail.parsed.text ?? '', /Checks: 3 \(2 with drift\) · alerts opened: 1 · resolved: 1 · still open: 0 · accepts: 1/);
    assert.match(mail.parsed.html || '', /<h3>Resolved<\/h3>/);
    assert.match(header(mail, 'content-type'), /^multipart\/alternative/);

    assert.equal(outboxFiles(repo), []);
    for (const [i, o] of outputs.entries()) assertNoSecret(o.stdout + o.stderr, [PASSWORD], `output of command ${i}`);
    assertNoSecret(everythingStored(repo), [PASSWORD, USER], 'the ledger repository');
  }),
);

test(
  'a server that refuses the login: one attempt (not retried), kept in the outbox, the password never shown; unset variables are named',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    const smtp = await server({ auth: 'refuse' });
    await initialised(repo, emailChannel(smtp.port, LOGIN + PLAIN));
    repo.write('config/models.yaml', 'models: {}\n');
    const refused = await run(repo, ['check', '--json'], 2, env(), at(2));
    const delivery = JSON.parse(refused.stdout).deliveries[0];
    assert.is(delivery.status, 'queued');
    assert.is(delivery.error, 'email channel "mail": SMTP server refused the login with 535 (535 Invalid username or password), not retried in this run');
    assert.equal(smtp.logins, [USER], 'a refused login is not retried');
    assert.is(smtp.messages.length, 0);
    assert.is(outboxFiles(repo).length, 1);
    const entry = showJson(repo, outboxFiles(repo)[0]);
    assert.equal([entry.channelKind, entry.subject, JSON.parse(entry.body).subject], ['email', `opened ${alertRecords(repo)[0].alert}`, '[driftctl] HIGH: Drift detected: default (files)']);
    const unset = await runJson(repo, ['alert'], 0, { SMTP_USER: USER }, at(3));
    assert.is(unset.deliveries[0].error, 'email channel "mail": environment variable SMTP_PASSWORD is not set (it must hold the SMTP password)');
    assertNoSecret(refused.stdout + refused.stderr, [PASSWORD], 'check output');
    assertNoSecret(everythingStored(repo), [PASSWORD], 'the ledger repository');
  }),
);

test(
  'a server that is down: retried, queued; once the config names a live server (answering 451 once) the same message goes out from the outbox',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    const dead = await startMailServer();
    await dead.close();
    await initialised(repo, emailChannel(dead.port, PLAIN), {});
    repo.write('config/models.yaml', 'models: {}\n');
    const down = await runJson(repo, ['check'], 2, {}, at(2));
    assert.is(down.deliveries[0].status, 'queued');
    assert.is(down.deliveries[0].error, `email channel "mail": connection to 127.0.0.1:${dead.port} refused after 2 attempts`);
    const queued = JSON.parse(showJson(repo, outboxFiles(repo)[0]).body);

    const live = await server({ transientFailures: 1 });
    repo.write('driftctl.yml', alertConfig(emailChannel(live.port, PLAIN)));
    const retried = await runJson(repo, ['alert'], 0, {}, at(3));
    assert.equal(retried.deliveries.map((d: any) => [d.status, d.retried]), [['delivered', true]]);
    assert.is(live.deferred, 1, 'a 451 reply was retried');
    assert.is(live.messages.length, 1);
    assert.is(live.messages[0].parsed.messageId, queued.messageId, 'the queued message, unchanged');
    assert.is(live.messages[0].parsed.subject, queued.subject);
    assert.is(live.messages[0].user, null, 'no login configured, none sent');
    assert.equal(outboxFiles(repo), []);
  }),
);

test(
  'STARTTLS with a self-signed certificate: refused without ca (kept), delivered encrypted with ca; implicit TLS likewise',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    const certificate = selfSignedCertificate();
    writeFileSync(path.join(repo.dir, 'smtp-ca.pem'), certificate.cert);
    const starttls = await server({ tls: 'starttls', cert: certificate, auth: { user: USER, pass: PASSWORD } });
    await initialised(repo, emailChannel(starttls.port, `${LOGIN}\n    tls: starttls`));
    repo.write('config/models.yaml', 'models: {}\n');
    const untrusted = await runJson(repo, ['check'], 2, env(), at(2));
    assert.is(untrusted.deliveries[0].status, 'queued');
    assert.match(untrusted.deliveries[0].error, /^email channel "mail": TLS with 127\.0\.0\.1:\d+ failed: self-signed certificate \(for a private CA or a self-signed certificate, set the channel's ca: to its PEM file\), not retried in this run$/);
    assert.equal(starttls.logins, [], 'no login is sent before TLS is up');

    repo.write('driftctl.yml', alertConfig(emailChannel(starttls.port, `${LOGIN}\n    tls: starttls\n    ca: smtp-ca.pem`)));
    const trusted = await runJson(repo, ['alert'], 0, env(), at(3));
    assert.equal(trusted.deliveries.map((d: any) => d.status), ['delivered']);
    assert.equal([starttls.messages.length, starttls.messages[0].secure, starttls.messages[0].user], [1, true, USER]);

    const implicit = await server({ tls: 'implicit', cert: certificate });
    repo.write('driftctl.yml', alertConfig(emailChannel(implicit.port, '\n    tls: implicit\n    ca: smtp-ca.pem')));
    repo.write('prompts/system.txt', 'x\n');
    const dry = await run(repo, ['check', '--no-alert'], 2, env(), at(4)).then(() => run(repo, ['alert', '--dry-run'], 0, env(), at(4.5)));
    assert.match(dry.stdout, new RegExp(`--- email channel "mail": updated \\S+\\nSMTP 127\\.0\\.0\\.1:${implicit.port} \\(implicit TLS, CA ${repo.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/smtp-ca\\.pem\\), no login\\n`));
    await runJson(repo, ['alert'], 0, env(), at(5));
    assert.equal([implicit.messages.length, implicit.messages[0].secure], [1, true]);
    assert.match(implicit.messages[0].parsed.subject ?? '', /Drift changed/);
  }),
);

test(
  '--dry-run prints the SMTP server, masked login, headers and text of each message, and sends nothing',
  inRepo(alertProject('version: 1\n'), async (repo) => {
    const smtp = await server({ auth: { user: USER, pass: PASSWORD } });
    await initialised(repo, emailChannel(smtp.port, LOGIN + PLAIN));
    repo.write('config/models.yaml', 'models: {}\n');
    await run(repo, ['check', '--no-alert'], 2, env(), at(2));
    const dry = await run(repo, ['alert', '--dry-run'], 0, env(), at(2.5));
    const lines = dry.stdout.split('\n');
    const start = lines.findIndex((l) => l.startsWith('--- email channel "mail": opened '));
    assert.ok(start >= 0, dry.stdout);
    assert.match(lines[start + 6], /^Message-ID: <driftctl\.[0-9a-f]{16}\.\d{8}T\d{9}Z-[0-9a-f]{6}@alerts\.example\.test>$/);
    assert.equal(lines.slice(start + 1, start + 6), [
      `SMTP 127.0.0.1:${smtp.port} (no TLS), login ****** (from $SMTP_USER, set), password ****** (from $SMTP_PASSWORD, set)`,
      'From: driftctl <drift@alerts.example.test>',
      'To: ops@example.test, sre@example.test',
      'Cc: lead@example.test',
      'Subject: [driftctl] HIGH: Drift detected: default (files)',
    ]);
    assert.is(lines[start + 7], '');
    assert.match(dry.stdout, /Drift detected: default \(files\): 1 change, highest high\n/);
    assert.match(dry.stdout, /\[text\/html alternative: \d+ bytes\]/);
    assertNoSecret(dry.stdout + dry.stderr, [PASSWORD, USER], 'alert --dry-run');
    assert.is(smtp.messages.length + smtp.logins.length, 0, 'nothing sent');
  }),
);

test.run();
