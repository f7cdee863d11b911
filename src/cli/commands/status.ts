import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { formatAge, severityText, table } from '../format.js';
import type { GlobalArgs } from '../io.js';

export function statusCommand(ctx: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'status',
    describe: 'Show the config, targets, watched entries, ledger tip, baseline age and last verdict',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: async (argv) => {
      const { status } = await import('../../ops/status.js');
      const result = await status(ctx.deps(argv), { config: argv.config });
      const style = ctx.style;
      ctx.emit(argv, result, () => {
        const lines = [
          `config   ${result.configFile}`,
          `ledger   ${result.ledger.branch} in ${result.ledger.gitdir} ${result.ledger.tip ? `at ${result.ledger.tip.slice(0, 12)}` : '(not initialised: run "driftctl init")'}`,
          '',
        ];
        const rows = [['TARGET', 'SOURCES', 'ENTRIES', 'BASELINE', 'LAST CHECK']];
        for (const t of result.targets) {
          const verdict = t.lastVerdict
            ? t.lastVerdict.status === 'clean'
              ? `clean (${t.lastVerdict.time})`
              : `drift: ${t.lastVerdict.total}, highest ${severityText(style, t.lastVerdict.highest as never)} (${t.lastVerdict.time})`
            : 'never';
          rows.push([
            t.enabled ? t.name : `${t.name} (disabled)`,
            t.sources.map((s) => `${s.name}:${s.kind}`).join(', '),
            t.entries === null ? '-' : String(t.entries),
            t.baseline ? `${formatAge(t.baseline.ageSeconds)} old, by ${t.baseline.by}` : 'none',
            verdict,
          ]);
        }
        return lines.join('\n') + table(rows, '');
      });
    },
  };
}
