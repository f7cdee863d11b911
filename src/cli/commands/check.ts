import type { Argv, CommandModule } from 'yargs';
import { effectiveStatus, type CheckResult } from '../../ops/check.js';
import { messageOf } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { changesTable, deliveryLine, paint, severityText, summaryLine } from '../format.js';
import type { GlobalArgs } from '../io.js';
import { targetOption, type TargetArgs } from '../target-option.js';
import { remediationLine } from './remediate.js';
import { contentOption, contentOptions, type ContentArgs } from '../content-option.js';

interface CheckArgs extends TargetArgs, ContentArgs {
  alert?: boolean;
  'metrics-file'?: string;
}

export function checkCommand(ctx: CommandContext): CommandModule<GlobalArgs, CheckArgs> {
  return {
    command: ['check', 'run'],
    describe: 'Snapshot, compare with the baseline, and commit the drift report (exit 2 on drift)',
    builder: (y: Argv<GlobalArgs>) =>
      contentOption(targetOption(y))
        .option('alert', { type: 'boolean', default: true, describe: 'Run the alert lifecycle and notify channels (--no-alert skips it)' })
        .option('metrics-file', { type: 'string', describe: 'Then write Prometheus metrics to this file, atomically (node_exporter textfile collector)' }) as Argv<CheckArgs>,
    handler: async (argv) => {
      const { checkWithMetrics } = await import('../../ops/metrics.js');
      const { result, metricsError } = await checkWithMetrics(ctx.deps(argv), { config: argv.config, targets: argv.target, labels: argv.label, alert: argv.alert, metricsFile: argv['metrics-file'], ...contentOptions(argv) });
      // Errors go to stderr whatever the output format (and into --json through the result).
      for (const f of result.failures) ctx.note(`driftctl: error: target ${f.target}: ${f.message}`);
      const style = ctx.style;
      ctx.emit(argv, result, () => {
        const out: string[] = [];
        const several = result.reports.length > 1;
        for (const report of result.reports) {
          const status = effectiveStatus(report);
          const verdict = status === 'drift' ? paint(style, '1;31', 'DRIFT') : status === 'waived' ? paint(style, '33', 'WAIVED') : paint(style, '32', 'clean');
          out.push(`target ${report.target}: ${verdict}, ${summaryLine(style, report.summary)}${report.status === 'drift' ? `, highest ${severityText(style, report.summary.highest)}` : ''}`);
          if (report.changes.length > 0) out.push(changesTable(style, report.changes, new Set(report.changes.map((c) => c.source)).size > 1));
          for (const w of report.waived ?? []) out.push(`  ${paint(style, '33', 'waived')} ${w.source}:${w.key} until ${w.until} (${w.waiver})`);
          for (const e of report.errors) out.push(`  ${paint(style, '33', 'unreadable')} ${e.source}:${e.key}: ${e.message}`);
          out.push(`  report ${report.id} · snapshot ${report.snapshot.id}`);
          if (result.unchanged.includes(report.target)) {
            out.push(`  unchanged since ${report.time}: nothing new recorded${result.heartbeats.includes(report.target) ? ' (heartbeat written)' : ''}`);
          }
          if (several) out.push('');
        }
        for (const s of result.skipped) out.push(`target ${s.target}: skipped, ${s.reason}`);
        for (const f of result.failures) out.push(`target ${f.target}: ${paint(style, '1;31', 'ERROR')}, not checked: ${f.message}`);
        for (const a of result.autoAccepted) {
          const n = `${a.changes} change${a.changes === 1 ? '' : 's'}`;
          out.push(a.status === 'accepted' ? `target ${a.target}: ${paint(style, '32', 'auto-accepted')} ${n} (accept ${a.accept}): ${a.reason}` : `target ${a.target}: not auto-accepted by policy ${a.policy}: ${a.reason}`);
        }
        for (const r of result.remediations) out.push(remediationLine(style, r));
        for (const a of result.alerts) {
          const moved = [a.opened && `${a.opened} opened`, a.updated && `${a.updated} updated`, a.reminded && `${a.reminded} reminded`, a.resolved && `${a.resolved} resolved`].filter(Boolean);
          if (moved.length > 0 || a.note) out.push(`alerts ${a.target}: ${[...moved, `${a.open} open`].join(', ')}${a.note ? ` (${a.note})` : ''}`);
        }
        for (const d of result.deliveries) {
          const line = deliveryLine(style, d);
          if (line) out.push(line);
        }
        const verdicts = verdictCounts(result);
        if (verdicts.total > 1) out.push(`${verdicts.total} targets: ${verdicts.parts.join(', ')}`);
        out.push(`ledger ${result.branch} at ${result.tip.slice(0, 12)}`);
        return out.join('\n');
      }, metricsError ? 'error' : result.status === 'clean' ? 'ok' : result.status);
      if (metricsError) ctx.note(`driftctl: error: ${messageOf(metricsError)}`);
    },
  };
}

/** Per-target verdicts of a run: clean, drift (not auto-accepted), error, skipped. */
function verdictCounts(result: CheckResult): { total: number; parts: string[] } {
  const accepted = new Set([...result.autoAccepted.filter((a) => a.status === 'accepted').map((a) => a.target), ...result.remediations.filter((r) => r.status === 'fixed' && !result.remediations.some((o) => o.target === r.target && o.status !== 'fixed')).map((r) => r.target)]);
  const drift = result.reports.filter((r) => effectiveStatus(r) === 'drift' && !accepted.has(r.target)).length;
  const waived = result.reports.filter((r) => effectiveStatus(r) === 'waived' && !accepted.has(r.target)).length;
  const counts: [string, number][] = [
    ['clean', result.reports.length - drift - waived],
    ['drift', drift],
    ['waived', waived],
    ['error', result.failures.length],
    ['skipped', result.skipped.length],
  ];
  return { total: counts.reduce((sum, [, n]) => sum + n, 0), parts: counts.filter(([, n]) => n > 0).map(([name, n]) => `${n} ${name}`) };
}
