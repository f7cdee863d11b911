import type { Argv, CommandModule } from 'yargs';
import { log } from '../../ops/log.js';
import type { CommandContext } from '../context.js';
import { table } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface LogArgs extends GlobalArgs {
  target?: string;
  kind?: string;
  limit: number;
}

export function logCommand(ctx: CommandContext): CommandModule<GlobalArgs, LogArgs> {
  return {
    command: 'log',
    describe: 'Ledger history, newest first: kind, target, status, time, id',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('target', { type: 'string', describe: 'Only this target' })
        .option('kind', { type: 'string', choices: ['ledger', 'snapshot', 'report', 'accept'], describe: 'Only this kind of commit' })
        .option('limit', { type: 'number', default: 50, describe: 'At most this many entries' }) as Argv<LogArgs>,
    handler: async (argv) => {
      const result = await log(ctx.deps(argv), { config: argv.config, target: argv.target, kind: argv.kind, limit: argv.limit });
      ctx.emit(argv, result, () => {
        if (result.entries.length === 0) return 'no matching ledger entries';
        const rows = [['COMMIT', 'TIME', 'KIND', 'TARGET', 'STATUS', 'RECORD']];
        for (const e of result.entries) {
          const status = e.status ? `${e.status}${e.severity && e.severity !== 'none' ? ` (${e.severity})` : ''}` : '';
          rows.push([e.commit.slice(0, 12), e.time.replace('.000Z', 'Z'), e.kind, e.target ?? '', status, e.record ?? '']);
        }
        return table(rows, '');
      });
    },
  };
}
