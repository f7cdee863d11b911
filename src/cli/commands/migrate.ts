import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { shortOid } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface MigrateArgs extends GlobalArgs {
  'dry-run': boolean;
}

export function migrateCommand(ctx: CommandContext): CommandModule<GlobalArgs, MigrateArgs> {
  return {
    command: 'migrate',
    describe: 'Bring a format-1 ledger to the current format in one commit that changes only ledger.json (the old tip is kept under a backup ref)',
    builder: (y: Argv<GlobalArgs>) => y.option('dry-run', { type: 'boolean', default: false, describe: 'Say what would change; write nothing' }) as Argv<MigrateArgs>,
    handler: async (argv) => {
      const { migrate } = await import('../../ops/migrate.js');
      const result = await migrate(ctx.deps(argv), { config: argv.config, dryRun: argv['dry-run'] });
      ctx.emit(argv, result, () => {
        switch (result.state) {
          case 'migrated':
            return `ledger ${result.branch} migrated from format ${result.from} to ${result.to} at ${shortOid(result.tip)} (the tip before is kept as ${result.backup})`;
          case 'would-migrate':
            return `ledger ${result.branch} is format ${result.from}: migrate would bring it to format ${result.to} in one commit (nothing written, --dry-run)`;
          default:
            return `ledger ${result.branch} is already format ${result.from}: nothing to migrate`;
        }
      });
    },
  };
}
