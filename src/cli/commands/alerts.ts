import type { Argv, CommandModule } from 'yargs';
import { DriftError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { deliveryLine, formatAge, severityText, table } from '../format.js';
import type { GlobalArgs } from '../io.js';

interface AlertsArgs extends GlobalArgs {
  limit: number;
  what?: 'outbox';
  drop?: string;
  retry?: string;
}

export function alertsCommand(ctx: CommandContext): CommandModule<GlobalArgs, AlertsArgs> {
  return {
    command: 'alerts [what]',
    describe: 'List open alerts, recent alert events and the outbox; "alerts outbox [--drop ID | --retry ID]" manages the outbox',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('what', { choices: ['outbox'] as const, describe: 'outbox: list the waiting notifications with their retry budget' })
        .option('limit', { type: 'number', default: 20, describe: 'Recent events to show' })
        .option('drop', { type: 'string', describe: 'alerts outbox: abandon this entry (recorded under dead/ on the ledger)' })
        .option('retry', { type: 'string', describe: 'alerts outbox: deliver this entry now' }) as unknown as Argv<AlertsArgs>,
    handler: async (argv) => {
      if (argv.what === 'outbox' || argv.drop !== undefined || argv.retry !== undefined) {
        if (argv.what !== 'outbox') throw new DriftError('USAGE', '--drop and --retry go with "driftctl alerts outbox"');
        const { outbox } = await import('../../ops/outbox.js');
        const result = await outbox(ctx.deps(argv), { config: argv.config, drop: argv.drop, retry: argv.retry });
        ctx.emit(argv, result, () => {
          const lines: string[] = [];
          if (result.outcome) lines.push(result.outcome.status === 'delivered' ? `delivered ${result.outcome.id} to ${result.outcome.channel}` : (deliveryLine(ctx.style, result.outcome) as string));
          if (result.entries.length === 0) lines.push('the outbox is empty');
          else {
            lines.push(`outbox (${result.entries.length} waiting):`);
            lines.push(table([['ID', 'CHANNEL', 'SUBJECT', 'ATTEMPTS', 'EXPIRES', 'LAST ERROR'], ...result.entries.map((e) => [e.id, e.channel, e.subject, `${e.attempts}/${e.maxAttempts}`, e.expires, e.lastError])]));
          }
          return lines.join('\n');
        });
        return;
      }
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
        if (result.waivers.length > 0) {
          lines.push('active waivers:');
          lines.push(table([['TARGET', 'KEYS', 'UNTIL', 'BY', 'REASON', 'WAIVER'], ...result.waivers.map((w) => [w.target, w.keys.join(', '), w.until, w.by, w.reason.split('\n')[0], w.id])]));
        }
        if (result.recent.length > 0) {
          lines.push('recent events:');
          lines.push(table([['TIME', 'EVENT', 'SEVERITY', 'TARGET', 'SOURCE', 'ALERT'], ...result.recent.map((e) => [e.time, e.event, severityText(style, e.severity), e.target, e.source, e.alert])]));
        }
        if (result.outbox.length > 0) {
          lines.push(`outbox (${result.outbox.length} waiting):`);
          for (const o of result.outbox) lines.push(`  ${o.channel}: ${o.subject}, ${o.attempts} attempt(s), last error: ${o.lastError} (id ${o.id})`);
        }
        return lines.join('\n');
      });
    },
  };
}
