import { EXIT_WITH_VERDICT, installCommand, PINNED_ACTIONS, runCheck, type CiTemplateOptions } from './ci-options.js';
import { githubWorkflowDocument, indent } from './github-workflow-frame.js';

/**
 * A GitHub Actions workflow that runs `driftctl check` on a schedule and publishes the ledger:
 * a same-repository ledger branch is pushed with the job's GITHUB_TOKEN; a separate ledger
 * repository (ledger.remote) is fetched and pushed by driftctl with the token secret the config
 * names. Every variable driftctl reads a secret from is mapped from `secrets.<same name>`.
 * Third-party actions are pinned by commit.
 */
export function renderGithubWorkflow(options: CiTemplateOptions): string {
  const { branch } = options;
  const sameRepo = options.ledger.mode === 'same-repo';
  const env = [
    `FAIL_ON_DRIFT: "${options.failOnDrift ? 'true' : 'false'}"`,
    'GIT_AUTHOR_NAME: "github-actions[bot]"',
    'GIT_AUTHOR_EMAIL: "41898282+github-actions[bot]@users.noreply.github.com"',
    ...options.secrets.map((name) => `${name}: \${{ secrets.${name} }}`),
  ];
  const permissions = [`contents: ${sameRepo ? 'write' : 'read'}${sameRepo ? '   # push the ledger branch' : ''}`, ...(options.pullRequests ? ['pull-requests: write'] : [])];
  const steps: string[] = [
    `- uses: ${PINNED_ACTIONS.checkout.uses} # ${PINNED_ACTIONS.checkout.tag}`,
    ...(sameRepo ? ['  with:', '    fetch-depth: 0   # full history, including the ledger branch'] : []),
    `- uses: ${PINNED_ACTIONS.setupNode.uses} # ${PINNED_ACTIONS.setupNode.tag}`,
    '  with:',
    '    node-version: 20',
    '- name: Install driftctl',
    `  run: ${installCommand(options)}`,
    ...(sameRepo
      ? [
          '- name: Track the ledger branch',
          '  run: |',
          `    if git show-ref --verify --quiet refs/remotes/origin/${branch}; then`,
          `      git branch --force ${branch} origin/${branch}`,
          '    else',
          `      echo "no ${branch} branch on origin yet: run \\"driftctl init\\" and push it first"`,
          '    fi',
        ]
      : []),
    '- name: driftctl check',
    '  # Exit code 2 means drift was found and recorded: by default the job still succeeds, since',
    '  # the ledger and the alerts report it. Set FAIL_ON_DRIFT to "true" to make drift fail the job;',
    '  # errors (exit 1: bad config, a source that failed, an unreachable ledger) always fail it.',
    '  env:',
    ...indent(env, 4),
    '  run: |',
    ...indent([...runCheck(options), ...EXIT_WITH_VERDICT], 4),
    ...(sameRepo ? ['- name: Push the ledger branch', '  if: ${{ !cancelled() }}', `  run: git push origin ${branch}`] : []),
  ];
  const purpose = `and\n# ${sameRepo ? `push the ledger branch ${branch} of this repository` : `publish the ledger to ledger.remote (driftctl fetches and pushes it with ${options.ledger.mode === 'remote' ? options.ledger.tokenEnv : ''})`}`;
  return githubWorkflowDocument(options, { purpose, stepName: 'check', permissions, racers: 'two runs', steps });
}
