import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import type { GlobalArgs } from '../io.js';

export function initCommand(ctx: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'init',
    describe: 'Write a starter driftctl.yml if none exists, create the ledger branch and record the first baseline',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: async (argv) => {
      const { init } = await import('../../ops/init.js');
      const result = await init(ctx.deps(argv), { config: argv.config });
      // Errors go to stderr whatever the output format (and into --json through the result).
      for (const t of result.targets) if (t.status === 'failed') ctx.note(`driftctl: error: target ${t.target}: ${t.message}`);
      ctx.emit(argv, result, () => {
        const lines: string[] = [];
        if (result.configWritten) lines.push(`wrote starter config ${result.configFile} (edit it to choose what to watch)`);
        if (result.ledgerCreated) lines.push(`created ledger branch ${result.branch} in ${result.gitdir}`);
        for (const t of result.targets) {
          if (t.status === 'baselined') lines.push(`target ${t.target}: baseline recorded from snapshot ${t.snapshot} (${t.entries} entries${t.errors ? `, ${t.errors} unreadable` : ''})`);
          else if (t.status === 'existing') lines.push(`target ${t.target}: already has a baseline`);
          else if (t.status === 'failed') lines.push(`target ${t.target}: ERROR, no baseline recorded: ${t.message}`);
          else lines.push(`target ${t.target}: disabled, skipped`);
        }
        lines.push(result.changed ? `ledger ${result.branch} at ${result.tip.slice(0, 12)}` : `already initialised: nothing changed (ledger ${result.branch} at ${result.tip.slice(0, 12)})`);
        return lines.join('\n');
      }, result.targets.some((t) => t.status === 'failed') ? 'error' : 'ok');
    },
  };
}
