import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { expectCode, inRepo, oneJson } from '../helpers/e2e.js';
import { cli, makeRepo, seedProject } from '../helpers/repo.js';

/** `driftctl ci github|gitlab`: generated files parse as YAML and hold the schedule, permissions and push; no silent overwrite. */

test(
  'ci github --inline: workflow on the schedule and workflow_dispatch, minimal permissions, full history, git identity, drift exit 2 tolerated, ledger pushed',
  inRepo(seedProject, async (repo) => {
    const run = await cli(repo.dir, ['ci', 'github', '--inline', '--schedule', '15 5 * * 1-5', '--json']);
    expectCode(run, 0, 'ci github');
    const result = oneJson(run);
    assert.is(result.file, path.join(repo.dir, '.github/workflows/driftctl.yml'));
    const text = readFileSync(result.file, 'utf8');
    const doc = parse(text);
    assert.equal(doc.on.schedule, [{ cron: '15 5 * * 1-5' }]);
    assert.ok('workflow_dispatch' in doc.on);
    assert.equal(doc.permissions, { contents: 'write' }, 'pull-requests: write only when github: is configured');
    const steps: any[] = doc.jobs.check.steps;
    assert.equal(steps.find((s) => s.uses?.startsWith('actions/checkout@')).with, { 'fetch-depth': 0 });
    assert.ok(steps.some((s) => s.env?.GIT_AUTHOR_NAME && s.env?.GIT_AUTHOR_EMAIL), 'git identity');
    const check = steps.find((s) => /driftctl check/.test(s.run ?? ''));
    assert.is(check.env.FAIL_ON_DRIFT, 'false');
    assert.match(check.run, /"\$code" -eq 2/);
    assert.match(text, /# Exit code 2 means drift was found/);
    const push = steps.find((s) => /git push origin drift-ledger/.test(s.run ?? ''));
    assert.ok(push, 'push step');
    assert.is(push.if, '${{ !cancelled() }}');
  }),
);

test(
  'ci github refuses to overwrite an existing file without --force; --fail-on-drift; --output',
  inRepo(seedProject, async (repo) => {
    repo.write('.github/workflows/driftctl.yml', 'name: mine\n');
    const refused = await cli(repo.dir, ['ci', 'github', '--json']);
    expectCode(refused, 1, 'ci github over an existing file');
    assert.is(oneJson(refused).error.code, 'OUTPUT_EXISTS');
    assert.is(readFileSync(path.join(repo.dir, '.github/workflows/driftctl.yml'), 'utf8'), 'name: mine\n', 'untouched');
    expectCode(await cli(repo.dir, ['ci', 'github', '--inline', '--force', '--fail-on-drift']), 0, 'ci github --force');
    const doc = parse(readFileSync(path.join(repo.dir, '.github/workflows/driftctl.yml'), 'utf8'));
    assert.equal(doc.on.schedule, [{ cron: '0 6 * * *' }], 'default schedule');
    assert.is(doc.jobs.check.steps.find((s: any) => s.env?.FAIL_ON_DRIFT).env.FAIL_ON_DRIFT, 'true');
    expectCode(await cli(repo.dir, ['ci', 'github', '--output', 'ci/drift.yml']), 0, 'ci github --output');
    assert.ok(parse(readFileSync(path.join(repo.dir, 'ci/drift.yml'), 'utf8')).jobs);
  }),
);

test(
  'ci gitlab: a job for scheduled pipelines that pushes the ledger branch named in the config',
  inRepo(() => makeRepo({ 'driftctl.yml': 'version: 1\nledger:\n  branch: audit/drift\nsources: [ { kind: files, watch: ["**/*"] } ]\n' }), async (repo) => {
    expectCode(await cli(repo.dir, ['ci', 'gitlab', '--schedule', '0 */4 * * *']), 0, 'ci gitlab');
    const text = readFileSync(path.join(repo.dir, '.gitlab-ci.yml'), 'utf8');
    const job = parse(text)['driftctl-check'];
    assert.equal(job.rules[0], { if: '$CI_PIPELINE_SOURCE == "schedule"' });
    assert.match(text, /"0 \*\/4 \* \* \*"/, 'the schedule to create');
    assert.is(job.variables.GIT_DEPTH, '0');
    assert.is(job.variables.FAIL_ON_DRIFT, 'false');
    assert.ok(job.script.includes('driftctl check || code=$?'));
    const push = job.script.findIndex((l: string) => l.startsWith('git push ') && l.endsWith(' audit/drift'));
    assert.ok(push >= 0, 'pushes the ledger branch');
    assert.ok(push < job.script.indexOf('exit "$code"'), 'pushes before ending by the verdict');
    expectCode(await cli(repo.dir, ['ci', 'gitlab']), 1, 'no overwrite');
  }),
);

test(
  'ci: a schedule that is not a 5-field cron is refused; an unknown provider is a usage error',
  inRepo(seedProject, async (repo) => {
    const six = await cli(repo.dir, ['ci', 'github', '--schedule', '* * * * * *', '--json']);
    expectCode(six, 1, 'six fields');
    assert.is(oneJson(six).error.code, 'BAD_SCHEDULE');
    expectCode(await cli(repo.dir, ['ci', 'github', '--schedule', '0 25 * * *']), 1, 'hour 25');
    expectCode(await cli(repo.dir, ['ci', 'jenkins']), 1, 'unknown provider');
  }),
);

test.run();
