import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectCode, inRepo, oneJson } from '../helpers/e2e.js';
import { cli, makeRepo, REPO_ROOT, type TempRepo } from '../helpers/repo.js';

/**
 * Content diffs and attribution beyond files: a command's `text` output diffs line by line, a
 * Terraform pair shows what the plan found as expected → actual, and command sources name who
 * made a change through `attribution_command` (its output) or `attribution_field` (a field of
 * each record read before ignore_fields, so it never makes drift itself).
 */
const CONFIG = `version: 1
sources:
  - kind: command
    name: served-prompt
    argv: [cat, served.txt]
    parse: text
    attribution_command: [cat, who.txt]
  - kind: command
    name: deploys
    argv: [cat, deploys.json]
    parse: json
    key: name
    attribution_field: metadata.manager
    ignore_fields: ["/metadata"]
  - kind: terraform
    name: infra
    plan: plan.json
`;

const deploys = (image: string, manager: string): string => JSON.stringify([{ name: 'web', image, metadata: { manager } }]);

function project(): TempRepo {
  const repo = makeRepo({
    'driftctl.yml': CONFIG,
    'served.txt': 'line one\nline two\n',
    'who.txt': 'deploy-bot (pipeline 41)\n',
    'deploys.json': deploys('web:1.0', 'helm'),
  });
  copyFileSync(path.join(REPO_ROOT, 'tests/fixtures/terraform/clean-plan.json'), path.join(repo.dir, 'plan.json'));
  return repo;
}

test(
  'command text output, Terraform pairs and command attribution',
  inRepo(project, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    // Only the attribution field changed: not drift.
    repo.write('deploys.json', deploys('web:1.0', 'kubectl-edit'));
    expectCode(await cli(repo.dir, ['check', '--no-alert']), 0, 'a new manager alone is not drift');

    repo.write('served.txt', 'line one\nline 2\n');
    repo.write('deploys.json', deploys('web:1.1', 'argocd'));
    copyFileSync(path.join(REPO_ROOT, 'tests/fixtures/terraform/refresh-only-plan.json'), path.join(repo.dir, 'plan.json'));
    const run = await cli(repo.dir, ['check', '--no-alert', '--json']);
    expectCode(run, 2, 'check');
    const changes = oneJson(run).reports[0].changes;
    const served = changes.find((c: any) => c.source === 'served-prompt');
    assert.equal(served.attribution, { by: 'deploy-bot (pipeline 41)' });
    assert.equal(served.diff.hunks[0].lines, [' line one', '-line two', '+line 2']);
    const web = changes.find((c: any) => c.source === 'deploys');
    assert.equal(web.attribution, { by: 'argocd' });
    assert.ok(web.diff.hunks[0].lines.includes('-  "image": "web:1.0",') && web.diff.hunks[0].lines.includes('+  "image": "web:1.1",'), web.diff.hunks[0].lines.join('\n'));
    const sg = changes.find((c: any) => c.key === 'aws_security_group.web');
    assert.equal([sg.diff.from, sg.diff.to], ['expected/aws_security_group.web', 'actual/aws_security_group.web']);
    assert.ok(sg.diff.hunks[0].lines.includes('-        "10.0.0.0/8"') && sg.diff.hunks[0].lines.includes('+        "0.0.0.0/0"'), sg.diff.hunks[0].lines.join('\n'));

    const text = await cli(repo.dir, ['diff']);
    assert.ok(text.stdout.includes('changed served-prompt:output\n  by deploy-bot (pipeline 41)\n--- a/output\n+++ b/output\n@@ -1,2 +1,2 @@\n line one\n-line two\n+line 2'), text.stdout);
    expectCode(await cli(repo.dir, ['verify']), 0, 'verify');
  }),
);

test.run();
