import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { channelWants, type Payload } from '../../src/channels/channel.js';
import { createEmailChannel, mailDomain, threadIds } from '../../src/channels/email-channel.js';
import { createPagerDutyChannel, PAGERDUTY_SEVERITY } from '../../src/channels/pagerduty-channel.js';
import { createSmsChannel } from '../../src/channels/sms-channel.js';
import type { ChannelConfig } from '../../src/config/config.js';
import { sampleNotice, templateSamples } from '../../src/render/samples.js';
import { createTemplateEnv } from '../../src/render/template-env.js';
import { eventProblems } from '../helpers/pagerduty-api.js';

/** Rendering of the email, sms and pagerduty channels, without any network. */

const templates = createTemplateEnv(undefined, templateSamples());
const NOW = '2026-01-02T03:04:05.000Z';
const base = { minSeverity: 'info' as const, events: ['opened', 'updated', 'reminded', 'resolved'] as ChannelConfig['events'], timeoutMs: 1000, retries: 0 };
const pd: ChannelConfig = { ...base, name: 'pd', kind: 'pagerduty', pagerduty: { apiUrl: 'http://127.0.0.1:9/v2/enqueue', routingKeyEnv: 'K' } };
const mail: ChannelConfig = {
  ...base,
  name: 'mail',
  kind: 'email',
  email: { host: 'smtp.example.test', port: 587, tls: 'starttls', from: 'Drift <drift@Example.TEST>', to: ['a@example.test'], cc: [] },
};

test('pagerduty: severities map to critical/error/warning/info; every rendered event is one the Events API accepts (with a key added)', () => {
  assert.equal(PAGERDUTY_SEVERITY, { critical: 'critical', high: 'error', medium: 'warning', low: 'info', info: 'info' });
  const channel = createPagerDutyChannel(pd);
  for (const event of ['opened', 'updated', 'reminded', 'resolved'] as const) {
    for (const severity of ['critical', 'high', 'medium', 'low', 'info'] as const) {
      const body = JSON.parse((channel.renderAlert({ ...sampleNotice(event), severity }, templates, NOW) as Payload).body);
      assert.equal(eventProblems({ routing_key: 'k', ...body }, 'k'), [], `${event} ${severity}`);
      assert.is(body.dedup_key, '0123456789abcdef');
      assert.is(body.event_action, event === 'resolved' ? 'resolve' : 'trigger');
      if (event !== 'resolved') assert.is(body.payload.severity, PAGERDUTY_SEVERITY[severity]);
    }
  }
  const many = { ...sampleNotice('opened'), changes: Array.from({ length: 120 }, (_, i) => ({ ...sampleNotice('opened').changes[1], key: `k${i}` })) };
  const details = JSON.parse((channel.renderAlert(many, templates, NOW) as Payload).body).payload.custom_details;
  assert.equal([details.changes.length, details.more, details.summary.total], [50, 70, 120]);
});

test('pagerduty resolutions pass any severity floor; other kinds keep it', () => {
  const notice = { event: 'resolved' as const, severity: 'low' as const, target: 'web', labels: {} };
  assert.ok(channelWants({ ...pd, minSeverity: 'critical' }, notice));
  assert.not.ok(channelWants({ ...pd, minSeverity: 'critical' }, { ...notice, event: 'updated' }));
  assert.not.ok(channelWants({ ...mail, minSeverity: 'critical' }, notice));
});

test('email: thread ids from the fingerprint and alert id, in the sender domain; subject on one line', () => {
  assert.is(mailDomain('Drift <drift@Example.TEST>'), 'example.test');
  assert.is(mailDomain('drift@localhost'), 'localhost');
  const opened = threadIds({ event: 'opened', fingerprint: 'f00d', alertId: 'A1' }, 'x@example.test', NOW);
  assert.equal(opened, { messageId: '<driftctl.f00d.A1@example.test>', inReplyTo: null, references: [] });
  const resolved = threadIds({ event: 'resolved', fingerprint: 'f00d', alertId: 'A1' }, 'x@example.test', NOW);
  assert.equal(resolved, { messageId: '<driftctl.f00d.A1.resolved.20260102T030405000Z@example.test>', inReplyTo: '<driftctl.f00d.A1@example.test>', references: ['<driftctl.f00d.A1@example.test>'] });
  const message = JSON.parse((createEmailChannel(mail).renderAlert(sampleNotice('opened'), templates, NOW) as Payload).body);
  assert.is(message.subject, '[driftctl] HIGH: Drift detected: web (files)');
  assert.is(message.messageId, '<driftctl.0123456789abcdef.20260102T030405000Z-abcdef@example.test>');
  assert.ok(message.html.includes('config/&quot;models&quot; \\ &lt;prod&gt; &amp; co 🚀.yaml'), 'HTML-escaped file name');
  assert.ok(message.text.includes('config/"models" \\ <prod> & co 🚀.yaml'), 'the text part is not escaped');
  assert.ok(message.html.includes('<a href="https://example.test/ledger/report?x&#x3D;1&amp;y&#x3D;&lt;2&gt;">'), 'escaped link');
});

test('sms: one payload per recipient, one line, within max_segments', () => {
  const sms: ChannelConfig = { ...base, name: 'sms', kind: 'sms', sms: { apiUrl: 'http://127.0.0.1:9', accountSidEnv: 'S', authTokenEnv: 'T', from: '+15550001111', to: ['+15550002222', '+15550003333'], maxSegments: 1 } };
  const payloads = createSmsChannel(sms).renderAlert(sampleNotice('opened'), templates, NOW) as Payload[];
  assert.equal(payloads.map((p) => JSON.parse(p.body).to), ['+15550002222', '+15550003333']);
  const message = JSON.parse(payloads[0].body);
  assert.not.ok(/\n/.test(message.text));
  assert.is(message.segments, 1);
  assert.ok(message.cut && message.text.endsWith('…'), message.text);
  assert.is(message.text, 'HIGH Drift detected: web (files): 2 changes, changed config/"models"…');
});

test.run();
