import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { shortOid } from '../format.js';
import type { GlobalArgs } from '../io.js';

export function pullCommand(ctx: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'pull',
    describe: 'Fetch the ledger branch from ledger.remote and fast-forward the local branch (error if both sides have new commits)',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: async (argv) => {
      const { pull } = await import('../../ops/pull.js');
      const result = await pull(ctx.deps(argv), { config: argv.config });
      ctx.emit(argv, result, () => {
        switch (result.state) {
          case 'no-remote-branch':
            return `the remote has no ledger branch ${result.branch} yet (run "driftctl init" or "driftctl push")`;
          case 'created':
          case 'fast-forwarded':
            return `ledger ${result.branch} updated to ${shortOid(result.tip)} (${result.behind} new commit${result.behind === 1 ? '' : 's'})`;
          case 'ahead':
            return `ledger ${result.branch} at ${shortOid(result.tip)}: ${result.ahead} local commit${result.ahead === 1 ? '' : 's'} not pushed yet (run "driftctl push")`;
          default:
            return `ledger ${result.branch} already up to date at ${shortOid(result.tip)}`;
        }
      });
    },
  };
}
