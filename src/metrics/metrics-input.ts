import type { Config } from '../config/config.js';
import type { LedgerReader } from '../ledger/reader.js';
import { zeroBySeverity, type MetricsInput } from './driftctl-metrics.js';

/**
 * The data behind driftctl's Prometheus metrics, read from the ledger alone (head.json,
 * alerts.json, the latest report record and the commit history), for every configured target.
 * Read-only: takes no lock. An empty reader (no ledger yet) gives zero commits and empty targets.
 */
export async function readMetricsInput(reader: LedgerReader, config: Config): Promise<MetricsInput> {
  const history = await reader.history();
  const counts = new Map<string, { checks: number; drift: number; accepts: number }>();
  const lastHeartbeat = new Map<string, number>();
  for (const entry of history) {
    if (!entry.target) continue;
    const c = counts.get(entry.target) ?? { checks: 0, drift: 0, accepts: 0 };
    counts.set(entry.target, c);
    if (entry.kind === 'heartbeat') {
      // Unchanged checks are recorded only as a count in the next heartbeat.
      c.checks += Number(entry.trailers['Drift-Checks'] ?? 0);
      lastHeartbeat.set(entry.target, Math.max(lastHeartbeat.get(entry.target) ?? 0, entry.time));
    } else if (entry.kind === 'report') {
      c.checks++;
      if (entry.trailers['Drift-Status'] === 'drift') c.drift++;
    } else if (entry.kind === 'accept') c.accepts++;
  }
  const targets: MetricsInput['targets'] = [];
  for (const target of config.targets) {
    const openAlerts = zeroBySeverity();
    let changes: MetricsInput['targets'][number]['changes'] = null;
    let lastCheck: MetricsInput['targets'][number]['lastCheck'] = null;
    if (reader.tip) {
      const head = await reader.head(target.name);
      for (const alert of Object.values((await reader.alertsState(target.name)).open)) openAlerts[alert.severity]++;
      if (head.report) {
        lastCheck = { timeSeconds: Math.max(Date.parse(head.report.time), lastHeartbeat.get(target.name) ?? 0) / 1000, status: head.report.status };
        const report = await reader.latestReport(target.name);
        changes = { ...zeroBySeverity(), ...(report?.summary.bySeverity ?? {}) };
      }
    }
    const c = counts.get(target.name) ?? { checks: 0, drift: 0, accepts: 0 };
    targets.push({ target: target.name, lastCheck, changes, checks: c.checks, driftReports: c.drift, accepts: c.accepts, openAlerts, checkDurationSeconds: null });
  }
  return { ledgerCommits: new Set(history.map((e) => e.commit.oid)).size, targets };
}
