import type { Argv, CommandModule } from 'yargs';
import { check, snapshot } from '../../ops/check.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { changesTable, paint, severityText, summaryLine } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface TargetArgs extends GlobalArgs {
  target?: string[];
}

const targetOption = <T>(y: Argv<T>): Argv<T & TargetArgs> =>
  y.option('target', { type: 'string', array: true, describe: 'Only these targets (repeatable; default: every enabled target)' }) as Argv<T & TargetArgs>;

export function checkCommand(ctx: CommandContext): CommandModule<GlobalArgs, TargetArgs> {
  return {
    command: ['check', 'run'],
    describe: 'Snapshot, compare with the baseline, and commit the drift report (exit 2 on drift)',
    builder: targetOption,
    handler: async (argv) => {
      const result = await check(ctx.deps(argv), { config: argv.config, targets: argv.target });
      ctx.exitCode = result.status === 'drift' ? ExitCode.Drift : ExitCode.Ok;
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
        out.push(`ledger ${result.branch} at ${result.tip.slice(0, 12)}`);
        return out.join('\n');
      });
    },
  };
}

export function snapshotCommand(ctx: CommandContext): CommandModule<GlobalArgs, TargetArgs> {
  return {
    command: 'snapshot',
    describe: 'Observe every target and commit a snapshot; prints its id',
    builder: targetOption,
    handler: async (argv) => {
      const result = await snapshot(ctx.deps(argv), { config: argv.config, targets: argv.target });
      ctx.emit(argv, result, () =>
        [
          ...result.snapshots.map((s) => `${s.id}  target ${s.target}: ${s.entries} entries${s.errors ? `, ${s.errors} unreadable` : ''}`),
          ...result.skipped.map((s) => `target ${s.target}: skipped, ${s.reason}`),
        ].join('\n'),
      );
    },
  };
}
