import path from 'node:path';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { renderDriftctlMetrics, type MetricsInput } from '../metrics/driftctl-metrics.js';
import { readMetricsInput } from '../metrics/metrics-input.js';
import { writeTextfile } from '../metrics/write-textfile.js';
import type { ConfigOption, OpDeps, TargetFilter } from '../session/deps.js';
import { check, type CheckOptions, type CheckResult } from './check.js';
import { selectTargets } from '../session/targets.js';
import { openReader } from '../session/workspace.js';

export interface CheckMetricsOptions extends ConfigOption, TargetFilter {
  /** Where to write (relative to deps.cwd). */
  file: string;
  /** Wall time of the check run, attributed to every target it checked or failed to check. */
  durationSeconds: number;
  /**
   * What the check did. Absent when the check itself failed (ledger missing, lock held, …): then
   * every selected target is reported with status `error`.
   */
  outcome?: { checked: string[]; failed: string[] };
}

export interface CheckMetricsResult {
  file: string;
  input: MetricsInput;
}

/**
 * Writes the metrics after a check (`check --metrics-file`): the ledger's view, plus what only
 * the run knows: its wall time, and targets whose source failed (status `error`, time now),
 * which leave no trace on the ledger. Atomic (see writeTextfile).
 */
export async function writeCheckMetrics(deps: OpDeps, options: CheckMetricsOptions): Promise<CheckMetricsResult> {
  const config = loadConfig(resolveConfigPath(deps.cwd, options.config), deps.cwd);
  const outcome = options.outcome ?? { checked: [], failed: selectTargets(config, options.targets, options.labels).selected.map((t) => t.name) };
  const input = await readMetricsInput(await openReader(config), config);
  const nowSeconds = deps.now().getTime() / 1000;
  for (const t of input.targets) {
    const failed = outcome.failed.includes(t.target);
    if (failed) t.lastCheck = { timeSeconds: nowSeconds, status: 'error' };
    if (failed || outcome.checked.includes(t.target)) t.checkDurationSeconds = Math.round(options.durationSeconds * 1e6) / 1e6;
  }
  const file = path.resolve(deps.cwd, options.file);
  writeTextfile(file, renderDriftctlMetrics(input));
  return { file, input };
}

export interface MeteredCheckOptions extends CheckOptions {
  /** `--metrics-file`: write the metrics there after the check, whatever its outcome. */
  metricsFile?: string;
  /** Clock for the run's wall time, in milliseconds (default performance.now). */
  clock?: () => number;
}

/**
 * `check`, then the metrics file (the one place it is written after a check: `check
 * --metrics-file` and the daemon). When the check throws, the metrics are still written (its
 * targets get status `error`, if the config and ledger can be read; a failure to write them is
 * ignored) and the check's error is thrown. Otherwise a failure to write the metrics comes back
 * as `metricsError`, next to the check's result.
 */
export async function checkWithMetrics(deps: OpDeps, options: MeteredCheckOptions): Promise<{ result: CheckResult; metricsError: unknown }> {
  const { metricsFile, clock = () => performance.now(), ...checkOptions } = options;
  const started = clock();
  const write = (outcome?: CheckMetricsOptions['outcome']): Promise<unknown> =>
    metricsFile
      ? writeCheckMetrics(deps, { config: options.config, targets: options.targets, labels: options.labels, file: metricsFile, durationSeconds: (clock() - started) / 1000, ...(outcome ? { outcome } : {}) }).then(
          () => null,
          (error: unknown) => error,
        )
      : Promise.resolve(null);
  let result: CheckResult;
  try {
    result = await check(deps, checkOptions);
    if (result.status === 'drift') await (await import('./remediate.js')).autoRemediate(deps, checkOptions, result);
  } catch (error) {
    await write();
    throw error;
  }
  const metricsError = await write({ checked: result.reports.map((r) => r.target), failed: result.failures.map((f) => f.target) });
  return { result, metricsError };
}
