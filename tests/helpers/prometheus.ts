import * as assert from 'uvu/assert';

/**
 * A strict reader of the Prometheus text format for tests: every non-comment line must be
 * `name{labels} value` (labels optional), every sample's family must have been described by
 * `# HELP` and `# TYPE` before it, and escaped label values are decoded.
 */

const LABEL_VALUE = String.raw`"(?:[^"\\\n]|\\[\\"n])*"`;
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}`;
export const SAMPLE_LINE = new RegExp(String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:${LABEL}(?:,${LABEL})*)?\})? (NaN|[+-]Inf|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$`);

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: ParsedSample[];
  types: Map<string, string>;
  help: Map<string, string>;
  /** The value of the one sample with exactly these labels, or undefined. */
  value(name: string, labels: Record<string, string>): number | undefined;
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

export function parseExposition(text: string): ParsedExposition {
  assert.ok(text === '' || text.endsWith('\n'), 'the exposition ends with a newline');
  const samples: ParsedSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n').slice(0, -1)) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'HELP') help.set(comment[2], comment[3]);
      else {
        assert.ok(help.has(comment[2]), `HELP before TYPE for ${comment[2]}`);
        assert.match(comment[3], /^(counter|gauge|untyped|histogram|summary)$/);
        types.set(comment[2], comment[3]);
      }
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, raw] = m as RegExpExecArray;
    assert.ok(types.has(name), `${name}: TYPE line before its samples`);
    const labels: Record<string, string> = {};
    for (const l of (labelText ?? '').matchAll(new RegExp(String.raw`([a-zA-Z_][a-zA-Z0-9_]*)=(${LABEL_VALUE})`, 'g'))) labels[l[1]] = unescape(l[2].slice(1, -1));
    const value = raw === 'NaN' ? NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name, labels, value });
  }
  const same = (a: Record<string, string>, b: Record<string, string>): boolean =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  return {
    samples,
    types,
    help,
    value(name, labels) {
      const found = samples.filter((s) => s.name === name && same(s.labels, labels));
      assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} appears ${found.length} times`);
      return found[0]?.value;
    },
  };
}
