import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { changesTable, deliveryLine } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface AcceptArgs extends GlobalArgs {
  keys: string[];
  all: boolean;
  reason?: string;
  target?: string;
  pr?: boolean;
  direct?: boolean;
}

export function acceptCommand(ctx: CommandContext): CommandModule<GlobalArgs, AcceptArgs> {
  return {
    command: 'accept [keys..]',
    describe: 'Make the latest snapshot (or the given keys of it) the new baseline, recording who and why',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('keys', { type: 'string', array: true, default: [], describe: 'Entry keys or globs to accept' })
        .option('all', { type: 'boolean', default: false, describe: 'Accept every change' })
        .option('reason', { type: 'string', describe: 'Why the new state is right (required; recorded in the ledger)' })
        .option('target', { type: 'string', describe: 'Target to accept for (needed when several are configured)' })
        .option('pr', { type: 'boolean', describe: 'Propose the accept as a pull request into the ledger branch (default when github: is configured)' })
        .option('direct', { type: 'boolean', describe: 'Commit the accept to the local ledger branch, even when github: is configured' }) as Argv<AcceptArgs>,
    handler: async (argv) => {
      const { accept } = await import('../../ops/accept.js');
      const result = await accept(ctx.deps(argv), { config: argv.config, keys: argv.keys.map(String), all: argv.all, reason: argv.reason ?? '', target: argv.target, pr: argv.pr, direct: argv.direct });
      ctx.emit(argv, result, () => {
        if (result.status === 'nothing-to-accept') return `target ${result.target}: nothing to accept, the baseline already matches the latest snapshot`;
        const lines = [
          `target ${result.target}: ${result.pullRequest ? 'proposed' : 'accepted'} ${result.accepted.length} change${result.accepted.length === 1 ? '' : 's'} as the new baseline (accept ${result.record?.id})`,
        ];
        if (result.accepted.length > 0) lines.push(changesTable(ctx.style, result.accepted, false));
        if (result.remaining > 0) lines.push(`${result.remaining} other change${result.remaining === 1 ? '' : 's'} remain open`);
        if (result.resolvedAlerts > 0) lines.push(`${result.resolvedAlerts} alert${result.resolvedAlerts === 1 ? '' : 's'} resolved (accepted)`);
        for (const d of result.deliveries) {
          const line = d.status === 'delivered' ? undefined : deliveryLine(ctx.style, d);
          if (line) lines.push(line);
        }
        if (result.pullRequest) {
          lines.push(`pull request #${result.pullRequest.number} ${result.pullRequest.action}: ${result.pullRequest.url}`);
          lines.push(`branch ${result.branch} at ${result.tip.slice(0, 12)} proposes the new baseline for ${result.base}; it takes effect when merged`);
        } else lines.push(`ledger ${result.branch} at ${result.tip.slice(0, 12)}`);
        return lines.join('\n');
      });
    },
  };
}
