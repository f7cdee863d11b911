import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, REPO_ROOT, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, oneJson } from '../helpers/e2e.js';

/**
 * Seed 001 (Terraform and Helm drift with risk classes) through the CLI: drift Terraform found in
 * a refresh-only plan and differences between rendered manifests and live objects are entries of
 * the same model, with field-level changes and severity rules on resource types, addresses and
 * fields.
 */
const FIXTURES = path.join(REPO_ROOT, 'tests/fixtures');
const CONFIG = `version: 1
sources:
  - kind: terraform
    name: infra
    plan: plan.json
  - kind: kubernetes
    name: shop
    file: live.json
    desired: { file: rendered.yaml }
severity:
  default: low
  rules:
    - name: open security groups
      match: "*aws_security_group.*"
      severity: critical
    - name: subnets
      match: "**"
      type: aws_subnet
      severity: high
    - name: terraform drift
      match: "*"
      source: infra
      change: added
      severity: medium
    - name: replicas
      match: "**#/spec/replicas"
      type: Deploy*
      severity: high
`;

function project(): TempRepo {
  const repo = makeRepo({ 'driftctl.yml': CONFIG });
  copyFileSync(path.join(FIXTURES, 'terraform/clean-plan.json'), path.join(repo.dir, 'plan.json'));
  copyFileSync(path.join(FIXTURES, 'kubernetes/live.json'), path.join(repo.dir, 'live.json'));
  copyFileSync(path.join(FIXTURES, 'kubernetes/rendered.yaml'), path.join(repo.dir, 'rendered.yaml'));
  return repo;
}

test(
  'terraform drift and helm-vs-live differences: exact field-level report with type and field rules',
  inRepo(project, async (repo) => {
    // The baseline is taken with live already differing from the chart: that difference is accepted.
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    copyFileSync(path.join(FIXTURES, 'terraform/refresh-only-plan.json'), path.join(repo.dir, 'plan.json'));
    const run = await cli(repo.dir, ['check', '--json', '--no-alert']);
    expectCode(run, 2, 'check');
    const report = oneJson(run).reports[0];
    const sg = report.changes.find((c: any) => c.key === 'aws_security_group.web');
    assert.equal(
      { severity: sg.severity, rule: sg.rule, change: sg.change, actions: sg.actions, fields: sg.fields },
      {
        severity: 'critical',
        rule: 'open security groups',
        change: 'added',
        actions: ['update'],
        fields: [{ path: '/ingress/0/cidr_blocks/0', change: 'changed', before: '10.0.0.0/8', after: '0.0.0.0/0', severity: 'critical', rule: 'open security groups' }],
      },
    );
    assert.equal(
      report.changes.map((c: any) => [c.key, c.severity]),
      [
        ['aws_security_group.web', 'critical'],
        ['module.vpc.aws_subnet.a[0]', 'high'],
        ['aws_db_instance.main', 'medium'],
        ['aws_instance.app["web"]', 'medium'],
        ['aws_s3_bucket.logs', 'medium'],
      ],
    );
    const bucket = report.changes.find((c: any) => c.key === 'aws_s3_bucket.logs');
    assert.equal(bucket.actions, ['delete']);
    assert.not.match(JSON.stringify(report), /s3cr3t|hunter2/i, 'no sensitive value in the report');

    // Live drifts further from the chart: replicas 5 → 7 is the field rule's "high".
    const live = JSON.parse(readFileSync(path.join(repo.dir, 'live.json'), 'utf8'));
    const deployment = live.items.find((o: any) => o.kind === 'Deployment');
    deployment.spec.replicas = 7;
    repo.write('live.json', JSON.stringify(live));
    const next = oneJson(await cli(repo.dir, ['check', '--json', '--no-alert']));
    const web = next.reports[0].changes.find((c: any) => c.source === 'shop');
    assert.equal(
      [web.key, web.change, web.severity, web.rule, web.fields.map((f: any) => [f.path, f.before, f.after, f.severity])],
      ['Deployment/shop/web', 'changed', 'high', 'replicas', [['/spec/replicas', 5, 7, 'high']]],
    );
    const text = await cli(repo.dir, ['diff']);
    assert.match(text.stdout, /aws_security_group\.web: ingress\[0\]\.cidr_blocks\[0\]: "10\.0\.0\.0\/8" → "0\.0\.0\.0\/0"/);
    assert.match(text.stdout, /Deployment\/shop\/web: spec\.replicas: 5 → 7/);
    expectCode(await cli(repo.dir, ['verify']), 0, 'verify recomputes the field-level reports');
  }),
);

test.run();
