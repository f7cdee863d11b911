import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MetricName } from '../config/config.js';
import { messageOf } from '../errors.js';
import { writeFileAtomic } from '../write-atomic.js';

export interface HostMetricsOptions {
  /** A path on the file system whose usage disk_percent measures. */
  disk: string;
  /** Where the previous CPU sample is kept between runs (host-cpu.json). */
  cacheDir: string;
  /** The time of this run: decides whether the previous CPU sample is recent enough to use. */
  now: Date;
}

/** How long the previous CPU sample stays usable: older ones average over too long a time to say anything about now. */
const CPU_SAMPLE_MAX_AGE_MS = 15 * 60_000;
/** The least CPU time (summed over all CPUs) between two samples for their difference to mean something. */
const CPU_MIN_DELTA_MS = 200;
/** The wait between two samples when there is no usable previous one. */
const CPU_SAMPLE_GAP_MS = 200;
/** /proc/stat counts in USER_HZ ticks, which the kernel fixes at 100 per second for user space. */
const PROC_TICK_MS = 10;

/**
 * Reads the host's metrics from the OS, each rounded to two decimals:
 * - cpu_percent: busy share of all CPUs since the previous sample kept in `cacheDir` (from an earlier
 *   run, when it is at most 15 minutes old and from the same boot), else over two samples 200 ms
 *   apart; from /proc/stat on Linux, os.cpus() times elsewhere;
 * - memory_percent: 1 - MemAvailable/MemTotal from /proc/meminfo (os.freemem/os.totalmem elsewhere);
 * - disk_percent: used / (used + available to unprivileged users) of the file system holding
 *   `disk`, as df computes it;
 * - load1, load5, load15: os.loadavg() (zeros on Windows).
 *
 * Throws an Error naming what could not be read (a missing `disk` path, for example).
 */
export async function readHostMetrics(options: HostMetricsOptions): Promise<Record<MetricName, number>> {
  const disk = diskPercent(options.disk);
  const memory = memoryPercent();
  const cpu = await cpuPercent(options.cacheDir, options.now);
  const [load1, load5, load15] = os.loadavg();
  return {
    cpu_percent: round2(cpu),
    memory_percent: round2(memory),
    disk_percent: round2(disk),
    load1: round2(load1),
    load5: round2(load5),
    load15: round2(load15),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, value));
}

function diskPercent(disk: string): number {
  let st;
  try {
    st = statfsSync(disk);
  } catch (error) {
    throw new Error(`cannot measure disk usage of ${disk}: ${messageOf(error)}`);
  }
  const used = st.blocks - st.bfree;
  const total = used + st.bavail;
  return total > 0 ? clampPercent((used / total) * 100) : 0;
}

function memoryPercent(): number {
  const info = readTextOrUndefined('/proc/meminfo');
  if (info !== undefined) {
    const kb = (field: string): number | undefined => {
      const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(info);
      return m ? Number(m[1]) : undefined;
    };
    const total = kb('MemTotal');
    // Kernels before 3.14 have no MemAvailable: free + buffers + page cache is its usual estimate.
    const available = kb('MemAvailable') ?? sumDefined([kb('MemFree'), kb('Buffers'), kb('Cached')]);
    if (total && available !== undefined) return clampPercent((1 - available / total) * 100);
  }
  return clampPercent((1 - os.freemem() / os.totalmem()) * 100);
}

function sumDefined(values: (number | undefined)[]): number | undefined {
  return values.every((v) => v !== undefined) ? (values as number[]).reduce((a, b) => a + b, 0) : undefined;
}

interface CpuTimes {
  /** CPU time of all CPUs together, in milliseconds. */
  totalMs: number;
  idleMs: number;
}

/** What host-cpu.json keeps: the counters of the last run, where they came from and when. */
interface CpuSample extends CpuTimes {
  origin: 'proc' | 'os';
  /** Linux boot id: counters of another boot cannot be subtracted. */
  boot: string | null;
  at: string;
}

async function cpuPercent(cacheDir: string, now: Date): Promise<number> {
  const file = path.join(cacheDir, 'host-cpu.json');
  const current = sampleCpu(now);
  const previous = readPreviousSample(file);
  let percent: number | undefined;
  if (previous && usable(previous, current)) percent = busyPercent(previous, current);
  if (percent === undefined) {
    await sleep(CPU_SAMPLE_GAP_MS);
    const later = sampleCpu(now);
    percent = busyPercent(current, later) ?? 0;
    saveSample(file, later);
  } else {
    saveSample(file, current);
  }
  return percent;
}

function usable(previous: CpuSample, current: CpuSample): boolean {
  const ageMs = Date.parse(current.at) - Date.parse(previous.at);
  return previous.origin === current.origin && previous.boot === current.boot && ageMs > 0 && ageMs <= CPU_SAMPLE_MAX_AGE_MS;
}

/** Busy share between two samples, or undefined when too little CPU time passed to tell (or the counters went back). */
function busyPercent(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.totalMs - before.totalMs;
  const idle = after.idleMs - before.idleMs;
  if (total < CPU_MIN_DELTA_MS || idle < 0) return undefined;
  return clampPercent((1 - idle / total) * 100);
}

function sampleCpu(now: Date): CpuSample {
  const stat = readTextOrUndefined('/proc/stat');
  const line = stat && /^cpu +([\d ]+)$/m.exec(stat);
  if (line) {
    // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already in user and nice.
    const ticks = line[1].trim().split(/\s+/).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    const boot = readTextOrUndefined('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
    return { origin: 'proc', boot, at: now.toISOString(), totalMs: total * PROC_TICK_MS, idleMs: idle * PROC_TICK_MS };
  }
  let totalMs = 0;
  let idleMs = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    totalMs += t.user + t.nice + t.sys + t.idle + t.irq;
    idleMs += t.idle;
  }
  return { origin: 'os', boot: null, at: now.toISOString(), totalMs, idleMs };
}

function readPreviousSample(file: string): CpuSample | undefined {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<CpuSample>;
    const ok = (data.origin === 'proc' || data.origin === 'os') && typeof data.at === 'string' && Number.isFinite(data.totalMs) && Number.isFinite(data.idleMs);
    return ok ? { origin: data.origin as CpuSample['origin'], boot: typeof data.boot === 'string' ? data.boot : null, at: data.at as string, totalMs: data.totalMs as number, idleMs: data.idleMs as number } : undefined;
  } catch {
    return undefined; // missing or damaged: it is only a cache
  }
}

/** Best effort: a cache that cannot be written only costs the next run a 200 ms sample. */
function saveSample(file: string, sample: CpuSample): void {
  try {
    writeFileAtomic(file, `${JSON.stringify(sample)}\n`);
  } catch {
    // ignored on purpose
  }
}

function readTextOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
