import type { Argv, CommandModule } from 'yargs';
import type { CheckResult } from '../../ops/check.js';
import { messageOf } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { changesTable, paint, severityText, summaryLine } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface TargetArgs extends GlobalArgs {
  target?: string[];
  label?: string[];
  alert?: boolean;
  'metrics-file'?: string;
}

const targetOption = <T>(y: Argv<T>): Argv<T & TargetArgs> =>
  y
    .option('target', { type: 'string', array: true, describe: 'Only these targets, or every pack of these fleet hosts (repeatable; default: every enabled target)' })
    .option('label', { type: 'string', array: true, describe: 'Only targets carrying this label, KEY=VALUE (repeatable: all must hold)' }) as Argv<T & TargetArgs>;

export function checkCommand(ctx: CommandContext): CommandModule<GlobalArgs, TargetArgs> {
  return {
    command: ['check', 'run'],
    describe: 'Snapshot, compare with the baseline, and commit the drift report (exit 2 on drift)',
    builder: (y: Argv<GlobalArgs>) =>
      targetOption(y)
        .option('alert', { type: 'boolean', default: true, describe: 'Run the alert lifecycle and notify channels (--no-alert skips it)' })
        .option('metrics-file', { type: 'string', describe: 'Then write Prometheus metrics to this file, atomically (node_exporter textfile collector)' }) as Argv<TargetArgs>,
    handler: async (argv) => {
      const started = performance.now();
      const metricsFile = argv['metrics-file'];
      const writeCheckMetrics: typeof import('../../ops/metrics.js').writeCheckMetrics = async (...args) => (await import('../../ops/metrics.js')).writeCheckMetrics(...args);
      const metricsOptions = { config: argv.config, targets: argv.target, labels: argv.label, file: metricsFile as string };
      let result: CheckResult;
      try {
        const { check } = await import('../../ops/check.js');
        result = await check(ctx.deps(argv), { config: argv.config, targets: argv.target, labels: argv.label, alert: argv.alert });
      } catch (error) {
        // The whole check failed: its targets get status "error", if the config and ledger can still be read.
        if (metricsFile) await writeCheckMetrics(ctx.deps(argv), { ...metricsOptions, durationSeconds: (performance.now() - started) / 1000 }).catch(() => undefined);
        throw error;
      }
      const outcome = { checked: result.reports.map((r) => r.target), failed: result.failures.map((f) => f.target) };
      const metricsError = metricsFile
        ? await writeCheckMetrics(ctx.deps(argv), { ...metricsOptions, durationSeconds: (performance.now() - started) / 1000, outcome }).then(() => null, (error: unknown) => error)
        : null;
      ctx.exitCode = result.status === 'error' ? ExitCode.Error : result.status === 'drift' ? ExitCode.Drift : ExitCode.Ok;
      // Errors go to stderr whatever the output format (and into --json through the result).
      for (const f of result.failures) ctx.note(`driftctl: error: target ${f.target}: ${f.message}`);
      const style = ctx.style;
      ctx.emit(argv, result, () => {
        const out: string[] = [];
        const several = result.reports.length > 1;
        for (const report of result.reports) {
          const verdict = report.status === 'drift' ? paint(style, '1;31', 'DRIFT') : paint(style, '32', 'clean');
          out.push(`target ${report.target}: ${verdict}, ${summaryLine(style, report.summary)}${report.status === 'drift' ? `, highest ${severityText(style, report.summary.highest)}` : ''}`);
          if (report.changes.length > 0) out.push(changesTable(style, report.changes, new Set(report.changes.map((c) => c.source)).size > 1));
          for (const e of report.errors) out.push(`  ${paint(style, '33', 'unreadable')} ${e.source}:${e.key}: ${e.message}`);
          out.push(`  report ${report.id} · snapshot ${report.snapshot.id}`);
          if (several) out.push('');
        }
        for (const s of result.skipped) out.push(`target ${s.target}: skipped, ${s.reason}`);
        for (const f of result.failures) out.push(`target ${f.target}: ${paint(style, '1;31', 'ERROR')}, not checked: ${f.message}`);
        for (const a of result.autoAccepted) {
          const n = `${a.changes} change${a.changes === 1 ? '' : 's'}`;
          out.push(a.status === 'accepted' ? `target ${a.target}: ${paint(style, '32', 'auto-accepted')} ${n} (accept ${a.accept}): ${a.reason}` : `target ${a.target}: not auto-accepted by policy ${a.policy}: ${a.reason}`);
        }
        for (const a of result.alerts) {
          const moved = [a.opened && `${a.opened} opened`, a.updated && `${a.updated} updated`, a.reminded && `${a.reminded} reminded`, a.resolved && `${a.resolved} resolved`].filter(Boolean);
          if (moved.length > 0 || a.note) out.push(`alerts ${a.target}: ${[...moved, `${a.open} open`].join(', ')}${a.note ? ` (${a.note})` : ''}`);
        }
        for (const d of result.deliveries) {
          if (d.status !== 'delivered') out.push(`${paint(style, '33', 'not delivered')} (${d.status === 'queued' ? 'kept in the outbox for the next run' : d.status === 'unrendered' ? 'its template failed' : 'still in the outbox'}): ${d.error}`);
          else if (d.retried) out.push(`delivered from the outbox: ${d.channel} ${d.subject}`);
        }
        const verdicts = verdictCounts(result);
        if (verdicts.total > 1) out.push(`${verdicts.total} targets: ${verdicts.parts.join(', ')}`);
        out.push(`ledger ${result.branch} at ${result.tip.slice(0, 12)}`);
        return out.join('\n');
      });
      if (metricsError) {
        ctx.note(`driftctl: error: ${messageOf(metricsError)}`);
        ctx.exitCode = ExitCode.Error;
      }
    },
  };
}

export function snapshotCommand(ctx: CommandContext): CommandModule<GlobalArgs, TargetArgs> {
  return {
    command: 'snapshot',
    describe: 'Observe every target and commit a snapshot; prints its id',
    builder: targetOption,
    handler: async (argv) => {
      const { snapshot } = await import('../../ops/check.js');
      const result = await snapshot(ctx.deps(argv), { config: argv.config, targets: argv.target, labels: argv.label });
      if (result.failures.length > 0) ctx.exitCode = ExitCode.Error;
      for (const f of result.failures) ctx.note(`driftctl: error: target ${f.target}: ${f.message}`);
      ctx.emit(argv, result, () =>
        [
          ...result.snapshots.map((s) => `${s.id}  target ${s.target}: ${s.entries} entries${s.errors ? `, ${s.errors} unreadable` : ''}`),
          ...result.skipped.map((s) => `target ${s.target}: skipped, ${s.reason}`),
          ...result.failures.map((f) => `target ${f.target}: ERROR, not observed: ${f.message}`),
        ].join('\n'),
      );
    },
  };
}

/** Per-target verdicts of a run: clean, drift (not auto-accepted), error, skipped. */
function verdictCounts(result: CheckResult): { total: number; parts: string[] } {
  const accepted = new Set(result.autoAccepted.filter((a) => a.status === 'accepted').map((a) => a.target));
  const drift = result.reports.filter((r) => r.status === 'drift' && !accepted.has(r.target)).length;
  const counts: [string, number][] = [
    ['clean', result.reports.length - drift],
    ['drift', drift],
    ['error', result.failures.length],
    ['skipped', result.skipped.length],
  ];
  return { total: counts.reduce((sum, [, n]) => sum + n, 0), parts: counts.filter(([, n]) => n > 0).map(([name, n]) => `${n} ${name}`) };
}
