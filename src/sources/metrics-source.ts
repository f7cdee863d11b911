import { readFileSync } from 'node:fs';
import path from 'node:path';
import { METRIC_NAMES, type MetricName, type MetricsSourceConfig, type MetricThreshold } from '../config/config.js';
import { formatDuration } from '../config/thresholds.js';
import { createIgnorer, normalizeContent } from '../drift/fields.js';
import { type SourceManifest, valueEntry } from '../drift/manifest.js';
import { DriftError, messageOf } from '../errors.js';
import { createKeyMatcher } from '../match/glob.js';
import { readHostMetrics } from './host-metrics.js';
import { writeFileAtomic } from '../write-atomic.js';
import { safeKey, uniqueKeys } from './keys.js';
import type { Source, SourceContext, SourceObservation } from './source.js';

/** Metric values of one observation; a readings file may lack metrics no threshold uses. */
export type MetricReadings = Partial<Record<MetricName, number>>;

/**
 * What a metrics source remembers between checks: when it last observed (`at`) and, per threshold
 * (by canonical text), since when its condition has held without interruption (null: it does not hold).
 */
export interface ThresholdHistory {
  at: string;
  since: Record<string, string | null>;
}

export interface ThresholdBreach {
  threshold: MetricThreshold;
  /** The reading that breaches it now. */
  value: number;
  /** ISO time since which the condition has held. */
  since: string;
}

export interface ThresholdEvaluation {
  breaches: ThresholdBreach[];
  history: ThresholdHistory;
}

/**
 * Decides which thresholds are breached at `now`, without IO. A condition that holds now started
 * at its recorded time (or now, when it did not hold at the previous observation); it is a breach
 * once it has held for the threshold's `forMs`. A condition that does not hold (or whose metric has
 * no reading) is reset, so a dip restarts the wait. A history observed after `now` (the clock went
 * back) is ignored as a whole. The returned history keeps only the given thresholds.
 */
export function evaluateThresholds(thresholds: readonly MetricThreshold[], readings: MetricReadings, history: ThresholdHistory | undefined, now: Date): ThresholdEvaluation {
  const nowMs = now.getTime();
  const previous = history && Date.parse(history.at) <= nowMs ? history.since : {};
  const since: Record<string, string | null> = {};
  const breaches: ThresholdBreach[] = [];
  for (const threshold of thresholds) {
    const value = readings[threshold.metric];
    if (value === undefined || !holds(threshold, value)) {
      since[threshold.text] = null;
      continue;
    }
    const recorded = Object.hasOwn(previous, threshold.text) ? previous[threshold.text] : null;
    const recordedMs = typeof recorded === 'string' ? Date.parse(recorded) : NaN;
    const startMs = Number.isFinite(recordedMs) && recordedMs <= nowMs ? recordedMs : nowMs;
    const start = new Date(startMs).toISOString();
    since[threshold.text] = start;
    if (startMs <= nowMs - threshold.forMs) breaches.push({ threshold, value, since: start });
  }
  return { breaches, history: { at: now.toISOString(), since } };
}

function holds(threshold: MetricThreshold, value: number): boolean {
  switch (threshold.op) {
    case '>':
      return value > threshold.value;
    case '>=':
      return value >= threshold.value;
    case '<':
      return value < threshold.value;
    case '<=':
      return value <= threshold.value;
  }
}

/**
 * Host metrics (CPU, memory, disk, load) checked against thresholds. Values are observed, never
 * baselined: the entries are the breaches only, one per breached threshold, keyed by its canonical
 * text ("cpu_percent > 80 for 5m"), with the threshold's severity and text as `rule`. The content
 * holds the rule and since when it has held, not the live value, so an ongoing breach stays the
 * same entry check after check; the readings are kept in the history file (see lastReadings).
 *
 * Readings come from the OS (host-metrics.ts) or, with `readings`, from a JSON file of metric
 * values. Throws SOURCE_FAILED when they cannot be read, or when that file lacks a metric a
 * threshold needs. `for` durations are tracked in `<cacheDir>/<name>.metrics.json`.
 */
export function createMetricsSource(config: MetricsSourceConfig): Source {
  return {
    name: config.name,
    kind: 'metrics',
    observe: (context) => observeMetrics(config, context),
  };
}

interface HistoryFile extends ThresholdHistory {
  version: 1;
  readings: MetricReadings;
}

function historyPath(cacheDir: string, name: string): string {
  return path.join(cacheDir, `${name}.metrics.json`);
}

async function observeMetrics(config: MetricsSourceConfig, context: SourceContext): Promise<SourceObservation> {
  const readings = config.readings ? readReadingsFile(config) : await readFromHost(config, context);
  const file = historyPath(context.cacheDir, config.name);
  const { breaches, history } = evaluateThresholds(config.thresholds, readings, readHistory(file), context.now);
  const saved: HistoryFile = { version: 1, at: history.at, since: history.since, readings };
  try {
    writeFileAtomic(file, `${JSON.stringify(saved, null, 2)}\n`);
  } catch (error) {
    throw fail(config, `cannot write its history ${file}: ${messageOf(error)}`, error);
  }

  const ignorer = createIgnorer(config.ignoreFields, createKeyMatcher);
  const keys = uniqueKeys(breaches.map((b) => safeKey(b.threshold.text)));
  const entries: SourceManifest = new Map();
  breaches.forEach(({ threshold, since, value }, index) => {
    const content = {
      metric: threshold.metric,
      op: threshold.op,
      threshold: threshold.value,
      for: threshold.forMs > 0 ? formatDuration(threshold.forMs) : undefined,
      since,
    };
    entries.set(keys[index], { ...valueEntry(normalizeContent(content, ignorer(keys[index])), { severity: threshold.severity, rule: threshold.text }), reading: value });
  });
  return { entries, stats: { entries: entries.size, hashed: 0, reused: 0, errors: 0 } };
}

function fail(config: MetricsSourceConfig, problem: string, cause?: unknown): DriftError {
  return new DriftError('SOURCE_FAILED', `source "${config.name}": ${problem}`, { data: { source: config.name }, cause });
}

async function readFromHost(config: MetricsSourceConfig, context: SourceContext): Promise<MetricReadings> {
  try {
    return await readHostMetrics({ disk: config.disk, cacheDir: context.cacheDir, now: context.now });
  } catch (error) {
    throw fail(config, `cannot read host metrics: ${messageOf(error)}`, error);
  }
}

/** The known metrics of the readings file; every metric a threshold uses must be there, as a number. */
function readReadingsFile(config: MetricsSourceConfig): MetricReadings {
  const file = config.readings as string;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw fail(config, `cannot read readings file ${file}: ${messageOf(error)}`, error);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw fail(config, `readings file ${file} is not a JSON object of metric values (e.g. {"cpu_percent": 93.5})`);
  }
  const record = data as Record<string, unknown>;
  const readings: MetricReadings = {};
  for (const metric of METRIC_NAMES) {
    const value = Object.hasOwn(record, metric) ? record[metric] : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) readings[metric] = value;
  }
  for (const threshold of config.thresholds) {
    const metric = threshold.metric;
    if (readings[metric] !== undefined) continue;
    const problem = Object.hasOwn(record, metric) ? `has "${metric}" = ${JSON.stringify(record[metric])}, not a number` : `has no "${metric}"`;
    throw fail(config, `readings file ${file} ${problem} (threshold "${threshold.text}" needs it)`);
  }
  return readings;
}

function readHistory(file: string): HistoryFile | undefined {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<HistoryFile>;
    if (data.version !== 1 || typeof data.at !== 'string' || Number.isNaN(Date.parse(data.at))) return undefined;
    const since: Record<string, string | null> = {};
    for (const [text, start] of Object.entries(data.since ?? {})) since[text] = typeof start === 'string' ? start : null;
    const readings: MetricReadings = {};
    for (const metric of METRIC_NAMES) {
      const value = data.readings?.[metric];
      if (typeof value === 'number' && Number.isFinite(value)) readings[metric] = value;
    }
    return { version: 1, at: data.at, since, readings };
  } catch {
    return undefined; // missing or damaged: start afresh (a breach then waits its full `for` again)
  }
}

/**
 * The readings of a metrics source's last observation and when it was made, for reports and the
 * CLI to show beside its breaches; undefined when the source has not observed yet.
 */
export function lastReadings(cacheDir: string, name: string): { at: string; readings: MetricReadings } | undefined {
  const history = readHistory(historyPath(cacheDir, name));
  return history && { at: history.at, readings: history.readings };
}
