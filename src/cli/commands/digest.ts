import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../../config/config.js';
import { DriftError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { deliveryLines, payloadText } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface DigestArgs extends GlobalArgs {
  'dry-run': boolean;
  since?: string;
  channel?: string;
}

export function digestCommand(ctx: CommandContext): CommandModule<GlobalArgs, DigestArgs> {
  return {
    command: 'digest',
    describe: 'Send one summary of every target over a window (alerts, accepts, most severe changes)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('since', { type: 'string', describe: 'Window, e.g. 24h, 7d (default alerts.digest.since or 24h)' })
        .option('channel', { type: 'string', describe: 'Send to this channel only' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print the rendered payloads; send nothing' }) as Argv<DigestArgs>,
    handler: async (argv) => {
      const { digest } = await import('../../ops/digest.js');
      let sinceMs: number | undefined;
      if (argv.since !== undefined) {
        try {
          sinceMs = parseDuration(argv.since);
        } catch {
          throw new DriftError('USAGE', `--since: "${argv.since}" is not a duration (use for example 24h, 7d, 90m)`);
        }
      }
      const result = await digest(ctx.deps(argv), { config: argv.config, sinceMs, channel: argv.channel, dryRun: argv['dry-run'] });
      ctx.emit(argv, result, () => (result.dryRun ? payloadText(result.payloads) : deliveryLines(ctx.style, result.deliveries).join('\n')));
    },
  };
}
