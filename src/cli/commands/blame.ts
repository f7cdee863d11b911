import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { diffLine, formatSize, paint, table } from '../format.js';
import type { GlobalArgs } from '../io.js';
import { contentOption, contentOptions, type ContentArgs } from '../content-option.js';
import { attributionText } from '../../drift/attribution.js';
import { unifiedText } from '../../drift/content-diff.js';

interface BlameArgs extends GlobalArgs, ContentArgs {
  key: string;
  source?: string;
  target?: string;
}

export function blameCommand(ctx: CommandContext): CommandModule<GlobalArgs, BlameArgs> {
  return {
    command: 'blame <key>',
    describe: 'History of one entry: each snapshot where its content changed, each accept',
    builder: (y: Argv<GlobalArgs>) =>
      contentOption(y)
        .positional('key', { type: 'string', demandOption: true })
        .option('source', { type: 'string', describe: 'Source the key belongs to (default: the first)' })
        .option('target', { type: 'string', describe: 'Target (needed when several are configured)' }) as Argv<BlameArgs>,
    handler: async (argv) => {
      const { blame } = await import('../../ops/blame.js');
      const result = await blame(ctx.deps(argv), { config: argv.config, key: argv.key, source: argv.source, target: argv.target, ...contentOptions(argv) });
      ctx.emit(argv, result, () => {
        if (result.events.length === 0) return `${result.key}: no history in target ${result.target} (source ${result.source})`;
        const rows = [['TIME', 'KIND', 'CHANGE', 'SHA256', 'SIZE', 'COMMIT', 'WHO / WHY']];
        for (const e of result.events) {
          rows.push([e.time, e.kind, e.change, e.entry?.sha256?.slice(0, 12) ?? '–', e.entry?.size !== undefined ? formatSize(e.entry.size) : '–', e.commit.slice(0, 12), e.by ? `${e.by}: ${e.reason}` : '']);
          for (const line of e.details) rows.push(['', '', '', '', '', '', `  ${line}`]);
        }
        const diffs: string[] = [];
        for (const e of result.events) {
          const who = attributionText(e.attribution);
          const text = e.diff ? unifiedText(e.diff) : '';
          if (!who && !text && !e.diff?.notes.length) continue;
          diffs.push('', paint(ctx.style, '1', `${e.time} ${e.kind} ${e.change} (${e.commit.slice(0, 12)})`));
          if (who) diffs.push(`  ${who}`);
          for (const note of e.diff?.notes ?? []) diffs.push(paint(ctx.style, '2', `  (${note})`));
          if (text) diffs.push(...text.split('\n').map((line) => diffLine(ctx.style, line)));
        }
        return [`${result.key} (target ${result.target}, source ${result.source})`, table(rows, ''), ...diffs].join('\n');
      });
    },
  };
}
