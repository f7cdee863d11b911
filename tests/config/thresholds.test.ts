import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration, parseThreshold } from '../../src/config/thresholds.js';

test('parses the documented forms with a default severity of high', () => {
  assert.equal(parseThreshold('cpu_percent > 80 for 5m'), { text: 'cpu_percent > 80 for 5m', metric: 'cpu_percent', op: '>', value: 80, forMs: 300_000, severity: 'high' });
  assert.equal(parseThreshold('disk_percent >= 90', 'critical'), { text: 'disk_percent >= 90', metric: 'disk_percent', op: '>=', value: 90, forMs: 0, severity: 'critical' });
  assert.equal(parseThreshold('load5 > 4 for 10m'), { text: 'load5 > 4 for 10m', metric: 'load5', op: '>', value: 4, forMs: 600_000, severity: 'high' });
  assert.equal(parseThreshold('memory_percent<10'), { text: 'memory_percent < 10', metric: 'memory_percent', op: '<', value: 10, forMs: 0, severity: 'high' });
  assert.equal(parseThreshold('load15<=0.5', 'low'), { text: 'load15 <= 0.5', metric: 'load15', op: '<=', value: 0.5, forMs: 0, severity: 'low' });
});

test('the text is canonical: spacing, number and duration spellings give one rule text', () => {
  const spellings = ['cpu_percent > 80 for 5m', '  cpu_percent>80   for   5m ', 'cpu_percent > 80.0 for 300s', 'cpu_percent > +80 for 300000ms', 'cpu_percent >80 for 05m'];
  for (const s of spellings) assert.is(parseThreshold(s).text, 'cpu_percent > 80 for 5m', s);
  assert.is(parseThreshold('load1 > .75 for 90s').text, 'load1 > 0.75 for 90s');
  assert.is(parseThreshold('load1 > 2 for 1500ms').text, 'load1 > 2 for 1500ms');
  assert.is(parseThreshold('load1 > 2 for 0s').text, 'load1 > 2', 'a zero duration is no duration');
  assert.is(parseThreshold('load1 > 2 for 2h').forMs, 7_200_000);
});

test('formatDuration picks the largest exact unit', () => {
  assert.equal([300_000, 90_000, 1500, 3_600_000, 86_400_000, 604_800_000, 0].map(formatDuration), ['5m', '90s', '1500ms', '1h', '1d', '1w', '0ms']);
});

const EXPECTED = 'expected "<metric> <op> <number> [for <duration>]", e.g. "cpu_percent > 80 for 5m"; metrics: cpu_percent, memory_percent, disk_percent, load1, load5, load15';

function errorOf(text: string, severity?: 'high'): string {
  try {
    parseThreshold(text, severity);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`"${text}" parsed`);
}

test('each mistake has its own message, with the expected form', () => {
  const cases: [string, string][] = [
    ['', 'empty rule'],
    ['   ', 'empty rule'],
    ['80 > cpu_percent', 'a rule starts with a metric name, not "80"'],
    ['cpu > 80', 'unknown metric "cpu"'],
    ['CPU_percent > 80', 'unknown metric "CPU_percent"'],
    ['cpu_percent 80', 'missing operator after "cpu_percent" (use >, >=, < or <=)'],
    ['cpu_percent == 80', 'unknown operator "==" (use >, >=, < or <=)'],
    ['cpu_percent = 80', 'unknown operator "=" (use >, >=, < or <=)'],
    ['cpu_percent => 80', 'unknown operator "=>" (use >, >=, < or <=)'],
    ['cpu_percent >', 'missing number after ">"'],
    ['cpu_percent > eighty', '"eighty" is not a number'],
    ['cpu_percent > 80%', '"80%" is not a number'],
    ['cpu_percent > 80 during 5m', 'unexpected "during 5m" after the number'],
    ['cpu_percent > 80 for', 'missing duration after "for"'],
    ['cpu_percent > 80 for 5 minutes', 'unexpected "for 5 minutes" after the number'],
    ['cpu_percent > 80 for 5min', '"5min" is not a duration (use for example 30s, 5m, 1h)'],
  ];
  for (const [text, problem] of cases) assert.is(errorOf(text), `threshold "${text}": ${problem}; ${EXPECTED}`, text);
});

test('an unknown severity is refused', () => {
  assert.match(errorOf('cpu_percent > 80', 'urgent' as 'high'), 'unknown severity "urgent" (use critical, high, medium, low, info)');
});

test.run();
