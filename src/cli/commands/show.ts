import type { Argv, CommandModule } from 'yargs';
import type { Change } from '../../drift/report.js';
import type { CommandContext } from '../context.js';
import { changesTable } from '../format.js';
import type { GlobalArgs } from '../io.js';
import { contentOption, contentOptions, type ContentArgs } from '../content-option.js';

interface ShowArgs extends GlobalArgs, ContentArgs {
  id: string;
  target?: string;
}

export function showCommand(ctx: CommandContext): CommandModule<GlobalArgs, ShowArgs> {
  return {
    command: 'show <id>',
    describe: 'Show one record (by id) or one ledger commit (id, prefix, ref or date) with its context',
    builder: (y: Argv<GlobalArgs>) =>
      contentOption(y).positional('id', { type: 'string', demandOption: true }).option('target', { type: 'string', describe: 'Target to look in (default: all)' }) as Argv<ShowArgs>,
    handler: async (argv) => {
      const { show } = await import('../../ops/show.js');
      const result = await show(ctx.deps(argv), { config: argv.config, id: argv.id, target: argv.target, ...contentOptions(argv) });
      ctx.emit(argv, result, () => {
        const c = result.commit;
        const lines = [`commit ${c.oid}  ${c.time}  ${c.kind}${c.target ? ` ${c.target}` : ''}`, `  ${c.subject}`, `  by ${c.author}`];
        for (const { path, kind, record, changes: shown } of result.records) {
          const r = record as { id: string; status?: string; summary?: { total: number; highest: string }; changes?: Change[]; by?: { name: string; email: string }; reason?: string; event?: string; severity?: string; sources?: { name: string; entries: number; errors: number }[] };
          lines.push('', `${kind} ${r.id}  (${path})`);
          if (kind === 'report') lines.push(`  ${r.status}, ${r.summary?.total} change(s), highest ${r.summary?.highest}`);
          if (kind === 'accept') lines.push(`  accepted by ${r.by?.name} <${r.by?.email}>: ${r.reason}`);
          if (kind === 'alert') lines.push(`  ${r.event}, severity ${r.severity}`);
          if (kind === 'snapshot') for (const s of r.sources ?? []) lines.push(`  source ${s.name}: ${s.entries} entries, ${s.errors} unreadable`);
          const changes = shown ?? r.changes;
          if (changes && changes.length > 0) lines.push(changesTable(ctx.style, changes, new Set(changes.map((x) => x.source)).size > 1));
        }
        return lines.join('\n');
      });
    },
  };
}
