import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { changesTable, deliveryLine } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface WaiveArgs extends GlobalArgs {
  keys: string[];
  all: boolean;
  until?: string;
  reason?: string;
  target?: string;
  'any-content': boolean;
}

export function waiveCommand(ctx: CommandContext): CommandModule<GlobalArgs, WaiveArgs> {
  return {
    command: 'waive [keys..]',
    describe: 'Excuse drift until a date: reported as waived, not alerting, not exit 2 (recorded with who and why)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('keys', { type: 'string', array: true, default: [], describe: 'Entry keys or globs to waive' })
        .option('all', { type: 'boolean', default: false, describe: 'Waive all drift of the target' })
        .option('until', { type: 'string', describe: 'Expiry (required): 2026-12-31, an ISO time, or a duration such as 14d' })
        .option('reason', { type: 'string', describe: 'Why the drift is excused (required; recorded in the ledger)' })
        .option('target', { type: 'string', describe: 'Target to waive for (needed when several are configured)' })
        .option('any-content', { type: 'boolean', default: false, describe: 'Cover the keys whatever their content (default: only the state observed now)' }) as Argv<WaiveArgs>,
    handler: async (argv) => {
      const { waive } = await import('../../ops/waive.js');
      const result = await waive(ctx.deps(argv), { config: argv.config, keys: argv.keys.map(String), all: argv.all, until: argv.until ?? '', reason: argv.reason ?? '', target: argv.target, anyContent: argv['any-content'] });
      ctx.emit(argv, result, () => {
        const n = result.record.anyContent ? result.record.keys.length : result.waived.length;
        const lines = [`target ${result.target}: waived ${n} ${result.record.anyContent ? (n === 1 ? 'key (any content)' : 'keys (any content)') : n === 1 ? 'change' : 'changes'} until ${result.record.until} (waiver ${result.record.id})`];
        if (result.waived.length > 0) lines.push(changesTable(ctx.style, result.waived, false));
        if (result.resolvedAlerts > 0) lines.push(`${result.resolvedAlerts} alert${result.resolvedAlerts === 1 ? '' : 's'} resolved (waived)`);
        for (const d of result.deliveries) {
          const line = d.status === 'delivered' ? undefined : deliveryLine(ctx.style, d);
          if (line) lines.push(line);
        }
        lines.push(`ledger ${result.branch} at ${result.tip.slice(0, 12)}`);
        return lines.join('\n');
      });
    },
  };
}
