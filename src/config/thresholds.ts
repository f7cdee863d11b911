import { SEVERITIES, type Severity } from '../drift/severity-levels.js';
import { METRIC_NAMES, type MetricName, type MetricThreshold, parseDuration } from './config.js';

const OPERATORS = ['>=', '<=', '>', '<'] as const;

const EXPECTED = `expected "<metric> <op> <number> [for <duration>]", e.g. "cpu_percent > 80 for 5m"; metrics: ${METRIC_NAMES.join(', ')}`;

/**
 * Parses one threshold rule of a metrics source: `<metric> <op> <number> [for <duration>]`, for
 * example "cpu_percent > 80 for 5m", "disk_percent >= 90", "memory_percent<10". Spaces around the
 * operator are optional; the duration uses parseDuration's units (ms, s, m, h, d, w).
 *
 * The returned `text` is canonical, so two spellings of one rule give the same entry key:
 * single spaces, the number as JavaScript prints it ("80.0" → "80"), the duration in its largest
 * exact unit ("300s" → "5m") and no `for` clause when it is zero.
 *
 * Throws an Error (the config loader turns it into a config issue) naming what is wrong and the
 * expected form.
 */
export function parseThreshold(text: string, severity: Severity = 'high'): MetricThreshold {
  function fail(problem: string): never {
    throw new Error(`threshold "${text}": ${problem}; ${EXPECTED}`);
  }
  if (!(SEVERITIES as readonly string[]).includes(severity)) fail(`unknown severity "${severity}" (use ${SEVERITIES.join(', ')})`);
  const source = text.trim();
  if (source === '') fail('empty rule');

  const metricMatch = /^([A-Za-z_][A-Za-z0-9_]*)\s*/.exec(source);
  if (!metricMatch) fail(`a rule starts with a metric name, not "${source.split(/\s+/)[0]}"`);
  const metricName = metricMatch[1];
  if (!(METRIC_NAMES as readonly string[]).includes(metricName)) fail(`unknown metric "${metricName}"`);
  const metric = metricName as MetricName;
  let rest = source.slice(metricMatch[0].length);

  const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
  if (op === undefined) {
    const found = /^[=!<>]+/.exec(rest)?.[0];
    fail(found ? `unknown operator "${found}" (use >, >=, < or <=)` : `missing operator after "${metric}" (use >, >=, < or <=)`);
  }
  rest = rest.slice(op.length).trimStart();

  const numberMatch = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?=\s|$)/.exec(rest);
  if (!numberMatch) fail(rest === '' ? `missing number after "${op}"` : `"${rest.split(/\s+/)[0]}" is not a number`);
  const value = Number(numberMatch[1]);
  rest = rest.slice(numberMatch[0].length).trim();

  let forMs = 0;
  if (rest !== '') {
    const forMatch = /^for\s+(\S+)$/.exec(rest);
    if (!forMatch) fail(/^for\s*$/.test(rest) ? 'missing duration after "for"' : `unexpected "${rest}" after the number`);
    const duration = forMatch[1];
    try {
      forMs = parseDuration(duration);
    } catch {
      fail(`"${duration}" is not a duration (use for example 30s, 5m, 1h)`);
    }
  }

  const canonical = `${metric} ${op} ${String(value)}${forMs > 0 ? ` for ${formatDuration(forMs)}` : ''}`;
  return { text: canonical, metric, op, value, forMs, severity };
}

const UNITS: [string, number][] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A duration in its largest exact unit, as parseDuration reads it back: 300000 → "5m", 90000 → "90s", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of UNITS) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
