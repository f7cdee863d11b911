import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from '../context.js';
import { paint } from '../format.js';
import type { GlobalArgs } from '../io.js';
import { parseDuration } from '../../config/config.js';
import { DriftError } from '../../errors.js';

interface VerifyArgs extends GlobalArgs {
  'allowed-signers'?: string;
  'require-signatures': boolean;
  'max-gap'?: string;
  full: boolean;
}

export function verifyCommand(ctx: CommandContext): CommandModule<GlobalArgs, VerifyArgs> {
  return {
    command: 'verify',
    describe: 'Check the ledger history (what is new since the last verified point; --full: all of it): schemas, append-only, reproducible reports, hash chains, signatures (exit 1 on failure)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('allowed-signers', { type: 'string', describe: 'SSH allowed-signers file to verify signed commits against' })
        .option('require-signatures', { type: 'boolean', default: false, describe: 'Fail on unsigned commits' })
        .option('full', { type: 'boolean', default: false, describe: 'Check every commit again, not only those after the last verified point' })
        .option('max-gap', { type: 'string', describe: 'Fail when a target went unchecked (no report or heartbeat) for longer than this, e.g. 2h' }) as Argv<VerifyArgs>,
    handler: async (argv) => {
      const { verify } = await import('../../ops/verify.js');
      let maxGapMs: number | undefined;
      if (argv['max-gap'] !== undefined) {
        try {
          maxGapMs = parseDuration(argv['max-gap']);
        } catch {
          throw new DriftError('BAD_OPTION', `--max-gap ${argv['max-gap']}: not a duration (use for example 90m, 2h or 1d)`, { data: { option: 'max-gap' } });
        }
      }
      const result = await verify(ctx.deps(argv), { config: argv.config, allowedSigners: argv['allowed-signers'], requireSignatures: argv['require-signatures'], full: argv.full, ...(maxGapMs !== undefined ? { maxGapMs } : {}) });
      const style = ctx.style;
      ctx.emit(argv, result, () => {
        const lines: string[] = [];
        for (const check of result.checks) {
          const mark = check.status === 'PASS' ? paint(style, '32', 'PASS') : check.status === 'FAIL' ? paint(style, '1;31', 'FAIL') : paint(style, '2', 'SKIP');
          lines.push(`${mark}  ${check.id.padEnd(12)}  ${check.summary}`);
          for (const problem of check.problems) lines.push(`      - ${problem}`);
        }
        lines.push(`verify: ${result.status} (${result.commits} ${result.mode === 'incremental' ? 'new ' : ''}commits on ${result.branch}, tip ${result.tip.slice(0, 12)}${result.mode === 'incremental' ? '; earlier history verified before, --full to check it again' : ''})`);
        return lines.join('\n');
      }, result.status === 'PASS' ? 'ok' : 'error');
    },
  };
}
