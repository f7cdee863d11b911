import type { Argv, CommandModule } from 'yargs';
import { parseDuration } from '../../config/config.js';
import { DriftError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { deliveryLine, formatAge, severityText, table, type Style } from '../format.js';
import type { GlobalArgs } from '../io.js';
import type { Payload } from '../../channels/channel.js';
import type { DeliveryOutcome } from '../../alerts/alert-engine.js';

interface AlertArgs extends GlobalArgs {
  'dry-run': boolean;
  target?: string[];
}

function payloadText(payloads: Payload[]): string {
  if (payloads.length === 0) return 'nothing to send';
  return payloads
    .map((p) => {
      const body = p.kind === 'slack' || p.kind === 'webhook' ? JSON.stringify(JSON.parse(p.body), null, 2) : p.body.trimEnd();
      return `--- ${p.kind} channel "${p.channel}": ${p.subject}\n${body}`;
    })
    .join('\n');
}

function deliveryLines(style: Style, deliveries: DeliveryOutcome[]): string[] {
  return deliveries.map((d) => (d.status === 'delivered' ? `delivered to ${d.channel}: ${d.subject}${d.retried ? ' (from the outbox)' : ''}` : (deliveryLine(style, d) as string)));
}

export function alertCommand(ctx: CommandContext): CommandModule<GlobalArgs, AlertArgs> {
  return {
    command: 'alert',
    describe: "Evaluate the latest report's alerts and send notifications (and the outbox)",
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print the rendered payloads; send and write nothing' })
        .option('target', { type: 'string', array: true, describe: 'Only these targets' }) as Argv<AlertArgs>,
    handler: async (argv) => {
      const { alert } = await import('../../ops/alert.js');
      const result = await alert(ctx.deps(argv), { config: argv.config, targets: argv.target, dryRun: argv['dry-run'] });
      ctx.emit(argv, result, () => {
        const lines: string[] = [];
        for (const a of result.alerts) lines.push(`alerts ${a.target}: ${a.opened} opened, ${a.updated} updated, ${a.reminded} reminded, ${a.resolved} resolved, ${a.open} open${a.note ? ` (${a.note})` : ''}`);
        if (result.dryRun) {
          lines.push(payloadText(result.payloads));
          if (result.outbox > 0) lines.push(`${result.outbox} notification(s) wait in the outbox`);
        } else lines.push(...deliveryLines(ctx.style, result.deliveries));
        return lines.join('\n');
      });
    },
  };
}

interface DigestArgs extends GlobalArgs {
  'dry-run': boolean;
  since?: string;
  channel?: string;
}

export function digestCommand(ctx: CommandContext): CommandModule<GlobalArgs, DigestArgs> {
  return {
    command: 'digest',
    describe: 'Send one summary of every target over a window (alerts, accepts, most severe changes)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('since', { type: 'string', describe: 'Window, e.g. 24h, 7d (default alerts.digest.since or 24h)' })
        .option('channel', { type: 'string', describe: 'Send to this channel only' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print the rendered payloads; send nothing' }) as Argv<DigestArgs>,
    handler: async (argv) => {
      const { digest } = await import('../../ops/digest.js');
      let sinceMs: number | undefined;
      if (argv.since !== undefined) {
        try {
          sinceMs = parseDuration(argv.since);
        } catch {
          throw new DriftError('USAGE', `--since: "${argv.since}" is not a duration (use for example 24h, 7d, 90m)`);
        }
      }
      const result = await digest(ctx.deps(argv), { config: argv.config, sinceMs, channel: argv.channel, dryRun: argv['dry-run'] });
      ctx.emit(argv, result, () => (result.dryRun ? payloadText(result.payloads) : deliveryLines(ctx.style, result.deliveries).join('\n')));
    },
  };
}

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
      const { listAlerts } = await import('../../ops/alerts.js');
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
          for (const o of result.outbox) lines.push(`  ${o.channel}: ${o.subject}, ${o.attempts} attempt(s), last error: ${o.lastError} (id ${o.id})`);
        }
        return lines.join('\n');
      });
    },
  };
}
