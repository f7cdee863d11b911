import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseYaml } from '../../src/yaml/yaml.js';
import { expectCode, inRepo } from '../helpers/e2e.js';
import { cli, REPO_ROOT, seedProject, SEED_CONFIG } from '../helpers/repo.js';
import { TOOL_VERSION } from '../../src/version.js';

/** `ci github` (the default, or `--action OWNER/REPO@REF`): a workflow that uses action.yml, with least-privilege permissions and one run at a time. tests/e2e/action runs such a workflow's action step. */

const action = parseYaml(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };

function workflow(dir: string): any {
  return parseYaml(readFileSync(path.join(dir, '.github/workflows/driftctl.yml'), 'utf8'));
}

test(
  'by default: uses driftctl/driftctl@v<major>; contents: write only; concurrency; full history; the action with inputs it declares; no inline steps',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['ci', 'github', '--fail-on-drift']), 0, 'ci github');
    const text = readFileSync(path.join(repo.dir, '.github/workflows/driftctl.yml'), 'utf8');
    const wf = workflow(repo.dir);
    assert.equal(wf.permissions, { contents: 'write' });
    assert.equal(wf.concurrency, { group: 'driftctl-ledger', 'cancel-in-progress': false });
    const steps = wf.jobs.check.steps as { uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> }[];
    assert.match(steps[0].uses ?? '', /^actions\/checkout@[0-9a-f]{40}$/, 'pinned by commit');
    assert.is(steps[0].with?.['fetch-depth'], 0);
    const step = steps.find((s) => s.uses === `driftctl/driftctl@v${TOOL_VERSION.split('.')[0]}`);
    assert.ok(step, 'uses the action');
    assert.equal(Object.keys(step!.with ?? {}).filter((k) => !(k in action.inputs)), [], 'every input is one action.yml declares');
    assert.equal(step!.with, { command: 'check', ledger: 'branch', 'ledger-branch': 'drift-ledger', 'fail-on-drift': 'true', 'push-ledger': 'true' });
    assert.ok(step!.env?.GIT_AUTHOR_NAME && step!.env?.GIT_AUTHOR_EMAIL, 'an identity for ledger commits');
    assert.not.ok(steps.some((s) => /driftctl check|git push|npm install/.test(s.run ?? '')), 'the action does the work');
    assert.not.match(text, /secrets\./, 'no secrets for a same-repository ledger without channels');
  }),
);

test(
  'ledger.remote, a Slack channel and --config: contents: read, the secrets mapped into the action step, ledger: remote, config passed, no push',
  inRepo(
    () =>
      seedProject(
        `${SEED_CONFIG.replace('  branch: drift-ledger\n', '  branch: drift-ledger\n  remote: https://git.example.test/ops-ledger.git\n  token_env: LEDGER_TOKEN\n')}alerts:\n  channels:\n    - { name: ops-slack, kind: slack, webhook_env: SLACK_WEBHOOK_URL }\n`,
      ),
    async (repo) => {
      repo.write('ops/drift.yml', readFileSync(path.join(repo.dir, 'driftctl.yml'), 'utf8'));
      expectCode(await cli(repo.dir, ['ci', 'github', '--config', 'ops/drift.yml', '--action', 'acme/driftctl@v0']), 0, 'ci github');
      const text = readFileSync(path.join(repo.dir, '.github/workflows/driftctl.yml'), 'utf8');
      const wf = workflow(repo.dir);
      assert.equal(wf.permissions, { contents: 'read' });
      const step = (wf.jobs.check.steps as any[]).find((s) => s.uses === 'acme/driftctl@v0');
      assert.equal(step.with, { command: 'check', config: 'ops/drift.yml', ledger: 'remote', 'ledger-branch': 'drift-ledger', 'fail-on-drift': 'false', 'push-ledger': 'false' });
      assert.is(step.env.LEDGER_TOKEN, '${{ secrets.LEDGER_TOKEN }}');
      assert.is(step.env.SLACK_WEBHOOK_URL, '${{ secrets.SLACK_WEBHOOK_URL }}');
      const references = [...text.matchAll(/\$\{\{\s*secrets\.(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
      assert.equal(references, ['LEDGER_TOKEN', 'SLACK_WEBHOOK_URL'], 'secrets only in the action step env');
      assert.match(text, /# Secrets to create .*LEDGER_TOKEN, SLACK_WEBHOOK_URL/);
    },
  ),
);

test(
  '--inline writes the steps instead; --inline with --action is one clear line',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['ci', 'github', '--inline']), 0, 'ci github --inline');
    const steps = workflow(repo.dir).jobs.check.steps as { uses?: string; run?: string }[];
    assert.ok(steps.some((s) => /driftctl check/.test(s.run ?? '')));
    assert.not.ok(steps.some((s) => s.uses?.includes('driftctl')));
    const both = await cli(repo.dir, ['ci', 'github', '--inline', '--force', '--action', 'acme/driftctl@v0']);
    expectCode(both, 1, 'ci github --inline --action');
    assert.match(both.stderr, '--inline and --action exclude each other');
  }),
);

test(
  'with accept pull requests configured (github:): pull-requests: write too',
  inRepo(
    () => seedProject(`${SEED_CONFIG}github:\n  owner: acme\n  repo: ops\n`),
    async (repo) => {
      expectCode(await cli(repo.dir, ['ci', 'github', '--action', 'acme/driftctl@v0']), 0, 'ci github');
      assert.equal(workflow(repo.dir).permissions, { contents: 'write', 'pull-requests': 'write' });
    },
  ),
);

test(
  'ci gitlab: a resource_group keeps runs apart and the ledger branch is fetched before the check',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['ci', 'gitlab']), 0, 'ci gitlab');
    const job = (parseYaml(readFileSync(path.join(repo.dir, '.gitlab-ci.yml'), 'utf8')) as any)['driftctl-check'];
    assert.is(job.resource_group, 'driftctl-ledger');
    assert.ok((job.before_script as string[]).some((line) => line.startsWith('git fetch origin "+refs/heads/drift-ledger:refs/heads/drift-ledger"')), job.before_script.join('\n'));
    const gitlabAction = await cli(repo.dir, ['ci', 'gitlab', '--force', '--action', 'acme/driftctl@v0']);
    expectCode(gitlabAction, 1, 'ci gitlab --action');
    assert.match(gitlabAction.stderr, '--action is for "ci github" only');
  }),
);

test(
  'a malformed --action is one clear line, exit 1, nothing written',
  inRepo(seedProject, async (repo) => {
    const run = await cli(repo.dir, ['ci', 'github', '--action', 'not a ref']);
    expectCode(run, 1, 'ci github');
    assert.match(run.stderr, '--action: "not a ref" is not OWNER/REPO@REF');
  }),
);

test.run();
