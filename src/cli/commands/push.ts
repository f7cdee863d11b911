import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { shortOid } from '../format.js';
import type { GlobalArgs } from '../io.js';

export function pushCommand(ctx: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'push',
    describe: 'Push local ledger commits to ledger.remote, replaying them on the remote tip and retrying if others pushed first',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: async (argv) => {
      const { push } = await import('../../ops/push.js');
      const result = await push(ctx.deps(argv), { config: argv.config });
      ctx.emit(argv, result, () =>
        result.pushed
          ? `pushed ledger ${result.branch} at ${shortOid(result.tip)}${result.attempts > 1 ? ` (after ${result.attempts} attempts)` : ''}`
          : `nothing to push: ledger ${result.branch} at ${shortOid(result.tip)} matches the remote`,
      );
    },
  };
}
