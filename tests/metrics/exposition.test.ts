import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildDriftctlMetrics, renderDriftctlMetrics, zeroBySeverity, type TargetMetricsInput } from '../../src/metrics/driftctl-metrics.js';
import { escapeHelp, escapeLabelValue, formatSampleValue, renderExposition } from '../../src/metrics/exposition.js';
import { parseExposition, SAMPLE_LINE } from '../helpers/prometheus.js';

test('label values escape backslash, double quote and newline, and nothing else', () => {
  assert.is(escapeLabelValue('plain-value.1'), 'plain-value.1');
  assert.is(escapeLabelValue('a\\b'), 'a\\\\b');
  assert.is(escapeLabelValue('say "hi"'), 'say \\"hi\\"');
  assert.is(escapeLabelValue('two\nlines'), 'two\\nlines');
  assert.is(escapeLabelValue('\\"\n'), '\\\\\\"\\n');
  assert.is(escapeLabelValue('tab\there ünï'), 'tab\there ünï');
});

test('HELP text escapes backslash and newline but keeps double quotes', () => {
  assert.is(escapeHelp('a "quoted" \\ path\nnext'), 'a "quoted" \\\\ path\\nnext');
});

test('sample values: integers plainly, floats, NaN and infinities as Prometheus spells them', () => {
  assert.is(formatSampleValue(3), '3');
  assert.is(formatSampleValue(0.25), '0.25');
  assert.is(formatSampleValue(-0), '0');
  assert.is(formatSampleValue(1795553932.977), '1795553932.977');
  assert.is(formatSampleValue(NaN), 'NaN');
  assert.is(formatSampleValue(Infinity), '+Inf');
  assert.is(formatSampleValue(-Infinity), '-Inf');
});

test('a family is HELP, TYPE, then its samples; labels keep their order; the text ends with a newline', () => {
  const text = renderExposition([
    { name: 'x_total', help: 'Things.', type: 'counter', samples: [{ labels: {}, value: 2 }] },
    {
      name: 'y',
      help: 'Ys by "kind".',
      type: 'gauge',
      samples: [
        { labels: { target: 'a', kind: 'we"ird\\\n' }, value: 1 },
        { labels: { target: 'b', kind: 'plain' }, value: 0.5 },
      ],
    },
    { name: 'z', help: 'No samples yet.', type: 'gauge', samples: [] },
  ]);
  assert.is(
    text,
    [
      '# HELP x_total Things.',
      '# TYPE x_total counter',
      'x_total 2',
      '# HELP y Ys by "kind".',
      '# TYPE y gauge',
      'y{target="a",kind="we\\"ird\\\\\\n"} 1',
      'y{target="b",kind="plain"} 0.5',
      '# HELP z No samples yet.',
      '# TYPE z gauge',
      '',
    ].join('\n'),
  );
  const parsed = parseExposition(text);
  assert.is(parsed.value('y', { target: 'a', kind: 'we"ird\\\n' }), 1, 'escaping round-trips through a parser');
  assert.equal(parsed.types.get('x_total'), 'counter');
  assert.is(renderExposition([]), '');
});

test('invalid metric names, label names and duplicate families throw instead of breaking a scrape', () => {
  assert.throws(() => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }]), /metric name/);
  assert.throws(() => renderExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }]), /label name/);
  assert.throws(() => renderExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { __reserved: 'x' }, value: 1 }] }]), /label name/);
  const twice = { name: 'ok', help: '', type: 'gauge' as const, samples: [] };
  assert.throws(() => renderExposition([twice, twice]), /twice/);
});

function target(overrides: Partial<TargetMetricsInput> = {}): TargetMetricsInput {
  return {
    target: 'web',
    lastCheck: { timeSeconds: 1767225600, status: 'drift' },
    changes: { ...zeroBySeverity(), high: 2, low: 1 },
    checks: 4,
    driftReports: 3,
    accepts: 2,
    openAlerts: { ...zeroBySeverity(), high: 1 },
    checkDurationSeconds: 0.125,
    ...overrides,
  };
}

test('driftctl metrics: every family described once, in a fixed order, in the seed naming style', () => {
  const names = buildDriftctlMetrics({ ledgerCommits: 0, targets: [] }).map((f) => f.name);
  assert.equal(names, [
    'driftctl_drift_changes',
    'driftctl_drift_total',
    'driftctl_checks_total',
    'driftctl_check_duration_seconds',
    'driftctl_last_check_timestamp_seconds',
    'driftctl_last_check_status',
    'driftctl_open_alerts',
    'driftctl_accepts_total',
    'driftctl_ledger_commits_total',
  ]);
  for (const family of buildDriftctlMetrics({ ledgerCommits: 0, targets: [] })) {
    assert.ok(family.name.startsWith('driftctl_'), family.name);
    assert.is(family.type === 'counter', family.name.endsWith('_total'), `${family.name}: counters and only counters end in _total`);
  }
});

test('driftctl metrics: values per target, severity and status', () => {
  const text = renderDriftctlMetrics({ ledgerCommits: 17, targets: [target(), target({ target: 'api', lastCheck: { timeSeconds: 1767225700, status: 'error' }, checkDurationSeconds: null })] });
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) assert.match(line, SAMPLE_LINE);
  const m = parseExposition(text);
  assert.is(m.value('driftctl_drift_changes', { target: 'web', severity: 'high' }), 2);
  assert.is(m.value('driftctl_drift_changes', { target: 'web', severity: 'critical' }), 0);
  assert.is(m.value('driftctl_drift_total', { target: 'web' }), 3);
  assert.is(m.value('driftctl_checks_total', { target: 'web' }), 4);
  assert.is(m.value('driftctl_accepts_total', { target: 'web' }), 2);
  assert.is(m.value('driftctl_open_alerts', { target: 'web', severity: 'high' }), 1);
  assert.is(m.value('driftctl_open_alerts', { target: 'web', severity: 'info' }), 0);
  assert.is(m.value('driftctl_check_duration_seconds', { target: 'web' }), 0.125);
  assert.is(m.value('driftctl_check_duration_seconds', { target: 'api' }), undefined, 'no duration when unknown');
  assert.is(m.value('driftctl_last_check_timestamp_seconds', { target: 'api' }), 1767225700);
  assert.equal(
    ['clean', 'drift', 'error'].map((status) => m.value('driftctl_last_check_status', { target: 'web', status })),
    [0, 1, 0],
  );
  assert.equal(
    ['clean', 'drift', 'error'].map((status) => m.value('driftctl_last_check_status', { target: 'api', status })),
    [0, 0, 1],
  );
  assert.is(m.value('driftctl_ledger_commits_total', {}), 17);
});

test('driftctl metrics: a target never checked has alerts and counters but no verdict, changes or timestamp', () => {
  const m = parseExposition(renderDriftctlMetrics({ ledgerCommits: 2, targets: [target({ lastCheck: null, changes: null, checks: 0, driftReports: 0, checkDurationSeconds: null, openAlerts: zeroBySeverity() })] }));
  assert.is(m.samples.filter((s) => s.name === 'driftctl_last_check_status').length, 0);
  assert.is(m.samples.filter((s) => s.name === 'driftctl_drift_changes').length, 0);
  assert.is(m.value('driftctl_last_check_timestamp_seconds', { target: 'web' }), undefined);
  assert.is(m.value('driftctl_drift_total', { target: 'web' }), 0);
  assert.is(m.value('driftctl_open_alerts', { target: 'web', severity: 'critical' }), 0);
});

test.run();
