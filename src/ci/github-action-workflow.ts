import { PINNED_ACTIONS, type CiTemplateOptions } from './ci-options.js';
import { githubWorkflowDocument, indent } from './github-workflow-frame.js';

export interface GithubActionWorkflowOptions extends CiTemplateOptions {
  /** The action to use, `owner/repo@ref` (driftctl's action.yml). */
  action: string;
}

/**
 * A GitHub Actions workflow that runs driftctl's own action (action.yml) on a schedule: least
 * privilege (`contents: write` only to push a same-repository ledger branch, `pull-requests: write`
 * only when accept pull requests are configured), one run at a time (a concurrency group), third
 * party actions pinned by commit. With a same-repository ledger the checkout has full history and
 * the action fetches the ledger branch before the check and pushes it after; with ledger.remote the
 * action runs `driftctl pull` first and driftctl publishes the ledger itself. Every variable
 * driftctl reads a secret from is mapped from `secrets.<same name>` into the action's environment.
 */
export function renderGithubActionWorkflow(options: GithubActionWorkflowOptions): string {
  const sameRepo = options.ledger.mode === 'same-repo';
  const permissions = [`contents: ${sameRepo ? 'write   # push the ledger branch' : 'read'}`, ...(options.pullRequests ? ['pull-requests: write   # open accept pull requests'] : [])];
  const inputs = [
    'command: check',
    ...(options.configPath ? [`config: ${JSON.stringify(options.configPath)}`] : []),
    `ledger: ${sameRepo ? 'branch' : 'remote'}`,
    `ledger-branch: ${JSON.stringify(options.branch)}`,
    `fail-on-drift: "${options.failOnDrift ? 'true' : 'false'}"`,
    `push-ledger: "${sameRepo ? 'true' : 'false'}"`,
  ];
  const env = ['GIT_AUTHOR_NAME: "github-actions[bot]"', 'GIT_AUTHOR_EMAIL: "41898282+github-actions[bot]@users.noreply.github.com"', ...options.secrets.map((name) => `${name}: \${{ secrets.${name} }}`)];
  const steps = [
    `- uses: ${PINNED_ACTIONS.checkout.uses} # ${PINNED_ACTIONS.checkout.tag}`,
    ...(sameRepo ? ['  with:', '    fetch-depth: 0   # full history'] : []),
    `- uses: ${PINNED_ACTIONS.setupNode.uses} # ${PINNED_ACTIONS.setupNode.tag}`,
    '  with:',
    '    node-version: 20',
    '- id: driftctl',
    '  # Exit code 2 (drift found and recorded) passes unless fail-on-drift is "true"; errors always fail.',
    `  uses: ${options.action}`,
    '  with:',
    ...indent(inputs, 4),
    '  env:',
    ...indent(env, 4),
    '- name: Summary',
    '  if: ${{ !cancelled() }}',
    '  run: echo "driftctl ${{ steps.driftctl.outputs.status }} (highest ${{ steps.driftctl.outputs.highest }}) report ${{ steps.driftctl.outputs.report-id }}" >> "$GITHUB_STEP_SUMMARY"',
  ];
  const purpose = `with driftctl's\n# action ${options.action}, ${sameRepo ? `which fetches and pushes the ledger branch ${options.branch} of this repository` : 'which pulls the ledger from ledger.remote first (driftctl publishes it itself)'}`;
  return githubWorkflowDocument(options, { purpose, stepName: 'driftctl', permissions, racers: 'two scheduled runs', steps });
}
