import path from 'node:path';
import { personLine } from '../ledger/records.js';
import { bySeverityThenAge, readAlertsState, readEntryRecord, readHead, readLatestReport } from '../ledger/reader.js';
import type { Severity } from '../drift/severity-levels.js';
import type { TargetConfig } from '../config/config.js';
import { renderHtmlReport } from '../render/html-report.js';
import { REPORT_MAX_CHANGES, zeroCounts, type AcceptRow, type CheckPoint, type ReportModel, type SeverityCounts, type TargetReport } from '../render/report-model.js';
import { summarize } from '../drift/report.js';
import { changeView, type ChangeView } from '../render/views.js';
import { changeKey, contentDiffs } from '../session/change-content.js';
import type { DriftReport } from '../drift/report.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { ConfigOption, OpDeps, TargetFilter } from '../session/deps.js';
import { readHistory } from '../ledger/history.js';
import type { HeartbeatRecord } from '../ledger/heartbeat.js';
import { heartbeatPath, recordPath } from '../ledger/layout.js';
import { selectTargets } from '../session/targets.js';
import { openWorkspace, type Workspace } from '../session/workspace.js';
import { writeFileAtomic } from '../write-atomic.js';
import { readWaivers } from '../ledger/loop-records.js';
import { configWaivers } from '../session/loop-hooks.js';
import { isActive } from '../drift/waivers.js';

export interface ReportHtmlOptions extends ConfigOption, TargetFilter {
  /** Window length in ms (default 30 days). */
  sinceMs?: number;
  /** How the window is shown ("30d"); default derived from sinceMs. */
  sinceLabel?: string;
  /** Write the HTML page here (relative to cwd). Without it, only the model is built. */
  htmlFile?: string;
}

export interface ReportHtmlResult {
  model: ReportModel;
  /** The page written, or null when no file was asked for. */
  html: { file: string; bytes: number } | null;
}

export const DEFAULT_REPORT_WINDOW_MS = 30 * 86_400_000;

/**
 * Reads the ledger (read-only, no lock) into the report model: per target the checks within the
 * window, open alerts, accepts with their reasons and the latest report's changes; then, if asked,
 * renders the self-contained HTML page and writes it atomically (temporary file + rename).
 */
export async function reportHtml(deps: OpDeps, options: ReportHtmlOptions): Promise<ReportHtmlResult> {
  const ws = openWorkspace(deps, options);
  const tip = await ws.ledger.requireTip();
  const windowMs = options.sinceMs ?? DEFAULT_REPORT_WINDOW_MS;
  const model = await buildReportModel(ws, tip, deps.now(), windowMs, options.sinceLabel ?? durationLabel(windowMs), options.targets);
  if (!options.htmlFile) return { model, html: null };
  const file = path.resolve(deps.cwd, options.htmlFile);
  const page = renderHtmlReport(model);
  writeFileAtomic(file, page);
  return { model, html: { file, bytes: Buffer.byteLength(page) } };
}

export async function buildReportModel(ws: Workspace, tip: string, now: Date, windowMs: number, label: string, names?: string[]): Promise<ReportModel> {
  const sinceMs = now.getTime() - windowMs;
  const { selected, disabled } = selectTargets(ws.config, names);
  const order = new Map(ws.config.targets.map((t, i) => [t.name, i]));
  const chosen: TargetConfig[] = [...selected, ...disabled].sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  const wanted = new Set(chosen.map((t) => t.name));

  const checks = new Map<string, CheckPoint[]>(chosen.map((t) => [t.name, []]));
  const accepts = new Map<string, AcceptRow[]>(chosen.map((t) => [t.name, []]));
  // readHistory is newest first: accepts stay newest first, checks are reversed below.
  for (const entry of await readHistory(ws.ledger, tip, { sinceMs })) {
    if (!entry.target || !wanted.has(entry.target) || (entry.records.length === 0 && entry.kind !== 'heartbeat')) continue;
    if (entry.kind === 'heartbeat') {
      // Unchanged checks stand behind a heartbeat: shown as one point carrying their count.
      const heartbeat = await ws.ledger.readJson<HeartbeatRecord>(entry.commit.oid, heartbeatPath(entry.target));
      const report = heartbeat?.last.report ? await ws.ledger.readJson<DriftReport>(entry.commit.oid, recordPath(entry.target, heartbeat.last.report, 'report')) : undefined;
      if (!heartbeat || !report || Date.parse(heartbeat.time) < sinceMs) continue;
      checks.get(entry.target)?.push({
        report: report.id,
        time: heartbeat.time,
        status: report.status,
        highest: report.summary.highest,
        total: report.summary.total,
        bySeverity: countsOf(report.summary.bySeverity),
        repeated: heartbeat.checks,
      });
    } else if (entry.kind === 'report') {
      const report = await readEntryRecord(ws.ledger, entry, 'report');
      if (!report || Date.parse(report.time) < sinceMs) continue;
      checks.get(entry.target)?.push({
        report: report.id,
        time: report.time,
        status: report.status,
        highest: report.summary.highest,
        total: report.summary.total,
        bySeverity: countsOf(report.summary.bySeverity),
      });
    } else if (entry.kind === 'accept') {
      const record = await readEntryRecord(ws.ledger, entry, 'accept');
      if (!record || Date.parse(record.time) < sinceMs) continue;
      accepts.get(entry.target)?.push({
        id: record.id,
        time: record.time,
        by: personLine(record.by),
        reason: record.reason,
        scope: record.scope,
        keys: record.keys,
        changes: record.changes.length,
        bySeverity: countsOf(summarize(record.changes).bySeverity),
      });
    }
  }

  const targets: TargetReport[] = [];
  for (const target of chosen) {
    const head = await readHead(ws.ledger, tip, target.name);
    const state = await readAlertsState(ws.ledger, tip, target.name);
    const report = await readLatestReport(ws.ledger, tip, target.name);
    const openAlerts = Object.values(state.open)
      .map((a) => ({ id: a.id, fingerprint: a.fingerprint, source: a.source, class: a.class, severity: a.severity, openedAt: a.openedAt, updatedAt: a.updatedAt, changes: a.changes, report: a.reportId }))
      .sort(bySeverityThenAge);
    const waivers = [...(await readWaivers(ws.ledger, tip, target.name)), ...configWaivers(ws.config, target.name)]
      .filter((w) => isActive(w, now))
      .sort((a, b) => (a.until < b.until ? -1 : a.until > b.until ? 1 : 0))
      .map((w) => ({ id: w.id, keys: w.anyContent ? w.keys : w.covers.map((c) => c.key), until: w.until, by: w.by, reason: w.reason }));
    targets.push({
      name: target.name,
      enabled: target.enabled,
      labels: target.labels,
      status: head.report?.status ?? 'never checked',
      highest: (head.report?.highest ?? 'none') as Severity | 'none',
      lastCheck: head.report?.time ?? null,
      baseline: head.baseline ? { accept: head.baseline.accept, time: head.baseline.time, by: head.baseline.by } : null,
      checks: (checks.get(target.name) ?? []).reverse(),
      openAlerts,
      waivers,
      accepts: accepts.get(target.name) ?? [],
      latest: report
        ? {
            report: report.id,
            time: report.time,
            status: report.status,
            highest: report.summary.highest,
            added: report.summary.added,
            removed: report.summary.removed,
            changed: report.summary.changed,
            total: report.summary.total,
            bySeverity: countsOf(report.summary.bySeverity),
            changes: await listedChanges(ws, report),
            more: Math.max(0, report.changes.length - REPORT_MAX_CHANGES),
          }
        : null,
    });
  }

  const drift = zeroCounts();
  for (const t of targets) for (const [severity, n] of Object.entries(t.latest?.bySeverity ?? {})) drift[severity as Severity] += n;
  const allChecks = targets.flatMap((t) => t.checks);
  const lastCheck = targets.map((t) => t.lastCheck).filter((t): t is string => t !== null).sort().pop() ?? null;
  return {
    kind: 'driftctl-report',
    generatedAt: now.toISOString(),
    window: { since: new Date(sinceMs).toISOString(), until: now.toISOString(), label },
    ledger: { branch: ws.config.ledger.branch, tip },
    summary: {
      targets: targets.length,
      lastCheck,
      checks: allChecks.reduce((n, c) => n + (c.repeated ?? 1), 0),
      drifted: allChecks.filter((c) => c.status === 'drift').reduce((n, c) => n + (c.repeated ?? 1), 0),
      openAlerts: targets.reduce((n, t) => n + t.openAlerts.length, 0),
      accepts: targets.reduce((n, t) => n + t.accepts.length, 0),
      drift,
      driftTotal: Object.values(drift).reduce((a, b) => a + b, 0),
    },
    targets,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
}

/** The report's first REPORT_MAX_CHANGES changes, with their content diffs. */
async function listedChanges(ws: Workspace, report: DriftReport): Promise<ChangeView[]> {
  const listed = report.changes.slice(0, REPORT_MAX_CHANGES);
  const diffs = await contentDiffs(ws.ledger.reader(), listed, { before: report.baseline.tree, after: report.snapshot.tree });
  return listed.map((c) => changeView(c, diffs.get(changeKey(c))));
}

/** A full set of counts (records written before a severity existed may lack it). */
function countsOf(partial: Partial<SeverityCounts> | undefined): SeverityCounts {
  const counts = zeroCounts();
  for (const s of Object.keys(counts) as Severity[]) counts[s] = partial?.[s] ?? 0;
  return counts;
}

function durationLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}
