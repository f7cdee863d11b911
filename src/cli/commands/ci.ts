import type { Argv, CommandModule } from 'yargs';
import type { CiProvider } from '../../ops/ci.js';
import type { CommandContext } from '../context.js';
import type { GlobalArgs } from '../io.js';

interface CiArgs extends GlobalArgs {
  provider: CiProvider;
  schedule?: string;
  output?: string;
  force: boolean;
  'fail-on-drift': boolean;
  action?: string;
  inline: boolean;
}

export function ciCommand(ctx: CommandContext): CommandModule<GlobalArgs, CiArgs> {
  return {
    command: 'ci <provider>',
    describe: 'Write a CI configuration that runs driftctl check on a schedule and pushes the ledger (github: .github/workflows/driftctl.yml, gitlab: .gitlab-ci.yml)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('provider', { choices: ['github', 'gitlab'] as const, demandOption: true, describe: 'CI system' })
        .option('schedule', { type: 'string', describe: 'Cron expression, 5 fields, UTC (default "0 6 * * *")' })
        .option('output', { type: 'string', describe: 'Where to write (default: the CI system\'s usual file)' })
        .option('force', { type: 'boolean', default: false, describe: 'Replace an existing file' })
        .option('fail-on-drift', { type: 'boolean', default: false, describe: 'Make exit code 2 (drift) fail the job (default: only errors do)' })
        .option('action', { type: 'string', describe: 'github: the driftctl GitHub Action the workflow uses, OWNER/REPO@REF (default driftctl/driftctl@v<major>)' })
        .option('inline', { type: 'boolean', default: false, describe: 'github: write install/check/push steps instead of using the action' }) as unknown as Argv<CiArgs>,
    handler: async (argv) => {
      const { writeCiConfig } = await import('../../ops/ci.js');
      const result = await writeCiConfig(ctx.deps(argv), {
        config: argv.config,
        provider: argv.provider,
        schedule: argv.schedule,
        output: argv.output,
        force: argv.force,
        failOnDrift: argv['fail-on-drift'],
        action: argv.action,
        inline: argv.inline,
      });
      ctx.emit(argv, result, () => {
        const where = result.ledger === 'remote' ? `publishing ${result.branch} to ledger.remote` : `pushing ${result.branch}`;
        const lines = [`${result.overwritten ? 'replaced' : 'wrote'} ${result.file}: driftctl check on "${result.schedule}" (UTC), ${where}`];
        const secrets = result.secrets.filter((s) => s !== 'GITHUB_TOKEN');
        if (result.provider === 'gitlab') {
          const variables = [...(result.ledger === 'same-repo' ? ['DRIFTCTL_PUSH_TOKEN (project access token, write_repository)'] : []), ...result.secrets];
          lines.push(`next: create a pipeline schedule with that cron${variables.length ? ` and masked CI/CD variables ${variables.join(', ')}` : ''}`);
        } else {
          lines.push(`next: ${secrets.length ? `create the repository secrets ${secrets.join(', ')}, then ` : ''}commit it${result.ledger === 'same-repo' ? '; the job\'s GITHUB_TOKEN pushes the ledger branch with the permissions it declares' : ''}`);
        }
        return lines.join('\n');
      });
    },
  };
}
