import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetricsSourceConfig, MetricThreshold } from '../../src/config/config.js';
import { parseThreshold } from '../../src/config/thresholds.js';
import { contentHash, type ManifestEntry } from '../../src/drift/manifest.js';
import { DriftError } from '../../src/errors.js';
import { readHostMetrics } from '../../src/sources/host-metrics.js';
import { createMetricsSource, evaluateThresholds, lastReadings, type MetricReadings, type ThresholdHistory } from '../../src/sources/metrics-source.js';
import { createSource } from '../../src/sources/registry.js';
import { inTempDir } from '../helpers/temp.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);
const iso = (minutes: number): string => at(minutes).toISOString();

const CPU = parseThreshold('cpu_percent > 80 for 5m');

/** Feeds readings at the given minutes through evaluateThresholds, carrying the history; returns each step's breaches as [text, since]. */
function walk(thresholds: MetricThreshold[], steps: [number, MetricReadings][]): [string, string][][] {
  let history: ThresholdHistory | undefined;
  return steps.map(([minute, readings]) => {
    const result = evaluateThresholds(thresholds, readings, history, at(minute));
    history = result.history;
    return result.breaches.map((b) => [b.threshold.text, b.since]);
  });
}

test('evaluate: a breach appears only once the condition held for the whole duration', () => {
  const steps = walk([CPU], [
    [0, { cpu_percent: 90 }],
    [3, { cpu_percent: 95 }],
    [4.99, { cpu_percent: 85 }],
    [5, { cpu_percent: 81 }],
    [6, { cpu_percent: 99 }],
  ]);
  assert.equal(steps, [[], [], [], [['cpu_percent > 80 for 5m', iso(0)]], [['cpu_percent > 80 for 5m', iso(0)]]]);
});

test('evaluate: a dip restarts the wait, a recovery clears the breach', () => {
  const steps = walk([CPU], [
    [0, { cpu_percent: 90 }],
    [3, { cpu_percent: 80 }], // not > 80: reset
    [4, { cpu_percent: 90 }],
    [8, { cpu_percent: 90 }],
    [9, { cpu_percent: 90 }],
    [10, { cpu_percent: 12.5 }],
    [11, { cpu_percent: 90 }],
  ]);
  assert.equal(steps, [[], [], [], [], [['cpu_percent > 80 for 5m', iso(4)]], [], []]);
});

test('evaluate: the history records starts and resets per threshold', () => {
  const disk = parseThreshold('disk_percent >= 90', 'critical');
  const first = evaluateThresholds([CPU, disk], { cpu_percent: 90, disk_percent: 50 }, undefined, at(0));
  assert.equal(first.history, { at: iso(0), since: { 'cpu_percent > 80 for 5m': iso(0), 'disk_percent >= 90': null } });
  const second = evaluateThresholds([disk], { cpu_percent: 90, disk_percent: 90 }, first.history, at(1));
  assert.equal(second.history, { at: iso(1), since: { 'disk_percent >= 90': iso(1) } }, 'thresholds no longer configured are dropped');
  assert.equal(second.breaches, [{ threshold: disk, value: 90, since: iso(1) }], 'no duration: a breach at once');
});

test('evaluate: < and <= compare downwards', () => {
  const low = parseThreshold('memory_percent < 10');
  const lowEq = parseThreshold('load1 <= 0.5', 'low');
  const texts = (readings: MetricReadings): string[] => evaluateThresholds([low, lowEq], readings, undefined, at(0)).breaches.map((b) => b.threshold.text);
  assert.equal(texts({ memory_percent: 9.99, load1: 0.5 }), ['memory_percent < 10', 'load1 <= 0.5']);
  assert.equal(texts({ memory_percent: 10, load1: 0.51 }), []);
});

test('evaluate: a missing reading resets; a history from the future is ignored', () => {
  const held: ThresholdHistory = { at: iso(4), since: { 'cpu_percent > 80 for 5m': iso(0) } };
  assert.equal(evaluateThresholds([CPU], {}, held, at(6)), { breaches: [], history: { at: iso(6), since: { 'cpu_percent > 80 for 5m': null } } });
  assert.equal(evaluateThresholds([CPU], { cpu_percent: 90 }, held, at(6)).breaches.map((b) => b.since), [iso(0)]);
  // The clock went back to minute 3: the history written at minute 4 cannot be trusted.
  assert.equal(evaluateThresholds([CPU], { cpu_percent: 90 }, held, at(3)), { breaches: [], history: { at: iso(3), since: { 'cpu_percent > 80 for 5m': iso(3) } } });
  // A start later than now (a hand-edited file) restarts at now.
  const odd: ThresholdHistory = { at: iso(0), since: { 'cpu_percent > 80 for 5m': iso(30) } };
  assert.equal(evaluateThresholds([CPU], { cpu_percent: 90 }, odd, at(1)).history.since, { 'cpu_percent > 80 for 5m': iso(1) });
});

// ---- the source end to end, with readings files

function metricsConfig(dir: string, thresholds: MetricThreshold[], extra: Partial<MetricsSourceConfig> = {}): MetricsSourceConfig {
  return { kind: 'metrics', name: 'host', ignoreFields: [], thresholds, disk: '/', readings: path.join(dir, 'readings.json'), ...extra };
}

function writeReadings(dir: string, readings: Record<string, unknown>): void {
  writeFileSync(path.join(dir, 'readings.json'), JSON.stringify(readings));
}

async function observeAt(config: MetricsSourceConfig, cacheDir: string, minute: number): Promise<Record<string, ManifestEntry>> {
  const observation = await (await createSource(config)).observe({ cacheDir, env: {}, now: at(minute) });
  assert.equal(observation.stats, { entries: observation.entries.size, hashed: 0, reused: 0, errors: 0 });
  return Object.fromEntries(observation.entries);
}

function breachEntry(content: Record<string, string | number>, severity: string, rule: string, reading: number): ManifestEntry {
  return { type: 'value', sha256: contentHash(content), content, severity: severity as 'high', rule, reading };
}

async function expectSourceFailed(promise: Promise<unknown>, fragment: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, DriftError);
    assert.is((error as DriftError).code, 'SOURCE_FAILED');
    assert.equal((error as DriftError).data, { source: 'host' });
    assert.ok((error as DriftError).message.includes(fragment), `${(error as DriftError).message}\n  should include: ${fragment}`);
    return;
  }
  assert.unreachable('observe should have failed');
}

test(
  'source: breaches appear after their duration, stay identical while they last and clear on recovery',
  inTempDir('metrics', async (dir) => {
    const cache = path.join(dir, 'cache');
    const config = metricsConfig(dir, [CPU, parseThreshold('disk_percent >= 90', 'critical'), parseThreshold('memory_percent<10', 'medium')]);
    const cpuBreach = (reading: number) => breachEntry({ for: '5m', metric: 'cpu_percent', op: '>', since: iso(0), threshold: 80 }, 'high', 'cpu_percent > 80 for 5m', reading);
    const diskBreach = (since: number, reading: number) => breachEntry({ metric: 'disk_percent', op: '>=', since: iso(since), threshold: 90 }, 'critical', 'disk_percent >= 90', reading);

    writeReadings(dir, { cpu_percent: 93.5, memory_percent: 40, disk_percent: 91, load1: 1 });
    assert.equal(await observeAt(config, cache, 0), { 'disk_percent >= 90': diskBreach(0, 91) });

    writeReadings(dir, { cpu_percent: 97, memory_percent: 40, disk_percent: 95 });
    assert.equal(await observeAt(config, cache, 3), { 'disk_percent >= 90': diskBreach(0, 95) }, 'the live value is shown, not hashed: same sha256');
    assert.equal(lastReadings(cache, 'host'), { at: iso(3), readings: { cpu_percent: 97, memory_percent: 40, disk_percent: 95 } });

    writeReadings(dir, { cpu_percent: 88, memory_percent: 40, disk_percent: 95 });
    assert.equal(await observeAt(config, cache, 6), { 'cpu_percent > 80 for 5m': cpuBreach(88), 'disk_percent >= 90': diskBreach(0, 95) });

    writeReadings(dir, { cpu_percent: 99, memory_percent: 40, disk_percent: 95 });
    assert.equal(await observeAt(config, cache, 9), { 'cpu_percent > 80 for 5m': cpuBreach(99), 'disk_percent >= 90': diskBreach(0, 95) });

    writeReadings(dir, { cpu_percent: 20, memory_percent: 5, disk_percent: 89.99 });
    assert.equal(await observeAt(config, cache, 12), {
      'memory_percent < 10': breachEntry({ metric: 'memory_percent', op: '<', since: iso(12), threshold: 10 }, 'medium', 'memory_percent < 10', 5),
    });

    writeReadings(dir, { cpu_percent: 20, memory_percent: 50, disk_percent: 50 });
    assert.equal(await observeAt(config, cache, 15), {}, 'all recovered');

    const history = JSON.parse(readFileSync(path.join(cache, 'host.metrics.json'), 'utf8'));
    assert.equal(history, {
      version: 1,
      at: iso(15),
      since: { 'cpu_percent > 80 for 5m': null, 'disk_percent >= 90': null, 'memory_percent < 10': null },
      readings: { cpu_percent: 20, memory_percent: 50, disk_percent: 50 },
    });
    assert.equal(readdirSync(cache), ['host.metrics.json'], 'no temporary files left behind');
  }),
);

test(
  'source: the clock going back resets the waits; a damaged history starts afresh',
  inTempDir('metrics', async (dir) => {
    const cache = path.join(dir, 'cache');
    const config = metricsConfig(dir, [CPU]);
    writeReadings(dir, { cpu_percent: 90 });
    await observeAt(config, cache, 10);
    assert.equal(await observeAt(config, cache, 16), { 'cpu_percent > 80 for 5m': breachEntry({ for: '5m', metric: 'cpu_percent', op: '>', since: iso(10), threshold: 80 }, 'high', 'cpu_percent > 80 for 5m', 90) });
    assert.equal(await observeAt(config, cache, 12), {}, 'history from the future');
    assert.equal(Object.keys(await observeAt(config, cache, 17)), ['cpu_percent > 80 for 5m'], 'held since minute 12');
    writeFileSync(path.join(cache, 'host.metrics.json'), '{"version": 1, "at": ');
    assert.equal(await observeAt(config, cache, 20), {});
    assert.equal(lastReadings(cache, 'host'), { at: iso(20), readings: { cpu_percent: 90 } });
    assert.is(lastReadings(cache, 'other'), undefined);
  }),
);

test(
  'source: ignore_fields apply to breach content; two sources keep separate histories',
  inTempDir('metrics', async (dir) => {
    const cache = path.join(dir, 'cache');
    writeReadings(dir, { load5: 6 });
    const load = parseThreshold('load5 > 4', 'low');
    const a = metricsConfig(dir, [load], { name: 'a', ignoreFields: [{ fields: ['since'] }] });
    const b = metricsConfig(dir, [load], { name: 'b' });
    assert.equal(await observeAt(a, cache, 0), { 'load5 > 4': breachEntry({ metric: 'load5', op: '>', threshold: 4 }, 'low', 'load5 > 4', 6) });
    assert.equal(await observeAt(b, cache, 1), { 'load5 > 4': breachEntry({ metric: 'load5', op: '>', since: iso(1), threshold: 4 }, 'low', 'load5 > 4', 6) });
    assert.equal(readdirSync(cache).sort(), ['a.metrics.json', 'b.metrics.json']);
  }),
);

test(
  'source: readings files that cannot serve the thresholds are source failures naming file and metric',
  inTempDir('metrics', async (dir) => {
    const cache = path.join(dir, 'cache');
    const file = path.join(dir, 'readings.json');
    const config = metricsConfig(dir, [parseThreshold('memory_percent > 90'), CPU]);
    writeReadings(dir, { memory_percent: 50, disk_percent: 99 });
    await expectSourceFailed(observeAt(config, cache, 0), `source "host": readings file ${file} has no "cpu_percent" (threshold "cpu_percent > 80 for 5m" needs it)`);
    writeReadings(dir, { memory_percent: 50, cpu_percent: '93%' });
    await expectSourceFailed(observeAt(config, cache, 0), `readings file ${file} has "cpu_percent" = "93%", not a number`);
    writeFileSync(file, '[1, 2]');
    await expectSourceFailed(observeAt(config, cache, 0), `readings file ${file} is not a JSON object of metric values`);
    writeFileSync(file, '{"cpu_percent": ');
    await expectSourceFailed(observeAt(config, cache, 0), `cannot read readings file ${file}: `);
    rmSync(file);
    await expectSourceFailed(observeAt(config, cache, 0), `cannot read readings file ${file}: ENOENT`);
    assert.not.ok(existsSync(path.join(cache, 'host.metrics.json')), 'a failed observation leaves no history');
  }),
);

// ---- the real OS (ranges only: the values are this machine's)

test(
  'host: readings from the OS are in plausible ranges and feed the source',
  inTempDir('metrics', async (dir) => {
    const cache = path.join(dir, 'cache');
    const readings = await readHostMetrics({ disk: dir, cacheDir: cache, now: new Date() });
    assert.equal(Object.keys(readings).sort(), ['cpu_percent', 'disk_percent', 'load1', 'load15', 'load5', 'memory_percent']);
    for (const metric of ['cpu_percent', 'memory_percent', 'disk_percent'] as const) {
      assert.ok(readings[metric] >= 0 && readings[metric] <= 100, `${metric} = ${readings[metric]}`);
    }
    for (const metric of ['load1', 'load5', 'load15'] as const) assert.ok(readings[metric] >= 0, `${metric} = ${readings[metric]}`);
    for (const value of Object.values(readings)) assert.is(Math.round(value * 100) / 100, value, 'two decimals');
    assert.ok(existsSync(path.join(cache, 'host-cpu.json')), 'the CPU sample is kept for the next run');

    const source = createMetricsSource({ kind: 'metrics', name: 'os', ignoreFields: [], disk: '/', thresholds: [parseThreshold('memory_percent >= 0'), parseThreshold('load1 < 0')] });
    const observation = await source.observe({ cacheDir: cache, env: {}, now: new Date() });
    assert.equal([...observation.entries.keys()], ['memory_percent >= 0']);
    const last = lastReadings(cache, 'os');
    assert.ok(last && last.readings.memory_percent !== undefined && last.readings.memory_percent >= 0);

    const missing = path.join(dir, 'no-such-disk');
    await expectSourceFailed(
      createMetricsSource({ kind: 'metrics', name: 'host', ignoreFields: [], disk: missing, thresholds: [] }).observe({ cacheDir: cache, env: {}, now: new Date() }),
      `source "host": cannot read host metrics: cannot measure disk usage of ${missing}: ENOENT`,
    );
  }),
);

test.run();
