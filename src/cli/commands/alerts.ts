import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { formatAge, severityText, table } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface AlertsArgs extends GlobalArgs {
  limit: number;
}

export function alertsCommand(ctx: CommandContext): CommandModule<GlobalArgs, AlertsArgs> {
  return {
    command: 'alerts',
    describe: 'List open alerts, recent alert events and the outbox',
    builder: (y: Argv<GlobalArgs>) => y.option('limit', { type: 'number', default: 20, describe: 'Recent events to show' }) as Argv<AlertsArgs>,
    handler: async (argv) => {
      const { listAlerts } = await import('../../ops/list-alerts.js');
      const result = await listAlerts(ctx.deps(argv), { config: argv.config, limit: argv.limit });
      const style = ctx.style;
      const now = ctx.deps(argv).now().getTime();
      ctx.emit(argv, result, () => {
        const lines: string[] = [];
        if (result.open.length === 0) lines.push('no open alerts');
        else {
          lines.push('open alerts:');
          lines.push(
            table([
              ['SEVERITY', 'TARGET', 'SOURCE', 'CLASS', 'CHANGES', 'OPEN FOR', 'ALERT'],
              ...result.open.map((a) => [severityText(style, a.severity), a.target, a.source, a.class, String(a.changes), formatAge(Math.round((now - Date.parse(a.openedAt)) / 1000)), a.id]),
            ]),
          );
        }
        if (result.recent.length > 0) {
          lines.push('recent events:');
          lines.push(table([['TIME', 'EVENT', 'SEVERITY', 'TARGET', 'SOURCE', 'ALERT'], ...result.recent.map((e) => [e.time, e.event, severityText(style, e.severity), e.target, e.source, e.alert])]));
        }
        if (result.outbox.length > 0) {
          lines.push(`outbox (${result.outbox.length} waiting):`);
          for (const o of result.outbox) lines.push(`  ${o.channel}: ${o.subject}, ${o.attempts} attempt(s), last error: ${o.lastError}`);
        }
        return lines.join('\n');
      });
    },
  };
}
