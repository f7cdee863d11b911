/**
 * The Prometheus text exposition format, version 0.0.4: what node_exporter's textfile collector
 * reads and what `GET /metrics` answers. Pure: metric families in, text out.
 *
 * Contract: every family is written as `# HELP`, `# TYPE`, then its samples, one per line, in the
 * order given; label values escape backslash, double quote and newline; HELP text escapes
 * backslash and newline; the text ends with a newline. Invalid metric or label names throw,
 * because a scraper would reject the whole exposition for one bad line.
 */

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'gauge' | 'counter' | 'untyped';

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as it appears between the double quotes. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and newline are escaped, double quotes are not. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Go's ParseFloat reads it: integers plainly, `NaN`, `+Inf`, `-Inf`. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Object.is(value, -0) ? '0' : String(value);
}

export function formatSample(name: string, sample: MetricSample): string {
  const labels = Object.entries(sample.labels);
  for (const [label] of labels) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new Error(`invalid Prometheus label name "${label}" on ${name}`);
  }
  const rendered = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
  return `${name}${rendered} ${formatSampleValue(sample.value)}`;
}

/** The whole exposition. Families without samples are still described (HELP and TYPE). */
export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid Prometheus metric name "${family.name}"`);
    if (seen.has(family.name)) throw new Error(`metric family "${family.name}" appears twice`);
    seen.add(family.name);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(formatSample(family.name, sample));
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
