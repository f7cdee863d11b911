import type { CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import type { GlobalArgs } from '../io.js';
import { targetOption, type TargetArgs } from '../target-option.js';

export function snapshotCommand(ctx: CommandContext): CommandModule<GlobalArgs, TargetArgs> {
  return {
    command: 'snapshot',
    describe: 'Observe every target and commit a snapshot; prints its id',
    builder: targetOption,
    handler: async (argv) => {
      const { snapshot } = await import('../../ops/check.js');
      const result = await snapshot(ctx.deps(argv), { config: argv.config, targets: argv.target, labels: argv.label });
      // Errors go to stderr whatever the output format (and into --json through the result).
      for (const f of result.failures) ctx.note(`driftctl: error: target ${f.target}: ${f.message}`);
      ctx.emit(argv, result, () =>
        [
          ...result.snapshots.map((s) => `${s.id}  target ${s.target}: ${s.entries} entries${s.errors ? `, ${s.errors} unreadable` : ''}`),
          ...result.skipped.map((s) => `target ${s.target}: skipped, ${s.reason}`),
          ...result.failures.map((f) => `target ${f.target}: ERROR, not observed: ${f.message}`),
        ].join('\n'),
        result.failures.length > 0 ? 'error' : 'ok',
      );
    },
  };
}
