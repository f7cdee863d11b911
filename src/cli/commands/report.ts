import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../../config/config.js';
import { DriftError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import type { GlobalArgs } from '../io.js';

interface ReportArgs extends GlobalArgs {
  html?: string;
  since: string;
  target?: string[];
}

export function reportCommand(ctx: CommandContext): CommandModule<GlobalArgs, ReportArgs> {
  return {
    command: 'report',
    describe: 'Write one self-contained HTML page: per target a timeline of checks and drift, open alerts, accepts, latest changes',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('html', { type: 'string', describe: 'Write the HTML page to FILE' })
        .option('since', { type: 'string', default: '30d', describe: 'Window, e.g. 7d, 30d, 12h' })
        .option('target', { type: 'string', array: true, describe: 'Only these targets (repeatable)' }) as Argv<ReportArgs>,
    handler: async (argv) => {
      if (!argv.html && !argv.json) throw new DriftError('USAGE', 'report: give --html FILE (or --json for the data model)');
      let sinceMs: number;
      try {
        sinceMs = parseDuration(argv.since);
      } catch {
        throw new DriftError('USAGE', `--since: "${argv.since}" is not a duration (use for example 7d, 30d, 12h)`);
      }
      const { reportHtml } = await import('../../ops/report-html.js');
      const result = await reportHtml(ctx.deps(argv), { config: argv.config, targets: argv.target, sinceMs, sinceLabel: argv.since.trim(), htmlFile: argv.html });
      // --json: the data model is the document; the page (if asked for) is still written.
      if (argv.json && result.html) ctx.note(`wrote ${result.html.file}`);
      ctx.emit(argv, result.model, () => {
        const s = result.model.summary;
        return `wrote ${result.html?.file}: ${s.targets} target(s), ${s.checks} check(s) in the last ${result.model.window.label}, ${s.openAlerts} open alert(s)`;
      });
    },
  };
}
