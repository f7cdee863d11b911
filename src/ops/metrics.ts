import path from 'node:path';
import { readAlertsState } from '../alerts/alert-engine.js';
import type { Config } from '../config/config.js';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import type { DriftReport } from '../drift/report.js';
import { isDriftError } from '../errors.js';
import { recordPath } from '../ledger/layout.js';
import { Ledger } from '../ledger/ledger.js';
import { renderDriftctlMetrics, zeroBySeverity, type MetricsInput } from '../metrics/driftctl-metrics.js';
import { writeTextfile } from '../metrics/write-textfile.js';
import type { ConfigOption, OpDeps, TargetFilter } from '../session/deps.js';
import { readHistory } from '../ledger/history.js';
import { readHead } from '../ledger/recorder.js';
import { openStore, selectTargets } from '../session/workspace.js';

/**
 * The data behind driftctl's Prometheus metrics, read from the ledger at `tip` alone (head.json,
 * alerts.json, the latest report record and the commit history), for every configured target.
 * Read-only: takes no lock. `tip` undefined (no ledger yet) gives zero commits and empty targets.
 */
export async function readMetricsInput(ledger: Ledger | undefined, config: Config, tip: string | undefined): Promise<MetricsInput> {
  const history = ledger && tip ? await readHistory(ledger, tip) : [];
  const counts = new Map<string, { checks: number; drift: number; accepts: number }>();
  for (const entry of history) {
    if (!entry.target) continue;
    const c = counts.get(entry.target) ?? { checks: 0, drift: 0, accepts: 0 };
    counts.set(entry.target, c);
    if (entry.kind === 'report') {
      c.checks++;
      if (entry.trailers['Drift-Status'] === 'drift') c.drift++;
    } else if (entry.kind === 'accept') c.accepts++;
  }
  const targets: MetricsInput['targets'] = [];
  for (const target of config.targets) {
    const openAlerts = zeroBySeverity();
    let changes: MetricsInput['targets'][number]['changes'] = null;
    let lastCheck: MetricsInput['targets'][number]['lastCheck'] = null;
    if (ledger && tip) {
      const head = await readHead(ledger, tip, target.name);
      for (const alert of Object.values((await readAlertsState(ledger, tip, target.name)).open)) openAlerts[alert.severity]++;
      if (head.report) {
        lastCheck = { timeSeconds: Date.parse(head.report.time) / 1000, status: head.report.status };
        const report = await ledger.readJson<DriftReport>(tip, recordPath(target.name, head.report.id, 'report'));
        changes = { ...zeroBySeverity(), ...(report?.summary.bySeverity ?? {}) };
      }
    }
    const c = counts.get(target.name) ?? { checks: 0, drift: 0, accepts: 0 };
    targets.push({ target: target.name, lastCheck, changes, checks: c.checks, driftReports: c.drift, accepts: c.accepts, openAlerts, checkDurationSeconds: null });
  }
  return { ledgerCommits: history.length, targets };
}

/** The ledger of `config` and its tip; both undefined when the ledger repository or branch does not exist yet. */
export async function openLedgerTip(config: Config): Promise<{ ledger: Ledger | undefined; tip: string | undefined }> {
  let ledger: Ledger;
  try {
    ledger = new Ledger(openStore(config), config.ledger.branch);
  } catch (error) {
    if (isDriftError(error) && (error.code === 'LEDGER_REPO_MISSING' || error.code === 'NOT_A_GIT_REPOSITORY')) return { ledger: undefined, tip: undefined };
    throw error;
  }
  return { ledger, tip: await ledger.tip() };
}

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
  const { ledger, tip } = await openLedgerTip(config);
  const input = await readMetricsInput(ledger, config, tip);
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
