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
import type { RemediationOutcome } from '../session/loop-hooks.js';

export type { RemediationOutcome } from '../session/loop-hooks.js';

export interface RemediateOptions extends ConfigOption, TargetFilter {
  /** Show what would run; run nothing, write nothing. */
  dryRun?: boolean;
  /** Evaluate alerts after re-observing (default true). */
  alert?: boolean;
}

export interface RemediateResult {
  dryRun: boolean;
  status: 'clean' | 'drift' | 'error';
  outcomes: RemediationOutcome[];
  deliveries: DeliveryOutcome[];
  tip: string | null;
}

/**
 * Runs the `remediate:` commands of each selected target for its current drift (from its latest
 * report, waived changes left out): a source's own command for that source's drift, the target's
 * for the rest. Then re-observes the target and records one `remediation` record per command with
 * its outcome: fixed (alerts resolve as `remediated`), partly fixed, or failed (alerts are updated
 * and channels hear that remediation failed).
 */
export async function remediate(deps: OpDeps, options: RemediateOptions): Promise<RemediateResult> {
  const ws = openWorkspace(deps, options);
  const { selected } = selectTargets(ws.config, options.targets, options.labels);
  const explicit = (options.targets?.length ?? 0) > 0 || (options.labels?.length ?? 0) > 0 || selected.length === 1;
  const missing = selected.filter((t) => !hasRemediate(t));
  if (explicit && missing.length === selected.length) {
    throw new DriftError('NO_REMEDIATE', `target${missing.length === 1 ? '' : 's'} ${missing.map((t) => `"${t.name}"`).join(', ')} declare${missing.length === 1 ? 's' : ''} no remediate: command (add remediate: [argv...] to the target or to a source, or at the top level for the default target)`, { data: { targets: missing.map((t) => t.name) } });
  }
  const tip = await ws.ledger.requireTip();
  const outcomes: RemediationOutcome[] = [];
  const deliveries: DeliveryOutcome[] = [];
  let last: string | null = tip;
  let error = false;
  for (const target of selected) {
    const drift = await currentDrift(ws, tip, target.name);
    const jobs = remediationJobs(target, drift);
    if (!hasRemediate(target)) outcomes.push({ ...planned(target, { from: 'target', spec: undefined, changes: drift }), status: 'skipped', reason: 'no remediate: command' });
    else if (drift.length === 0) outcomes.push({ ...planned(target, { from: 'target', spec: target.remediate, changes: drift }), status: 'clean', reason: 'no drift in the latest report' });
    else if (jobs.length === 0) outcomes.push({ ...planned(target, { from: 'target', spec: undefined, changes: drift }), status: 'skipped', reason: 'no remediate: command covers the drifted sources' });
    else if (options.dryRun) outcomes.push(...jobs.map((job) => planned(target, job)));
    else {
      const done = await remediateTarget(deps, { config: options.config, alert: options.alert }, target, { trigger: 'command', policy: null });
      outcomes.push(...done.outcomes);
      deliveries.push(...done.check.deliveries);
      if (done.check.failures.length > 0) error = true;
      last = done.check.tip;
    }
  }
  const drifting = outcomes.some((o) => o.status === 'failed' || o.status === 'partly-fixed' || (options.dryRun && o.status === 'planned'));
  return { dryRun: options.dryRun === true, status: error ? 'error' : drifting ? 'drift' : 'clean', outcomes, deliveries, tip: last };
}

/** One command to run: where it was declared, and the drift it is run for. */
interface RemediationJob {
  from: string;
  spec: RemediateConfig | undefined;
  changes: Change[];
}

export function hasRemediate(target: TargetConfig): boolean {
  return target.remediate !== undefined || target.sources.some((s) => s.remediate !== undefined);
}

/** A source's own remediate: for its drift; the target's for the drift of sources without one. */
function remediationJobs(target: TargetConfig, drift: Change[]): RemediationJob[] {
  const jobs: RemediationJob[] = [];
  const own = new Set<string>();
  for (const source of target.sources) {
    if (!source.remediate) continue;
    own.add(source.name);
    const changes = drift.filter((c) => c.source === source.name);
    if (changes.length > 0) jobs.push({ from: `source:${source.name}`, spec: source.remediate, changes });
  }
  const rest = drift.filter((c) => !own.has(c.source));
  if (target.remediate && rest.length > 0) jobs.push({ from: 'target', spec: target.remediate, changes: rest });
  return jobs;
}

function planned(target: TargetConfig, job: RemediationJob): RemediationOutcome {
  return {
    target: target.name,
    from: job.from,
    status: 'planned',
    reason: null,
    argv: job.spec ? commandLine(job.spec) : [],
    keys: [...new Set(job.changes.map((c) => c.key))],
    exitCode: null,
    timedOut: false,
    durationMs: 0,
    before: job.changes.length,
    remaining: job.changes.length,
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
 * Runs one target's remediation holding the ledger lock: its commands (with the drift read at the
 * tip), then a check of that target whose commits include a `remediation` record per command.
 */
export async function remediateTarget(
  deps: OpDeps,
  options: ConfigOption & { alert?: boolean },
  target: TargetConfig,
  trigger: { trigger: 'command' | 'policy'; policy: string | null },
): Promise<{ outcomes: RemediationOutcome[]; check: CheckResult }> {
  const ws = openWorkspace(deps, options);
  let before: Change[] = [];
  const runs: { job: RemediationJob; run: RemediationRun }[] = [];
  const outcomes: RemediationOutcome[] = [];
  const result = await check(deps, {
    config: options.config,
    targets: [target.name],
    alert: options.alert,
    prepare: async () => {
      const tip = await ws.ledger.requireTip();
      before = await currentDrift(ws, tip, target.name);
      const report = await readLatestReport(ws.ledger, tip, target.name);
      for (const job of remediationJobs(target, before)) {
        const keys = [...new Set(job.changes.map((c) => c.key))];
        runs.push({ job, run: await runRemediation(job.spec as RemediateConfig, { target: target.name, keys, report: { target: target.name, report: report?.id ?? null, changes: job.changes } }, deps.env) });
      }
    },
    onReport: async ({ report, drift, writer, time }) => {
      const by = trigger.policy ? { name: `policy:${trigger.policy}`, email: '' } : await resolveActor(ws, deps);
      const previous = await readRemediations(ws.ledger, writer.headCommit, target.name);
      const driftHash = contentHashOf(before);
      const inScope = (job: RemediationJob) => (c: Change): boolean => (job.from === 'target' ? !target.sources.some((s) => s.remediate && s.name === c.source) : `source:${c.source}` === job.from);
      const statuses = runs.map(({ job }) => {
        const left = drift.filter(inScope(job)).length;
        return { left, status: (left === 0 ? 'fixed' : left < job.changes.length ? 'partly-fixed' : 'failed') as RemediationRecord['outcome'] };
      });
      const allFixed = drift.length === 0;
      const failures = allFixed ? 0 : (previous?.drift === driftHash ? previous.failures : 0) + 1;
      for (const [i, { job, run: ran }] of runs.entries()) {
        const spec = job.spec as RemediateConfig;
        const { left, status } = statuses[i];
        const record = await stageRemediation(
          writer,
          {
            id: newRecordId(time),
            target: target.name,
            time: time.toISOString(),
            by,
            trigger: trigger.trigger,
            policy: trigger.policy,
            command: { argv: [...spec.argv], shell: spec.shell, exec: [...spec.exec], from: job.from },
            keys: [...new Set(job.changes.map((c) => c.key))],
            drift: contentHashOf(job.changes),
            exitCode: ran.exitCode,
            signal: ran.signal,
            timedOut: ran.timedOut,
            durationMs: ran.durationMs,
            output: ran.output,
            outcome: status,
            remaining: left,
            report: report.id,
          },
          i === runs.length - 1 ? { format: 1, kind: 'remediations', target: target.name, drift: driftHash, failures, last: '' } : undefined,
        );
        outcomes.push({
          ...planned(target, job),
          status,
          reason: trigger.policy ? `policy ${trigger.policy}` : null,
          argv: ran.argv,
          exitCode: ran.exitCode,
          timedOut: ran.timedOut,
          durationMs: ran.durationMs,
          remaining: left,
          record,
        });
      }
      return statuses.some((s) => s.status === 'failed') ? { remediationFailed: true } : { reason: 'remediated' };
    },
  });
  if (outcomes.length === 0 && result.failures.length > 0) outcomes.push({ ...planned(target, { from: 'target', spec: target.remediate, changes: before }), status: 'failed', reason: result.failures[0].message });
  return { outcomes, check: result };
}

/**
 * After a check: runs the remediation that policies allow for each target still in drift, adding
 * the outcomes to `result.remediations` (README "Policies"). A target whose remediation fixed it
 * is not drift.
 */
export async function autoRemediate(deps: OpDeps, options: ConfigOption & { alert?: boolean }, result: CheckResult): Promise<void> {
  const ws = openWorkspace(deps, options);
  if (result.status !== 'drift' || !ws.config.policies.some((p) => p.remediate)) return;
  const outcomes = result.remediations;
  const fixed = new Set<string>();
  for (const report of result.reports) {
    if (effectiveStatus(report) !== 'drift' || result.autoAccepted.some((a) => a.target === report.target && a.status === 'accepted')) continue;
    const target = ws.config.targets.find((t) => t.name === report.target);
    if (!target) continue;
    const drift = withoutWaived(report);
    const attempts = await readRemediations(ws.ledger, result.tip, target.name);
    const decision = decideAutoRemediate(ws.config.policies, target, drift, attempts?.drift === contentHashOf(drift) ? attempts.failures : 0, hasRemediate(target));
    if (!decision) continue;
    if (!decision.run) {
      outcomes.push({ ...planned(target, { from: 'target', spec: target.remediate, changes: drift }), status: 'skipped', reason: `not remediated by policy ${decision.policy.name}: ${decision.why}` });
      continue;
    }
    const done = await remediateTarget(deps, options, target, { trigger: 'policy', policy: decision.policy.name });
    outcomes.push(...done.outcomes);
    if (done.outcomes.length > 0 && done.outcomes.every((o) => o.status === 'fixed')) fixed.add(target.name);
    result.deliveries.push(...done.check.deliveries);
    result.alerts.push(...done.check.alerts);
    result.tip = done.check.tip;
  }
  const accepted = new Set(result.autoAccepted.filter((a) => a.status === 'accepted').map((a) => a.target));
  if (!result.reports.some((r) => effectiveStatus(r) === 'drift' && !fixed.has(r.target) && !accepted.has(r.target))) result.status = 'clean';
}
