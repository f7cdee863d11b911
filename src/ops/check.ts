import { readAlertsState, readHead, readLatestReport } from '../ledger/reader.js';
import { lastEvidence, readCheckCounter, saveCheckCounter, sameVerdict, stageHeartbeat, type CheckCounter } from '../ledger/heartbeat.js';
import type { BuiltManifest } from '../ledger/manifest-tree.js';
import type { DeliveryOutcome } from '../alerts/delivery.js';
import { alertSummary, stageTargetAlerts, type AlertSummary } from '../alerts/state-store.js';
import { summarize, type DriftReport, type DriftSummary } from '../drift/report.js';
import { DriftError, isDriftError, messageOf, type ErrorCode } from '../errors.js';
import type { AlertNotice } from '../render/views.js';
import type { TargetHead } from '../ledger/records.js';
import type { ConfigOption, OpDeps, TargetFilter } from '../session/deps.js';
import { observeAhead } from '../session/observe.js';
import { computeReport, observedOnlySources, stageReport, stageSnapshot, type Observation, type StagedSnapshot } from '../ledger/recorder.js';
import { loadAlerting, notify } from '../alerts/notify.js';
import { stageAutoAccept, type AutoAcceptOutcome } from '../policy/auto-accept.js';
import { selectTargets } from '../session/targets.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import { openWorkspace, withLock } from '../session/workspace.js';
import { applyWaivers } from '../drift/waivers.js';
import { configWaivers, lastRecordKind, type ReportHook } from '../session/loop-hooks.js';
import { readWaivers } from '../ledger/loop-records.js';
import type { AlertReason } from '../ledger/records.js';
import type { RemediationOutcome } from '../session/loop-hooks.js';
import { withAttribution } from '../attribution/attribute-changes.js';
import { contentDiffs, withDiffs, type ShownChange } from '../session/change-content.js';

export interface SnapshotSummary {
  target: string;
  id: string;
  tree: string;
  entries: number;
  errors: number;
}

/** A target that could not be checked (a source failed): shown and logged, never drift, never resolves an alert. */
export interface TargetFailure {
  target: string;
  code: ErrorCode;
  message: string;
}


export interface CheckResult {
  status: 'clean' | 'drift' | 'error';
  /** Every report's changes counted together (the same fields as a report's summary), however many targets ran. */
  summary: DriftSummary;
  /** The reports as recorded, each change with its content `diff` when it has content (not part of the record). */
  reports: (DriftReport & { changes: ShownChange[] })[];
  snapshots: SnapshotSummary[];
  skipped: { target: string; reason: string }[];
  failures: TargetFailure[];
  alerts: AlertSummary[];
  deliveries: DeliveryOutcome[];
  /** What auto-accept policies did (README "Policies"); a target whose drift they accepted is not drift. */
  autoAccepted: AutoAcceptOutcome[];
  /**
   * Targets whose observation and verdict equal the last recorded ones: no records were written,
   * and `reports` holds their last recorded report (README "Record change, not repetition").
   */
  unchanged: string[];
  /** Targets for which this check wrote a heartbeat (`ledger.heartbeat`). */
  heartbeats: string[];
  /** What remediation policies did after the check (see checkWithMetrics); a target they fixed is not drift. */
  remediations: RemediationOutcome[];
  branch: string;
  tip: string;
}

export interface CheckOptions extends ConfigOption, TargetFilter {
  /** Evaluate the alert lifecycle and notify (default true; `--no-alert` turns it off). */
  alert?: boolean;
  /** Runs holding the ledger lock, before anything is read or observed (remediate runs its command here). */
  prepare?: () => Promise<void>;
  /** Called with each report before the alerts are evaluated; may stage records and set the resolution reason. */
  onReport?: ReportHook;
  /** Add each change's content diff to the result and to notifications (default true). */
  content?: boolean;
  /** Lines of context in content diffs (default 3). */
  context?: number;
}

/** Observes every selected target and commits a snapshot of each (no report, no alerts). */
export async function snapshot(deps: OpDeps, options: ConfigOption & TargetFilter): Promise<CheckResult> {
  return observeAndRecord(deps, { ...options, alert: false }, false);
}

/**
 * Snapshot, diff against the baseline, and commit the drift report for every selected target;
 * then run the alert lifecycle and deliver notifications. A target whose source fails is a
 * failure of that target only. All commits land together: the ledger ref moves once, at the end.
 */
export async function check(deps: OpDeps, options: CheckOptions): Promise<CheckResult> {
  return observeAndRecord(deps, options, true);
}

async function observeAndRecord(deps: OpDeps, options: CheckOptions, withReport: boolean): Promise<CheckResult> {
  const ws = openWorkspace(deps, options);
  const { selected, disabled } = selectTargets(ws.config, options.targets, options.labels);
  const alerting = withReport && options.alert !== false ? await loadAlerting(ws.config, deps) : undefined;
  return withLock(ws, deps, withReport ? 'check' : 'snapshot', async () => {
    await options.prepare?.();
    const base = await ws.ledger.requireTip();
    const time = deps.now();
    const writer = ws.ledger.writer(base, signatureAt(await resolveActor(ws, deps), time));
    const reports: CheckResult['reports'] = [];
    const snapshots: SnapshotSummary[] = [];
    const failures: TargetFailure[] = [];
    const alerts: AlertSummary[] = [];
    const notices: AlertNotice[] = [];
    const autoAccepted: AutoAcceptOutcome[] = [];
    const heads = new Map<string, TargetHead>();
    const unchanged: string[] = [];
    const heartbeats: string[] = [];
    const counters = new Map<string, CheckCounter>();
    // One commit per check: every target's snapshot, report, heartbeat, alert events and outbox
    // changes land together (an auto-accept still gets a commit of its own).
    writer.beginGroup();
    for (const target of selected) heads.set(target.name, await readHead(ws.ledger, base, target.name));
    const noBaseline = (target: string): DriftError =>
      new DriftError('NO_BASELINE', `target "${target}" has no baseline yet (run "driftctl init" to record one)`, { data: { target } });
    // A lone target without a baseline is an error before anything is observed.
    if (withReport && selected.length === 1 && !heads.get(selected[0].name)?.baseline) throw noBaseline(selected[0].name);
    const observations = observeAhead(ws, selected, deps);
    for (const [index, target] of selected.entries()) {
      const head = heads.get(target.name) as TargetHead;
      const observed = observations(index);
      if (withReport && !head.baseline) {
        // With several targets (a fleet), one without a baseline (its host was down at init) fails
        // alone, with the reason its source gives if it still cannot be observed.
        const error = noBaseline(target.name);
        const reason = await observed.then(
          () => error,
          (failure: unknown) => (isDriftError(failure) && failure.code === 'SOURCE_FAILED' ? failure : error),
        );
        failures.push({ target: target.name, code: reason.code, message: reason === error ? error.message : `${reason.message} (and no baseline yet: run "driftctl init" once it can be observed)` });
        continue;
      }
      const firstCheck = head.report === null;
      let staged: StagedSnapshot | undefined;
      let observation: Observation;
      // Set here when the check found nothing new: the last recorded report, unchanged.
      let report: DriftReport | undefined;
      const cacheDir = ws.cacheDir(target.name);
      let lastReport: DriftReport | undefined;
      // The waivers applied to the report's changes (by the skip test or to the fresh report).
      let applied: ReturnType<typeof applyWaivers> | undefined;
      // Waivers only shape reports: a `snapshot` run reads none.
      const waivers = withReport ? [...(await readWaivers(ws.ledger, base, target.name)), ...configWaivers(ws.config, target.name)] : [];
      try {
        observation = await observed;
        const obs = observation;
        // Record change, not repetition: a check that would write the same report writes none.
        const skip = async (built: BuiltManifest): Promise<boolean> => {
          if (!withReport || !head.report || head.snapshot?.tree !== built.oid) return false;
          lastReport = await readLatestReport(ws.ledger, base, target.name);
          if (!lastReport || !sameVerdict(lastReport, head, built.oid, obs.errors, ws.config.severity, [...observedOnlySources(target)].sort())) return false;
          // A waiver given, expired or broken since the last report changes the verdict.
          applied = applyWaivers(lastReport.changes, waivers, time);
          return sameWaived(lastReport, waivedList(applied.waived));
        };
        const outcome = await stageSnapshot(cacheDir, writer, target.name, observation, time, head, deps.warn, skip);
        if ('skipped' in outcome) {
          report = lastReport as DriftReport;
          unchanged.push(target.name);
          const counter = readCheckCounter(cacheDir);
          counter.count++;
          const evidence = await lastEvidence(ws.ledger, base, head);
          if (!Number.isFinite(evidence.time) || time.getTime() - evidence.time >= ws.config.ledger.heartbeatMs) {
            await stageHeartbeat(writer, head, time, counter.count, Number.isFinite(evidence.time) ? evidence.time : time.getTime());
            heartbeats.push(target.name);
            counters.set(cacheDir, { count: 0 });
          } else counters.set(cacheDir, counter);
        } else {
          staged = outcome;
          counters.set(cacheDir, { count: 0 });
        }
      } catch (error) {
        if (!isDriftError(error) || error.code !== 'SOURCE_FAILED') throw error;
        failures.push({ target: target.name, code: error.code, message: messageOf(error) });
        continue;
      }
      // The manifest the report describes: freshly staged, or (unchanged check) the latest one.
      let afterTree = head.snapshot?.tree;
      let afterReader = ws.ledger.reader();
      if (!report) {
        const fresh = staged as StagedSnapshot;
        snapshots.push({ target: target.name, id: fresh.record.id, tree: fresh.built.oid, entries: head.snapshot?.entries ?? 0, errors: fresh.record.errors.length });
        if (!withReport) continue;
        deps.onProgress?.({ phase: 'diff', target: target.name, done: 0 });
        report = await computeReport(ws.ledger, ws.config, target.name, time, fresh, head.baseline?.tree, observation);
        report.changes = await withAttribution(target.sources, report.changes, { env: deps.env, since: head.baseline ? new Date(head.baseline.time) : undefined });
        // Waived drift is recorded in the report (`waived`) but neither alerts nor counts as drift.
        applied = applyWaivers(report.changes, waivers, time);
        if (applied.waived.length > 0) report.waived = waivedList(applied.waived);
        await stageReport(writer, report, head);
        afterTree = fresh.built.oid;
        afterReader = ws.ledger.reader(fresh.built);
      }
      const { drift, waived } = applied ?? applyWaivers(report.changes, waivers, time);
      const diffs = options.content === false ? undefined : await contentDiffs(afterReader, report.changes, { before: head.baseline?.tree, after: afterTree }, { context: options.context });
      reports.push(withDiffs(report, diffs));
      const auto = await stageAutoAccept(writer, target, ws.config.policies, report, head, time);
      if (auto) autoAccepted.push(auto);
      const accepted = auto?.status === 'accepted';
      const hooked = await options.onReport?.({ target, report, drift, writer, time });
      if (!alerting) continue;
      const state = await readAlertsState(ws.ledger, base, target.name);
      const restored = (await lastRecordKind(ws.ledger, base, target.name)) === 'restore';
      const reason: AlertReason = accepted ? 'accepted' : (hooked?.reason ?? (restored ? 'restored' : 'drift-gone'));
      const input = { target, changes: accepted ? [] : drift, waived: waived.map((w) => w.change), reportId: report.id, firstCheck, reason, remediationFailed: hooked?.remediationFailed === true };
      const result = await stageTargetAlerts(ws.config, alerting.channels, writer, state, input, time, { ledger: ws.ledger, commit: base });
      for (const notice of result.notices) if (diffs) notice.diffs = diffs;
      notices.push(...result.notices);
      alerts.push(alertSummary(result, firstCheck && report.status === 'drift' ? 'first check of this target: alerts start with the next check' : null));
    }
    let deliveries: DeliveryOutcome[] = [];
    if (alerting) {
      deliveries = (await notify(alerting, { ledger: ws.ledger, base, writer }, notices, time)).deliveries;
    }
    const tip = (await writer.publish()) as string;
    for (const [dir, counter] of counters) saveCheckCounter(dir, counter);
    return {
      status: failures.length > 0 ? 'error' : reports.some((r) => effectiveStatus(r) === 'drift' && !autoAccepted.some((a) => a.target === r.target && a.status === 'accepted')) ? 'drift' : 'clean',
      summary: summarize(reports.flatMap((r) => r.changes)),
      reports,
      snapshots,
      skipped: disabled.map((t) => ({ target: t.name, reason: 'disabled (enabled: false)' })),
      failures,
      alerts,
      deliveries,
      autoAccepted,
      unchanged,
      heartbeats,
      remediations: [],
      branch: ws.config.ledger.branch,
      tip,
    };
  });
}


/** The `waived` list a report records for the waived changes. */
function waivedList(waived: ReturnType<typeof applyWaivers>['waived']): NonNullable<DriftReport['waived']> {
  return waived.map((w) => ({ source: w.change.source, key: w.change.key, waiver: w.waiver.id, until: w.waiver.until }));
}

/** Whether `report` recorded exactly the waived changes in `now` (same keys, same waivers). */
function sameWaived(report: DriftReport, now: NonNullable<DriftReport['waived']>): boolean {
  const key = (w: NonNullable<DriftReport['waived']>[number]): string => JSON.stringify([w.source, w.key, w.waiver, w.until]);
  const before = (report.waived ?? []).map(key).sort();
  const after = now.map(key).sort();
  return before.length === after.length && before.every((k, i) => k === after[i]);
}

/** A report's verdict once waivers are counted: `waived` when every change it lists is waived. */
export function effectiveStatus(report: DriftReport): 'clean' | 'drift' | 'waived' {
  if (report.status === 'clean') return 'clean';
  return (report.waived?.length ?? 0) >= report.changes.length ? 'waived' : 'drift';
}
