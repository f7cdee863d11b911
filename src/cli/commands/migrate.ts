import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { shortOid } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface MigrateArgs extends GlobalArgs {
  'dry-run': boolean;
  layout?: string;
  'delete-remote-branch': boolean;
}

export function migrateCommand(ctx: CommandContext): CommandModule<GlobalArgs, MigrateArgs> {
  return {
    command: 'migrate',
    describe: 'Bring a format-1 ledger to the current format in one commit that changes only ledger.json (the old tip is kept under a backup ref)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('dry-run', { type: 'boolean', default: false, describe: 'Say what would change; write nothing' })
        .option('layout', { type: 'string', choices: ['per-target'], describe: 'Convert a single-branch ledger into one branch per target (<branch>/<target>, plus <branch>/_shared)' })
        .option('delete-remote-branch', { type: 'boolean', default: false, describe: 'With --layout and ledger.remote: replace the single branch on the remote (its tip stays there under the backup ref)' }) as Argv<MigrateArgs>,
    handler: async (argv) => {
      const { migrate } = await import('../../ops/migrate.js');
      const result = await migrate(ctx.deps(argv), { config: argv.config, dryRun: argv['dry-run'], ...(argv.layout === 'per-target' ? { layout: 'per-target' as const } : {}), deleteRemoteBranch: argv['delete-remote-branch'] });
      ctx.emit(argv, result, () => {
        if (result.layout) return renderLayout(result.layout, result.tip);
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

function renderLayout(layout: import('../../ops/migrate-layout.js').LayoutMigration, tip: string): string {
  if (layout.state === 'current') return `ledger ${layout.branch} is already a per-target set (${layout.members.map((m) => `${layout.branch}/${m.member}`).join(', ')}): nothing to migrate`;
  const lines: string[] = [];
  lines.push(
    layout.state === 'migrated'
      ? `ledger ${layout.branch} (format ${layout.from}) migrated to a per-target set; view at ${shortOid(tip)}`
      : `ledger ${layout.branch} (format ${layout.from}) would become a per-target set (nothing written, --dry-run):`,
  );
  for (const m of layout.members) {
    lines.push(`  ${layout.branch}/${m.member}: ${m.targets.length > 0 ? `target ${m.targets.join(', ')}` : 'records of no target'}, ${m.outbox} outbox, ${m.dead} dead${m.tip ? ` at ${shortOid(m.tip)}` : ''}`);
  }
  if (layout.state === 'migrated') lines.push(`the old tip ${shortOid(layout.oldTip)} is kept as ${layout.backup}; the branch ${layout.branch} itself is removed (git cannot hold it beside ${layout.branch}/<target>)`);
  else lines.push(`the old tip ${shortOid(layout.oldTip)} would be kept as refs/driftctl/backup/${layout.branch}/branch-layout, and the branch ${layout.branch} removed`);
  if (layout.remote) {
    if (layout.remote.oldBranch === 'deleted') lines.push(layout.state === 'migrated' ? `remote: the old branch ${layout.branch} was deleted (its tip kept there as ${layout.remote.backup}); pushed ${layout.remote.pushed.length} member branch(es)` : `remote: the old branch ${layout.branch} would be deleted (--delete-remote-branch; its tip kept there under the backup ref)`);
    else if (layout.remote.oldBranch === 'kept') lines.push(`remote: the old branch ${layout.branch} would stay, which blocks the member branches: pass --delete-remote-branch to replace it`);
    else lines.push(`remote: ${layout.state === 'migrated' ? `pushed ${layout.remote.pushed.length} member branch(es)` : 'the member branches would be pushed'}`);
  }
  return lines.join('\n');
}
