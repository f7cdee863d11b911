import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateAlerts, fingerprintOf, type EvaluateInput } from '../../src/alerts/lifecycle.js';
import type { Change } from '../../src/drift/report.js';

const change = (key: string, severity: Change['severity'] = 'high', sha = 'a'): Change => ({
  source: 'files',
  key,
  change: 'changed',
  severity,
  rule: key.startsWith('config/') ? 'config/**' : 'default',
  before: { type: 'file', sha256: '0'.repeat(64), size: 1 },
  after: { type: 'file', sha256: sha.repeat(64), size: 1 },
});

let ids = 0;
function input(over: Partial<EvaluateInput>): EvaluateInput {
  return {
    target: 'web',
    open: {},
    changes: [],
    classOf: (c) => (c.rule === 'config/**' ? 'config' : 'drift'),
    now: '2026-01-01T00:00:00.000Z',
    newId: () => `20260101T000000000Z-${String(++ids).padStart(6, '0')}`,
    repeatIntervalMs: null,
    reportId: null,
    firstCheck: false,
    resolveReason: 'drift-gone',
    ...over,
  };
}

test('drift opens one alert per source and class, with a stable fingerprint', () => {
  const { open, transitions } = evaluateAlerts(input({ changes: [change('config/a.yaml'), change('config/b.yaml', 'medium'), change('src/x.py', 'low')] }));
  assert.is(transitions.length, 2);
  assert.ok(transitions.every((t) => t.event === 'opened' && t.notify === 'opened'));
  const config = open[fingerprintOf('web', 'files', 'config')];
  assert.is(config.changes, 2);
  assert.is(config.severity, 'high');
  assert.is(open[fingerprintOf('web', 'files', 'drift')].severity, 'low');
});

test('the first check of a target never opens an alert', () => {
  const { open, transitions } = evaluateAlerts(input({ firstCheck: true, changes: [change('config/a.yaml')] }));
  assert.equal(transitions, []);
  assert.equal(open, {});
});

test('the same drift again changes nothing and notifies nobody', () => {
  const first = evaluateAlerts(input({ changes: [change('config/a.yaml')] }));
  const again = evaluateAlerts(input({ open: first.open, changes: [change('config/a.yaml')], now: '2026-01-01T01:00:00.000Z' }));
  assert.equal(again.transitions, []);
  assert.equal(Object.keys(again.open), Object.keys(first.open));
});

test('growing drift or a new severity updates the alert and notifies', () => {
  const first = evaluateAlerts(input({ changes: [change('config/a.yaml', 'medium')] }));
  const grown = evaluateAlerts(input({ open: first.open, changes: [change('config/a.yaml', 'medium'), change('config/b.yaml', 'high')] }));
  assert.is(grown.transitions.length, 1);
  assert.is(grown.transitions[0].event, 'updated');
  assert.is(grown.transitions[0].notify, 'updated');
  const alert = Object.values(grown.open)[0];
  assert.is(alert.severity, 'high');
  assert.is(alert.id, Object.values(first.open)[0].id, 'same alert, not a duplicate');
});

test('a reminder goes out once the repeat interval has elapsed', () => {
  const first = evaluateAlerts(input({ changes: [change('config/a.yaml')], repeatIntervalMs: 3_600_000 }));
  const early = evaluateAlerts(input({ open: first.open, changes: [change('config/a.yaml')], repeatIntervalMs: 3_600_000, now: '2026-01-01T00:59:00.000Z' }));
  assert.equal(early.transitions, []);
  const due = evaluateAlerts(input({ open: early.open, changes: [change('config/a.yaml')], repeatIntervalMs: 3_600_000, now: '2026-01-01T01:00:00.000Z' }));
  assert.equal(due.transitions.map((t) => [t.event, t.notify]), [['reminded', 'reminded']]);
  const after = evaluateAlerts(input({ open: due.open, changes: [change('config/a.yaml')], repeatIntervalMs: 3_600_000, now: '2026-01-01T01:30:00.000Z' }));
  assert.equal(after.transitions, []);
});

test('drift that disappears resolves its alert with the reason', () => {
  const first = evaluateAlerts(input({ changes: [change('config/a.yaml'), change('src/x.py', 'low')] }));
  const partly = evaluateAlerts(input({ open: first.open, changes: [change('src/x.py', 'low')], resolveReason: 'accepted' }));
  assert.equal(partly.transitions.map((t) => [t.event, t.alert.class, t.reason]), [['resolved', 'config', 'accepted']]);
  assert.equal(Object.values(partly.open).map((a) => a.class), ['drift']);
});

test.run();
