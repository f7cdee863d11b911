import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import type { TargetConfig } from '../config/config.js';
import { DriftError, isDriftError, messageOf, type ErrorCode } from '../errors.js';
import type { Scheduler, ScheduledJob } from '../schedule/scheduler.js';
import type { CheckResult } from './check.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { checkWithMetrics } from './metrics.js';

export interface DaemonOptions extends ConfigOption {
  /** Run every scheduled target once, one after the other, and return (no timers). */
  once?: boolean;
  /** After each run, write Prometheus metrics here (see checkWithMetrics). */
  metricsFile?: string;
  /** Aborting stops scheduling, lets the run in progress finish, and makes `daemon` return. */
  signal?: AbortSignal;
  /** The cron implementation (default: node-cron, loaded on demand). */
  scheduler?: Scheduler;
  /** Receives one event per scheduled target at start, per run start and end, and per skipped tick. */
  onEvent?: (event: DaemonEvent) => void;
  /** Wall clock for run timestamps (default Date.now); the ledger's clock stays deps.now. */
  clock?: () => number;
}

/** How one scheduled run ended. */
export type RunVerdict = 'clean' | 'drift' | 'error';

export type DaemonEvent =
  | { event: 'scheduled'; target: string; schedule: string; timezone: string | null; next: string | null }
  | { event: 'started'; target: string; started: string }
  | {
      event: 'run';
      target: string;
      verdict: RunVerdict;
      started: string;
      ended: string;
      durationMs: number;
      report: string | null;
      changes: number;
      highest: string | null;
      autoAccepted: boolean;
      error: { code: ErrorCode; message: string } | null;
    }
  | { event: 'skipped'; target: string; at: string; reason: string }
  | { event: 'stopping'; at: string };

export interface DaemonResult {
  targets: string[];
  runs: number;
  verdicts: Record<RunVerdict, number>;
}

/**
 * Checks each enabled target on its `schedule` until `signal` aborts (or once, with `once`).
 * Runs never overlap: a tick that comes while the same target's previous run is still going is
 * skipped, and runs of different targets wait for each other (one check at a time in this
 * process, on top of the ledger lock that keeps other processes out). On abort no new run starts,
 * every timer is destroyed, and the run in progress finishes (its commits land whole) before this
 * returns. A run that fails (lock held, source gone) is reported as verdict `error` and the daemon
 * goes on. Throws NO_SCHEDULE when no enabled target has a schedule.
 */
export async function daemon(deps: OpDeps, options: DaemonOptions): Promise<DaemonResult> {
  const config = loadConfig(resolveConfigPath(deps.cwd, options.config), deps.cwd);
  const scheduled = config.targets.filter((t): t is TargetConfig & { schedule: string } => t.enabled && t.schedule !== undefined);
  if (scheduled.length === 0) {
    throw new DriftError('NO_SCHEDULE', `${config.file}: no enabled target has a schedule (set "schedule: '*/15 * * * *'" on the config or on targets[])`, {});
  }
  const emit = options.onEvent ?? ((): void => undefined);
  const clock = options.clock ?? Date.now;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const result: DaemonResult = { targets: scheduled.map((t) => t.name), runs: 0, verdicts: { clean: 0, drift: 0, error: 0 } };
  // The deps of each check: no progress line (it would interleave with the log).
  const runDeps: OpDeps = { ...deps, onProgress: undefined };
  let stopping = false;
  let queue: Promise<void> = Promise.resolve();

  const runOnce = async (target: string): Promise<void> => {
    if (stopping) return;
    const started = clock();
    emit({ event: 'started', target, started: iso(started) });
    let checkResult: CheckResult | undefined;
    let error: { code: ErrorCode; message: string } | null = null;
    let metricsError: unknown = null;
    try {
      ({ result: checkResult, metricsError } = await checkWithMetrics(runDeps, { config: options.config, targets: [target], metricsFile: options.metricsFile, clock }));
    } catch (caught) {
      error = { code: isDriftError(caught) ? caught.code : 'INTERNAL', message: messageOf(caught) };
    }
    const failure = checkResult?.failures[0];
    if (failure) error = { code: failure.code, message: failure.message };
    const verdict: RunVerdict = error || !checkResult ? 'error' : checkResult.status;
    if (metricsError) error ??= { code: isDriftError(metricsError) ? metricsError.code : 'METRICS_FAILED', message: `metrics file: ${messageOf(metricsError)}` };
    const ended = clock();
    const report = checkResult?.reports[0];
    result.runs++;
    result.verdicts[verdict]++;
    emit({
      event: 'run',
      target,
      verdict,
      started: iso(started),
      ended: iso(ended),
      durationMs: ended - started,
      report: report?.id ?? null,
      changes: report?.summary.total ?? 0,
      highest: report && report.summary.total > 0 ? report.summary.highest : null,
      autoAccepted: checkResult?.autoAccepted.some((a) => a.status === 'accepted') ?? false,
      error,
    });
  };
  // One run at a time in this process; a run's promise settles when it is done, which is what
  // the scheduler's no-overlap rule waits for.
  const enqueue = (target: string): Promise<void> => (queue = queue.then(() => runOnce(target)));

  if (options.once) {
    for (const target of scheduled) await enqueue(target.name);
    return result;
  }

  const scheduler = options.scheduler ?? (await import('../schedule/cron-scheduler.js')).createCronScheduler();
  const jobs: ScheduledJob[] = [];
  try {
    for (const target of scheduled) {
      const job = scheduler.schedule({
        name: `driftctl:${target.name}`,
        expression: target.schedule,
        ...(target.timezone ? { timezone: target.timezone } : {}),
        run: () => enqueue(target.name),
        onSkipped: (at) => emit({ event: 'skipped', target: target.name, at: at.toISOString(), reason: 'the previous run of this target is still going' }),
      });
      jobs.push(job);
      const next = job.nextRun();
      emit({ event: 'scheduled', target: target.name, schedule: target.schedule, timezone: target.timezone ?? null, next: next ? next.toISOString() : null });
    }
    await new Promise<void>((resolve) => {
      // Without a signal the daemon runs until the process ends.
      if (options.signal?.aborted) return resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    stopping = true;
    emit({ event: 'stopping', at: iso(clock()) });
  } finally {
    stopping = true;
    await Promise.all(jobs.map((job) => job.destroy()));
    await queue;
  }
  return result;
}
