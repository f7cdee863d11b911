import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { deliveryLines, payloadText } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface AlertArgs extends GlobalArgs {
  'dry-run': boolean;
  target?: string[];
}

export function alertCommand(ctx: CommandContext): CommandModule<GlobalArgs, AlertArgs> {
  return {
    command: 'alert',
    describe: "Evaluate the latest report's alerts and send notifications (and the outbox)",
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print the rendered payloads; send and write nothing' })
        .option('target', { type: 'string', array: true, describe: 'Only these targets' }) as Argv<AlertArgs>,
    handler: async (argv) => {
      const { alert } = await import('../../ops/alert.js');
      const result = await alert(ctx.deps(argv), { config: argv.config, targets: argv.target, dryRun: argv['dry-run'] });
      ctx.emit(argv, result, () => {
        const lines: string[] = [];
        for (const a of result.alerts) lines.push(`alerts ${a.target}: ${a.opened} opened, ${a.updated} updated, ${a.reminded} reminded, ${a.resolved} resolved, ${a.open} open${a.note ? ` (${a.note})` : ''}`);
        if (result.dryRun) {
          lines.push(payloadText(result.payloads));
          if (result.outbox > 0) lines.push(`${result.outbox} notification(s) wait in the outbox`);
        } else lines.push(...deliveryLines(ctx.style, result.deliveries));
        return lines.join('\n');
      });
    },
  };
}
