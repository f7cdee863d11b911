import type { Argv, CommandModule } from 'yargs';
import type { DaemonEvent } from '../../ops/daemon.js';
import type { CommandContext } from '../context.js';
import { untilStopped, type GlobalArgs } from '../io.js';

interface DaemonArgs extends GlobalArgs {
  once: boolean;
  'metrics-file'?: string;
}

/**
 * `driftctl daemon`: checks targets on their schedules; logs one line per run on stderr (JSON
 * lines with --json). SIGINT/SIGTERM: finish the run in progress, destroy the timers, exit 0; a
 * second signal ends the process at once (the ledger ref only moves when a run completes).
 */
export function daemonCommand(ctx: CommandContext): CommandModule<GlobalArgs, DaemonArgs> {
  return {
    command: 'daemon',
    describe: 'Check each target on its schedule (cron) until SIGINT/SIGTERM; one log line per run on stderr',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('once', { type: 'boolean', default: false, describe: 'Check every scheduled target once and exit (exit code as for check)' })
        .option('metrics-file', { type: 'string', describe: 'After each run, write Prometheus metrics to this file (as check --metrics-file)' }) as Argv<DaemonArgs>,
    handler: async (argv) => {
      await untilStopped(async (signal) => {
        const { daemon } = await import('../../ops/daemon.js');
        const result = await daemon(ctx.deps(argv), {
          config: argv.config,
          once: argv.once,
          metricsFile: argv['metrics-file'],
          signal,
          onEvent: (event) => {
            const line = argv.json ? JSON.stringify(event) : humanLine(event);
            if (line) ctx.note(line);
          },
        });
        ctx.emit(argv, result, () => '', argv.once ? (result.verdicts.error > 0 ? 'error' : result.verdicts.drift > 0 ? 'drift' : 'ok') : 'ok');
        if (!argv.json && !argv.once) ctx.note(`driftctl daemon: stopped after ${result.runs} run${result.runs === 1 ? '' : 's'}`);
      });
    },
  };
}

function humanLine(event: DaemonEvent): string | null {
  switch (event.event) {
    case 'scheduled':
      return `driftctl daemon: target ${event.target} on "${event.schedule}"${event.timezone ? ` (${event.timezone})` : ''}, next run ${event.next ?? 'unknown'}`;
    case 'started':
      return null;
    case 'run': {
      const what =
        event.verdict === 'error'
          ? `error: ${event.error?.message ?? 'unknown'}`
          : event.changes > 0
            ? `${event.verdict}, ${event.changes} change${event.changes === 1 ? '' : 's'} (highest ${event.highest})${event.autoAccepted ? ', auto-accepted' : ''}`
            : event.verdict;
      return `${event.started} target ${event.target}: ${what}, ${(event.durationMs / 1000).toFixed(2)} s`;
    }
    case 'skipped':
      return `${event.at} target ${event.target}: tick skipped, ${event.reason}`;
    case 'stopping':
      return 'driftctl daemon: stopping after the run in progress';
  }
}
