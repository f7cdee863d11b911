import type { Argv, CommandModule } from 'yargs';
import { DriftError } from '../../errors.js';
import type { LogOptions } from '../../ops/log.js';
import type { CommandContext } from '../context.js';
import { table } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface LogArgs extends GlobalArgs, Omit<LogOptions, 'config' | 'limit' | 'page'> {
  limit: number;
  page: number;
}

export function logCommand(ctx: CommandContext): CommandModule<GlobalArgs, LogArgs> {
  return {
    command: 'log',
    describe: 'Ledger history, newest first, with filters and paging',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('target', { type: 'string', describe: 'Only this target' })
        .option('kind', { type: 'string', choices: ['ledger', 'migrate', 'snapshot', 'report', 'heartbeat', 'accept', 'alert', 'outbox', 'waiver', 'remediation', 'restore'], describe: 'Only this kind of commit' })
        .option('status', { type: 'string', choices: ['clean', 'drift'], describe: 'Only reports with this status' })
        .option('severity', { type: 'string', choices: ['critical', 'high', 'medium', 'low', 'info'], describe: 'Only reports and alerts at least this severe' })
        .option('key', { type: 'string', describe: 'Only commits touching an entry whose key matches this glob' })
        .option('since', { type: 'string', describe: 'From this date/time, or this long ago (7d)' })
        .option('until', { type: 'string', describe: 'Up to this date/time (a bare date includes the whole day)' })
        .option('limit', { type: 'number', default: 50, describe: 'Entries per page' })
        .option('page', { type: 'number', default: 1, describe: 'Page number (1 = newest)' }) as Argv<LogArgs>,
    handler: async (argv) => {
      const { log } = await import('../../ops/log.js');
      for (const name of ['limit', 'page'] as const) {
        const value = argv[name];
        if (!Number.isInteger(value) || value < 1) throw new DriftError('BAD_OPTION', `--${name}: expected a whole number, 1 or more (for example --${name} 20)`, { data: { option: name } });
      }
      const { target, kind, status, severity, key, since, until, limit, page } = argv;
      const result = await log(ctx.deps(argv), { config: argv.config, target, kind, status, severity, key, since, until, limit, page });
      ctx.emit(argv, result, () => {
        const gapLines = result.gaps.map((g) => `gap: target ${g.target} unchecked for ${g.length} (${g.from.replace('.000Z', 'Z')} → ${g.open ? 'now' : g.to.replace('.000Z', 'Z')})`);
        const gapText = gapLines.length > 0 ? `\n${gapLines.join('\n')}` : '';
        if (result.entries.length === 0) return `no matching ledger entries${gapText}`;
        const rows = [['COMMIT', 'TIME', 'KIND', 'TARGET', 'STATUS', 'RECORD', ...(argv.key ? ['KEYS'] : [])]];
        for (const e of result.entries) {
          const status = e.status ? `${e.status}${e.severity && e.severity !== 'none' ? ` (${e.severity})` : ''}` : e.severity && e.kind === 'alert' ? e.severity : '';
          rows.push([e.commit.slice(0, 12), e.time.replace('.000Z', 'Z'), e.kind, e.target ?? '', status, e.record ?? '', ...(e.keys ? [e.keys.join(', ')] : [])]);
        }
        return table(rows, '') + (result.more ? `\n(more: --page ${result.page + 1})` : '') + gapText;
      });
    },
  };
}
