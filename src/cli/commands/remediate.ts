import type { Argv, CommandModule } from 'yargs';
import type { RemediationOutcome } from '../../ops/remediate.js';
import type { CommandContext } from '../context.js';
import { deliveryLine, paint, type Style } from '../format.js';
import type { GlobalArgs } from '../io.js';
import { targetOption, type TargetArgs } from '../target-option.js';

interface RemediateArgs extends TargetArgs {
  'dry-run': boolean;
  alert?: boolean;
}

export function remediateCommand(ctx: CommandContext): CommandModule<GlobalArgs, RemediateArgs> {
  return {
    command: 'remediate',
    describe: "Run each drifted target's remediate: command, then check it again and record the outcome (exit 2 while drift remains)",
    builder: (y: Argv<GlobalArgs>) =>
      targetOption(y)
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print what would run; run and write nothing' })
        .option('alert', { type: 'boolean', default: true, describe: 'Run the alert lifecycle after re-observing (--no-alert skips it)' }) as Argv<RemediateArgs>,
    handler: async (argv) => {
      const { remediate } = await import('../../ops/remediate.js');
      const result = await remediate(ctx.deps(argv), { config: argv.config, targets: argv.target, labels: argv.label, dryRun: argv['dry-run'], alert: argv.alert });
      ctx.emit(argv, result, () => {
        const lines = result.outcomes.map((o) => remediationLine(ctx.style, o));
        for (const d of result.deliveries) {
          const line = d.status === 'delivered' ? undefined : deliveryLine(ctx.style, d);
          if (line) lines.push(line);
        }
        if (!result.dryRun && result.tip) lines.push(`ledger at ${result.tip.slice(0, 12)}`);
        return lines.join('\n');
      }, result.status === 'clean' ? 'ok' : result.status);
    },
  };
}

/** One line (plus the output tail of a failure) per remediation outcome; check prints them too. */
export function remediationLine(style: Style, o: RemediationOutcome): string {
  const keys = `${o.keys.length} key${o.keys.length === 1 ? '' : 's'}`;
  const command = o.argv.join(' ');
  const from = o.from === 'target' ? '' : ` [${o.from}]`;
  switch (o.status) {
    case 'planned':
      return `target ${o.target}${from}: would run ${command} for ${keys} (${o.keys.join(', ')})`;
    case 'clean':
    case 'skipped':
      return `target ${o.target}: ${o.status === 'clean' ? 'nothing to remediate' : 'not remediated'}: ${o.reason}`;
    default: {
      const how = o.timedOut ? 'timed out' : o.exitCode === null ? 'did not run' : `exit ${o.exitCode}`;
      const verdict = o.status === 'fixed' ? paint(style, '32', 'remediated') : o.status === 'partly-fixed' ? paint(style, '33', 'partly remediated') : paint(style, '1;31', 'remediation failed');
      const head = `target ${o.target}${from}: ${verdict} (${how}, ${o.durationMs} ms): ${o.before - o.remaining} of ${o.before} change${o.before === 1 ? '' : 's'} fixed${o.reason ? ` [${o.reason}]` : ''}${o.record ? ` (remediation ${o.record.id})` : ''}`;
      return o.status === 'fixed' || !o.record?.output ? head : `${head}\n${o.record.output.split('\n').slice(-10).map((l) => `  | ${l}`).join('\n')}`;
    }
  }
}
