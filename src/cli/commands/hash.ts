import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import type { GlobalArgs } from '../io.js';

interface HashArgs extends GlobalArgs {
  file: string;
}

export function hashCommand(ctx: CommandContext): CommandModule<GlobalArgs, HashArgs> {
  return {
    command: 'hash <file>',
    describe: 'Print the sha256 that a snapshot would record for FILE',
    builder: (y: Argv<GlobalArgs>) => y.positional('file', { type: 'string', demandOption: true }) as Argv<HashArgs>,
    handler: async (argv) => {
      const { hash } = await import('../../ops/hash.js');
      const result = await hash(ctx.deps(argv), { file: argv.file });
      ctx.emit(argv, result, () => `${result.sha256}  ${result.path}`);
    },
  };
}
