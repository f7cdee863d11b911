import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseYaml } from '../../src/yaml/yaml.js';
import { expectCode, inRepo } from '../helpers/e2e.js';
import { cli, REPO_ROOT, seedProject, SEED_CONFIG } from '../helpers/repo.js';

/** `ci github --action OWNER/REPO@REF`: a workflow that uses action.yml, with least-privilege permissions and one run at a time. */

const action = parseYaml(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };

function workflow(dir: string): any {
  return parseYaml(readFileSync(path.join(dir, '.github/workflows/driftctl.yml'), 'utf8'));
}

test(
  'without accept pull requests: contents: write only; concurrency; the action with inputs it declares',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['ci', 'github', '--action', 'acme/driftctl@v0', '--fail-on-drift']), 0, 'ci github');
    const wf = workflow(repo.dir);
    assert.equal(wf.permissions, { contents: 'write' });
    assert.equal(wf.concurrency, { group: 'driftctl-ledger', 'cancel-in-progress': false });
    const steps = wf.jobs.check.steps as { uses?: string; with?: Record<string, string> }[];
    assert.is(steps[0].uses, 'actions/checkout@v4');
    assert.is(steps[0].with?.['fetch-depth'], 0);
    const step = steps.find((s) => s.uses === 'acme/driftctl@v0');
    assert.ok(step, 'uses the action');
    assert.equal(Object.keys(step!.with ?? {}).filter((k) => !(k in action.inputs)), [], 'every input is one action.yml declares');
    assert.is(step!.with?.['fail-on-drift'], 'true');
    assert.is(step!.with?.command, 'check');
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
