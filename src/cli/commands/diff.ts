import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { changesTable, summaryLine } from '../format.js';
import type { GlobalArgs } from '../io.js';
import { contentOption, contentOptions, type ContentArgs } from '../content-option.js';

interface DiffArgs extends GlobalArgs, ContentArgs {
  from?: string;
  to?: string;
  target?: string;
}

export function diffCommand(ctx: CommandContext): CommandModule<GlobalArgs, DiffArgs> {
  return {
    command: 'diff [from] [to]',
    describe: 'Compare two ledger points (default: baseline latest); exit 2 when they differ',
    builder: (y: Argv<GlobalArgs>) =>
      contentOption(y)
        .positional('from', { type: 'string', describe: 'baseline | latest | baseline@REV | latest@REV | record id | ledger commit (default baseline)' })
        .positional('to', { type: 'string', describe: 'same forms as FROM (default latest)' })
        .option('target', { type: 'string', describe: 'Target to compare (needed when several are configured)' }) as Argv<DiffArgs>,
    handler: async (argv) => {
      const { diff } = await import('../../ops/diff.js');
      const result = await diff(ctx.deps(argv), { config: argv.config, from: argv.from, to: argv.to, target: argv.target, ...contentOptions(argv) });
      const style = ctx.style;
      ctx.emit(argv, result, () => {
        const head = `target ${result.target}: ${result.from.spec} → ${result.to.spec}: ${summaryLine(style, result.summary)}`;
        return result.changes.length > 0 ? `${head}\n${changesTable(style, result.changes, new Set(result.changes.map((c) => c.source)).size > 1)}` : head;
      }, result.status === 'drift' ? 'drift' : 'ok');
    },
  };
}
