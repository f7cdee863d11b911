import type { DeliveryOutcome } from '../alerts/delivery.js';
import { contentHashOf } from '../alerts/lifecycle.js';
import type { RemediateConfig, TargetConfig } from '../config/config.js';
import type { Change, DriftReport } from '../drift/report.js';
import { DriftError } from '../errors.js';
import { readRemediations, stageRemediation, type RemediationRecord } from '../ledger/loop-records.js';
import { newRecordId } from '../ledger/layout.js';
import { readHead, readLatestReport } from '../ledger/reader.js';
import { decideAutoRemediate } from '../policy/auto-remediate-policy.js';
import { runRemediation, type RemediationRun } from '../remediate/run-remediation.js';
import { resolveActor } from '../session/actor.js';
import type { ConfigOption, OpDeps, TargetFilter } from '../session/deps.js';
import { selectTargets } from '../session/targets.js';
import { openWorkspace, type Workspace } from '../session/workspace.js';
import { commandLine } from '../sources/run-process.js';
import { check, effectiveStatus, type CheckResult } from './check.js';

export interface RemediateOptions extends ConfigOption, TargetFilter {
  /** Show what would run; run nothing, write nothing. */
  dryRun?: boolean;
  /** Evaluate alerts after re-observing (default true). */
  alert?: boolean;
}

/** What remediation did (or would do) for one target. */
export interface RemediationOutcome {
  target: string;
  status: 'fixed' | 'partly-fixed' | 'failed' | 'planned' | 'clean' | 'skipped';
  /** Why nothing ran (clean, skipped), or the policy that ran it. */
  reason: string | null;
  /** The command line spawned (with a remote prefix, the whole prefixed line). */
  argv: string[];
  keys: string[];
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Drifted changes before and after. */
  before: number;
  remaining: number;
  record: RemediationRecord | null;
}

export interface RemediateResult {
  dryRun: boolean;
  status: 'clean' | 'drift' | 'error';
  outcomes: RemediationOutcome[];
  deliveries: DeliveryOutcome[];
  tip: string | null;
}

/**
 * Runs each selected target's `remediate:` command for its current drift (from its latest
 * report, waived changes left out), then re-observes the target and records a `remediation`
 * record with the outcome: fixed (its alerts resolve as `remediated`), partly fixed, or failed
 * (its alerts are updated and channels hear that remediation failed).
 */
export async function remediate(deps: OpDeps, options: RemediateOptions): Promise<RemediateResult> {
  const ws = openWorkspace(deps, options);
  const { selected } = selectTargets(ws.config, options.targets, options.labels);
  const explicit = (options.targets?.length ?? 0) > 0 || (options.labels?.length ?? 0) > 0 || selected.length === 1;
  const missing = selected.filter((t) => !t.remediate);
  if (explicit && missing.length === selected.length) {
    throw new DriftError('NO_REMEDIATE', `target${missing.length === 1 ? '' : 's'} ${missing.map((t) => `"${t.name}"`).join(', ')} declare${missing.length === 1 ? 's' : ''} no remediate: command (add remediate: [argv...] to the target, or at the top level for the default target)`, { data: { targets: missing.map((t) => t.name) } });
  }
  const tip = await ws.ledger.requireTip();
  const outcomes: RemediationOutcome[] = [];
  const deliveries: DeliveryOutcome[] = [];
  let last: string | null = tip;
  let error = false;
  for (const target of selected) {
    const drift = await currentDrift(ws, tip, target.name);
    const plan = planned(target, drift);
    if (!target.remediate) outcomes.push({ ...plan, status: 'skipped', reason: 'no remediate: command' });
    else if (drift.length === 0) outcomes.push({ ...plan, status: 'clean', reason: 'no drift in the latest report' });
    else if (options.dryRun) outcomes.push(plan);
    else {
      const done = await remediateTarget(deps, { config: options.config, alert: options.alert }, target, { trigger: 'command', policy: null });
      outcomes.push(done.outcome);
      deliveries.push(...done.check.deliveries);
      if (done.check.failures.length > 0) error = true;
      last = done.check.tip;
    }
  }
  const drifting = outcomes.some((o) => o.status === 'failed' || o.status === 'partly-fixed' || (options.dryRun && o.status === 'planned'));
  return { dryRun: options.dryRun === true, status: error ? 'error' : drifting ? 'drift' : 'clean', outcomes, deliveries, tip: last };
}

function planned(target: TargetConfig, drift: Change[]): RemediationOutcome {
  return {
    target: target.name,
    status: 'planned',
    reason: null,
    argv: target.remediate ? commandLine(target.remediate) : [],
    keys: [...new Set(drift.map((c) => c.key))],
    exitCode: null,
    timedOut: false,
    durationMs: 0,
    before: drift.length,
    remaining: drift.length,
    record: null,
  };
}

/** The changes of the target's latest report that are drift (not waived). */
async function currentDrift(ws: Workspace, commit: string, target: string): Promise<Change[]> {
  const head = await readHead(ws.ledger, commit, target);
  const report = head.report ? await readLatestReport(ws.ledger, commit, target) : undefined;
  if (!report) return [];
  return withoutWaived(report);
}

function withoutWaived(report: DriftReport): Change[] {
  const waived = new Set((report.waived ?? []).map((w) => `${w.source}\u0000${w.key}`));
  return report.changes.filter((c) => !waived.has(`${c.source}\u0000${c.key}`));
}

/**
 * Runs one target's remediation holding the ledger lock: the command (with the drift read at the
 * tip), then a check of that target whose commits include the `remediation` record.
 */
export async function remediateTarget(
  deps: OpDeps,
  options: ConfigOption & { alert?: boolean },
  target: TargetConfig,
  trigger: { trigger: 'command' | 'policy'; policy: string | null },
): Promise<{ outcome: RemediationOutcome; check: CheckResult }> {
  const ws = openWorkspace(deps, options);
  const spec = target.remediate as RemediateConfig;
  let before: Change[] = [];
  let run: RemediationRun | undefined;
  let outcome: RemediationOutcome | undefined;
  const result = await check(deps, {
    config: options.config,
    targets: [target.name],
    alert: options.alert,
    autoRemediate: false,
    prepare: async () => {
      const tip = await ws.ledger.requireTip();
      before = await currentDrift(ws, tip, target.name);
      const report = await readLatestReport(ws.ledger, tip, target.name);
      const keys = [...new Set(before.map((c) => c.key))];
      run = await runRemediation(spec, { target: target.name, keys, report: { target: target.name, report: report?.id ?? null, changes: before } }, deps.env);
    },
    onReport: async ({ report, drift, writer, time }) => {
      const ran = run as RemediationRun;
      const status: RemediationRecord['outcome'] = drift.length === 0 ? 'fixed' : drift.length < before.length ? 'partly-fixed' : 'failed';
      const record = await stageRemediation(
        writer,
        {
          id: newRecordId(time),
          target: target.name,
          time: time.toISOString(),
          by: trigger.policy ? { name: `policy:${trigger.policy}`, email: '' } : await resolveActor(ws, deps),
          trigger: trigger.trigger,
          policy: trigger.policy,
          command: { argv: [...spec.argv], shell: spec.shell, exec: [...spec.exec], from: 'target' },
          keys: [...new Set(before.map((c) => c.key))],
          drift: contentHashOf(before),
          exitCode: ran.exitCode,
          signal: ran.signal,
          timedOut: ran.timedOut,
          durationMs: ran.durationMs,
          output: ran.output,
          outcome: status,
          remaining: drift.length,
          report: report.id,
        },
        await readRemediations(ws.ledger, writer.headCommit, target.name),
      );
      outcome = {
        target: target.name,
        status,
        reason: trigger.policy ? `policy ${trigger.policy}` : null,
        argv: ran.argv,
        keys: record.keys,
        exitCode: ran.exitCode,
        timedOut: ran.timedOut,
        durationMs: ran.durationMs,
        before: before.length,
        remaining: drift.length,
        record,
      };
      return status === 'failed' ? { remediationFailed: true } : { reason: 'remediated' };
    },
  });
  return { outcome: outcome ?? { ...planned(target, before), status: 'failed', reason: result.failures[0]?.message ?? 'the target could not be observed again' }, check: result };
}

/**
 * After a check: runs the remediation that policies allow for each target still in drift, and
 * returns the outcomes (README "Policies"). A target whose remediation fixed it is not drift.
 */
export async function autoRemediate(deps: OpDeps, options: ConfigOption & { alert?: boolean }, result: CheckResult): Promise<RemediationOutcome[]> {
  const ws = openWorkspace(deps, options);
  const outcomes: RemediationOutcome[] = [];
  for (const report of result.reports) {
    if (effectiveStatus(report) !== 'drift' || result.autoAccepted.some((a) => a.target === report.target && a.status === 'accepted')) continue;
    const target = ws.config.targets.find((t) => t.name === report.target);
    if (!target) continue;
    const drift = withoutWaived(report);
    const attempts = await readRemediations(ws.ledger, result.tip, target.name);
    const decision = decideAutoRemediate(ws.config.policies, target, drift, attempts?.drift === contentHashOf(drift) ? attempts.failures : 0);
    if (!decision) continue;
    if (!decision.run) {
      outcomes.push({ ...planned(target, drift), status: 'skipped', reason: `not remediated by policy ${decision.policy.name}: ${decision.why}` });
      continue;
    }
    const done = await remediateTarget(deps, options, target, { trigger: 'policy', policy: decision.policy.name });
    outcomes.push(done.outcome);
    result.deliveries.push(...done.check.deliveries);
    result.alerts.push(...done.check.alerts);
    result.tip = done.check.tip;
  }
  return outcomes;
}
