import type { Argv, CommandModule } from 'yargs';
import type { RestorePlanStep, RestoreResult } from '../../ops/restore.js';
import type { CommandContext } from '../context.js';
import { paint, type Style } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface RestoreArgs extends GlobalArgs {
  keys: string[];
  all: boolean;
  reason?: string;
  target?: string;
  'dry-run': boolean;
  yes: boolean;
  'delete-added': boolean;
}

export function restoreCommand(ctx: CommandContext): CommandModule<GlobalArgs, RestoreArgs> {
  return {
    command: 'restore [keys..]',
    describe: "Write the baseline's captured content back over drifted files (shows the diff; asks unless --yes)",
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('keys', { type: 'string', array: true, default: [], describe: 'Entry keys or globs to restore' })
        .option('all', { type: 'boolean', default: false, describe: 'Restore every drifted file of the target' })
        .option('reason', { type: 'string', describe: 'Why the files go back (required; recorded in the ledger)' })
        .option('target', { type: 'string', describe: 'Target to restore (needed when several are configured)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Show what would be written, and the diff; write nothing' })
        .option('yes', { type: 'boolean', default: false, describe: 'Do not ask for confirmation' })
        .option('delete-added', { type: 'boolean', default: false, describe: 'Also delete files added since the baseline' }) as Argv<RestoreArgs>,
    handler: async (argv) => {
      const { restore } = await import('../../ops/restore.js');
      const confirm = ctx.io.confirm;
      const result = await restore(ctx.deps(argv), {
        config: argv.config,
        keys: argv.keys.map(String),
        all: argv.all,
        reason: argv.reason ?? '',
        target: argv.target,
        dryRun: argv['dry-run'],
        yes: argv.yes,
        deleteAdded: argv['delete-added'],
        ...(confirm && !argv.json
          ? {
              confirm: async (plan: RestorePlanStep[]) => {
                ctx.io.stderr.write(`${planText(ctx.style, plan)}\n`);
                return confirm(`restore ${plan.length} file${plan.length === 1 ? '' : 's'}?`);
              },
            }
          : {}),
      });
      ctx.emit(argv, result, () => resultText(ctx.style, result));
    },
  };
}

function planText(style: Style, plan: RestorePlanStep[]): string {
  const lines: string[] = [];
  for (const step of plan) {
    lines.push(`${paint(style, '1', step.action.padEnd(7))} ${step.source}:${step.key}${step.action === 'relink' ? ` -> ${step.after.target}` : step.action === 'chmod' ? ` mode ${(step.before.mode ?? 0).toString(8)} -> ${(step.after.mode ?? 0).toString(8)}` : ''}`);
    if (step.diff) lines.push(step.diff.replace(/\n$/, ''));
  }
  return lines.join('\n');
}

function resultText(style: Style, result: RestoreResult): string {
  const lines: string[] = [];
  const n = `${result.steps.length} file${result.steps.length === 1 ? '' : 's'}`;
  if (result.status === 'nothing-to-restore') lines.push(`target ${result.target}: nothing to restore`);
  else {
    lines.push(planText(style, result.steps));
    lines.push(
      result.status === 'planned'
        ? `target ${result.target}: would restore ${n} (dry run: nothing written)`
        : result.status === 'declined'
          ? `target ${result.target}: not restored (declined)`
          : `target ${result.target}: restored ${n} (restore ${result.record?.id}); the next check resolves its alerts as restored`,
    );
  }
  for (const k of result.kept) lines.push(`  kept ${k.source}:${k.key}: ${k.why}`);
  if (result.status === 'restored') lines.push(`ledger ${result.branch} at ${result.tip.slice(0, 12)}`);
  return lines.join('\n');
}
