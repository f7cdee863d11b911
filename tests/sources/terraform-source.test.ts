import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProcessSpec, TerraformSourceConfig } from '../../src/config/config.js';
import { contentHash, type ManifestEntry } from '../../src/drift/manifest.js';
import { DriftError } from '../../src/errors.js';
import type { SourceContext } from '../../src/sources/source.js';
import { driftFailure, withTempDir } from '../helpers/temp.js';
import { createTerraformSource } from '../../src/sources/terraform-source.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'terraform');
const FAKE_TERRAFORM = path.join(FIXTURES, 'fake-terraform.sh');
const FAKE_SSH = path.join(REPO_ROOT, 'tests', 'fixtures', 'command', 'fake-ssh.sh');

function config(extra: Partial<TerraformSourceConfig>): TerraformSourceConfig {
  return { kind: 'terraform', name: 'infra', ignoreFields: [], ...extra };
}

function context(env: NodeJS.ProcessEnv = {}): SourceContext {
  return { cacheDir: tmpdir(), env: { PATH: process.env.PATH, ...env }, now: new Date('2026-01-02T03:04:05Z') };
}

function spec(extra: Partial<ProcessSpec>): ProcessSpec {
  return { argv: [FAKE_TERRAFORM], shell: false, cwd: FIXTURES, timeoutMs: 10_000, env: ['FAKE_TF_PLAN', 'FAKE_TF_MODE', 'FAKE_TF_LOG'], exec: [], ...extra };
}

const content = (entry: ManifestEntry | undefined): unknown => entry?.content;

/** The entries of the refresh-only fixture, as every path (file, process, remote) must produce them. */
const EXPECTED: Record<string, unknown> = {
  'aws_db_instance.main': {
    type: 'aws_db_instance',
    actions: ['update'],
    before: { allocated_storage: 20, engine: 'postgres', id: 'db-main', password: '(sensitive)', username: 'app' },
    after: { allocated_storage: 50, engine: 'postgres', id: 'db-main', password: '(sensitive, changed)', username: 'app' },
  },
  'aws_instance.app["web"]': {
    type: 'aws_instance',
    actions: ['update'],
    before: { ami: 'ami-0123456789abcdef0', id: 'i-0aaa', instance_type: 't3.small', tags: { Name: 'web', Owner: 'team-a' } },
    after: { ami: 'ami-0123456789abcdef0', id: 'i-0aaa', instance_type: 't3.small', tags: { Name: 'web', Owner: 'someone-else' } },
  },
  'aws_s3_bucket.logs': {
    type: 'aws_s3_bucket',
    actions: ['delete'],
    before: { bucket: 'acme-logs', force_destroy: false, id: 'acme-logs', tags: { Team: 'platform' } },
    after: null,
  },
  'aws_security_group.web': {
    type: 'aws_security_group',
    actions: ['update'],
    before: {
      arn: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d',
      description: 'web tier',
      id: 'sg-0a1b2c3d',
      ingress: [{ cidr_blocks: ['10.0.0.0/8'], description: 'https', from_port: 443, ipv6_cidr_blocks: [], prefix_list_ids: [], protocol: 'tcp', security_groups: [], self: false, to_port: 443 }],
      name: 'web',
      tags: { Team: 'platform' },
      vpc_id: 'vpc-0f00',
    },
    after: {
      arn: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d',
      description: 'web tier',
      id: 'sg-0a1b2c3d',
      ingress: [{ cidr_blocks: ['0.0.0.0/0'], description: 'https', from_port: 443, ipv6_cidr_blocks: [], prefix_list_ids: [], protocol: 'tcp', security_groups: [], self: false, to_port: 443 }],
      name: 'web',
      tags: { Team: 'platform' },
      vpc_id: 'vpc-0f00',
    },
  },
  'module.vpc.aws_subnet.a[0]': {
    type: 'aws_subnet',
    actions: ['update'],
    before: { cidr_block: '10.1.0.0/24', id: 'subnet-0a', map_public_ip_on_launch: false, vpc_id: 'vpc-0f00' },
    after: { cidr_block: '10.1.0.0/24', id: 'subnet-0a', map_public_ip_on_launch: true, vpc_id: 'vpc-0f00' },
  },
};

function assertFixtureEntries(entries: Map<string, ManifestEntry>): void {
  assert.equal([...entries.keys()], Object.keys(EXPECTED).sort());
  for (const [key, expected] of Object.entries(EXPECTED)) {
    const entry = entries.get(key) as ManifestEntry;
    assert.equal(entry, { type: 'value', sha256: contentHash(expected as never), content: expected, pair: true }, key);
  }
}

test('a refresh-only plan: one pair entry per drifted address from resource_drift; no-op changes and data sources give none', async () => {
  const observation = await createTerraformSource(config({ plan: path.join(FIXTURES, 'refresh-only-plan.json') })).observe(context());
  assertFixtureEntries(observation.entries);
  assert.equal(observation.stats, { entries: 5, hashed: 5, reused: 0, errors: 0 });
  assert.not.ok(JSON.stringify([...observation.entries]).includes('TOPSECRET'), 'sensitive values are never stored');
});

test('a clean plan has no entries', async () => {
  const observation = await createTerraformSource(config({ plan: path.join(FIXTURES, 'clean-plan.json') })).observe(context());
  assert.equal([...observation.entries.keys()], []);
  assert.equal(observation.stats, { entries: 0, hashed: 0, reused: 0, errors: 0 });
});

test('drift and planned changes merge by address; unknown values, sensitive values, deposed objects and ignore_fields', () =>
  withTempDir('tf-test', async (dir) => {
    const change = (actions: string[], before: unknown, after: unknown, marks: Record<string, unknown> = {}) => ({ actions, before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {}, ...marks });
    const plan = {
      format_version: '1.2',
      terraform_version: '1.9.8',
      planned_values: { root_module: {} },
      resource_drift: [
        { address: 'aws_instance.x', mode: 'managed', type: 'aws_instance', name: 'x', change: change(['update'], { tags: { Env: 'prod' }, tags_all: { Env: 'prod' } }, { tags: { Env: 'dev' }, tags_all: { Env: 'dev' } }) },
        // Only an ignored field drifted: no entry.
        { address: 'aws_instance.y', mode: 'managed', type: 'aws_instance', name: 'y', change: change(['update'], { tags_all: { A: '1' }, ami: 'a' }, { tags_all: { A: '2' }, ami: 'a' }) },
        // A secret changed and nothing else: still drift, shown without its value.
        { address: 'aws_ssm_parameter.token', mode: 'managed', type: 'aws_ssm_parameter', name: 'token', change: change(['update'], { value: 'old-TOPSECRET' }, { value: 'new-TOPSECRET' }, { before_sensitive: true, after_sensitive: { value: true } }) },
      ],
      resource_changes: [
        { address: 'aws_instance.x', mode: 'managed', type: 'aws_instance', name: 'x', change: change(['update'], { tags: { Env: 'dev' } }, { tags: { Env: 'prod' } }) },
        {
          address: 'aws_instance.new',
          mode: 'managed',
          type: 'aws_instance',
          name: 'new',
          change: change(['create'], null, { ami: 'ami-1', id: null, root_block_device: [{ volume_size: 8 }], password: 'p-TOPSECRET' }, { after_unknown: { id: true, arn: true, root_block_device: [{ volume_id: true }] }, after_sensitive: { password: true } }),
        },
        { address: 'aws_instance.old', mode: 'managed', type: 'aws_instance', name: 'old', deposed: '00000001', change: change(['delete'], { ami: 'ami-0' }, null, { after_sensitive: false }) },
        { address: 'aws_instance.same', mode: 'managed', type: 'aws_instance', name: 'same', change: change(['no-op'], { ami: 'a' }, { ami: 'a' }) },
      ],
    };
    const file = path.join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    const source = createTerraformSource(config({ plan: file, ignoreFields: [{ keys: ['aws_instance.*'], fields: ['tags_all'] }] }));
    const { entries } = await source.observe(context());
    assert.equal([...entries.keys()], ['aws_instance.new', 'aws_instance.old (deposed 00000001)', 'aws_instance.x', 'aws_ssm_parameter.token']);
    assert.equal(content(entries.get('aws_instance.x')), { type: 'aws_instance', actions: ['update'], planned_actions: ['update'], before: { tags: { Env: 'prod' } }, after: { tags: { Env: 'dev' } } });
    assert.equal(content(entries.get('aws_instance.new')), {
      type: 'aws_instance',
      actions: ['create'],
      before: null,
      after: { ami: 'ami-1', arn: '(known after apply)', id: '(known after apply)', password: '(sensitive)', root_block_device: [{ volume_id: '(known after apply)', volume_size: 8 }] },
    });
    assert.equal(content(entries.get('aws_instance.old (deposed 00000001)')), { type: 'aws_instance', actions: ['delete'], before: { ami: 'ami-0' }, after: null });
    assert.equal(content(entries.get('aws_ssm_parameter.token')), { type: 'aws_ssm_parameter', actions: ['update'], before: '(sensitive)', after: { value: '(sensitive, changed)' } });
    assert.ok([...entries.values()].every((e) => e.pair === true));
    assert.not.ok(JSON.stringify([...entries]).includes('TOPSECRET'));
  }));

test('input that is not plan JSON is SOURCE_FAILED saying what to run', () =>
  withTempDir('tf-test', async (dir) => {
    const observeFile = async (name: string, body: string | Buffer): Promise<DriftError> => {
      const file = path.join(dir, name);
      writeFileSync(file, body);
      return driftFailure(createTerraformSource(config({ plan: file })).observe(context()));
    };
    const state = await driftFailure(createTerraformSource(config({ plan: path.join(FIXTURES, 'state.json') })).observe(context()));
    assert.is(state.code, 'SOURCE_FAILED');
    assert.is(state.data.source, 'infra');
    assert.match(state.message, 'is the JSON of a Terraform state, not of a plan');
    assert.match(state.message, 'terraform plan -refresh-only -out=drift.tfplan');

    const noVersion = await observeFile('other.json', '{"resource_changes": []}');
    assert.is(noVersion.code, 'SOURCE_FAILED');
    assert.match(noVersion.message, 'has no format_version');
    assert.match(noVersion.message, 'terraform show -json drift.tfplan');

    assert.match((await observeFile('empty-state.json', '{"format_version":"1.0"}')).message, 'not of a plan');
    assert.match((await observeFile('text.json', 'No changes.')).message, 'is not JSON');
    assert.match((await observeFile('drift.tfplan', Buffer.from('PK\u0003\u0004binary'))).message, 'is a binary plan file, not JSON: run `terraform show -json drift.tfplan > plan.json`');
    assert.match((await observeFile('v2.json', '{"format_version":"2.0","resource_changes":[]}')).message, 'only 1.x is supported');
    assert.match((await observeFile('errored.json', '{"format_version":"1.2","errored":true,"resource_changes":[]}')).message, 'the plan errored');
    assert.match((await observeFile('bad.json', '{"format_version":"1.2","resource_drift":[{"change":{}}]}')).message, 'resource_drift[0] has no address or change.actions');
    const missing = await driftFailure(createTerraformSource(config({ plan: path.join(dir, 'nope.json') })).observe(context()));
    assert.match(missing.message, 'cannot read plan');
    assert.match(missing.message, 'ENOENT');
  }));

test('process: runs terraform plan -refresh-only then show -json in cwd, and removes the plan file', () =>
  withTempDir('tf-test', async (dir) => {
    const log = path.join(dir, 'calls.log');
    const work = path.join(dir, 'infra');
    mkdirSync(work);
    writeFileSync(path.join(work, 'plan.json'), readFileSync(path.join(FIXTURES, 'refresh-only-plan.json')));
    const source = createTerraformSource(config({ process: spec({ cwd: work }) }));
    const observation = await source.observe(context({ FAKE_TF_PLAN: 'plan.json', FAKE_TF_LOG: log }));
    assertFixtureEntries(observation.entries);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    // The third call asks for the provider schema (it fails here: no schema, lists match by value).
    assert.is(calls.length, 3);
    assert.is(calls[2], `${work} providers schema -json`);
    const planned = /^(\S+) plan -refresh-only -out=(\S+) -input=false -no-color$/.exec(calls[0]);
    assert.ok(planned, calls[0]);
    assert.is(planned?.[1], work);
    const planFile = planned?.[2] as string;
    assert.is(calls[1], `${work} show -json ${planFile}`);
    assert.ok(path.isAbsolute(planFile));
    assert.not.ok(existsSync(planFile), 'the plan file is removed');
    assert.not.ok(existsSync(path.dirname(planFile)), 'and its private folder');
  }));

test('process: global options in argv come before the subcommand', () =>
  withTempDir('tf-test', async (dir) => {
    const log = path.join(dir, 'calls.log');
    mkdirSync(path.join(dir, 'infra'));
    writeFileSync(path.join(dir, 'infra', 'plan.json'), readFileSync(path.join(FIXTURES, 'clean-plan.json')));
    const source = createTerraformSource(config({ process: spec({ cwd: dir, argv: [FAKE_TERRAFORM, '-chdir=infra'] }) }));
    const observation = await source.observe(context({ FAKE_TF_PLAN: 'plan.json', FAKE_TF_LOG: log }));
    assert.is(observation.entries.size, 0);
    assert.match(readFileSync(log, 'utf8'), `${dir} -chdir=infra plan -refresh-only -out=`);
  }));

test('process: a failing terraform is SOURCE_FAILED with the tail of its stderr', async () => {
  const error = await driftFailure(createTerraformSource(config({ process: spec({}) })).observe(context({ FAKE_TF_MODE: 'fail', FAKE_TF_PLAN: 'refresh-only-plan.json' })));
  assert.is(error.code, 'SOURCE_FAILED');
  assert.is(error.data.source, 'infra');
  assert.match(error.message, 'source "infra"');
  assert.match(error.message, 'plan -refresh-only');
  assert.match(error.message, 'exited with code 1');
  assert.match(error.message, 'Error: No valid credential sources found for AWS Provider.');
});

test('process: show -json of a state instead of a plan is SOURCE_FAILED', async () => {
  const error = await driftFailure(createTerraformSource(config({ process: spec({}) })).observe(context({ FAKE_TF_PLAN: 'state.json' })));
  assert.is(error.code, 'SOURCE_FAILED');
  assert.match(error.message, 'is the JSON of a Terraform state, not of a plan');
});

test('process behind a remote prefix: plan and show run in one remote shell, the plan file is removed there', () =>
  withTempDir('tf-test', async (dir) => {
    const host = path.join(dir, 'hosts', 'infra1');
    mkdirSync(host, { recursive: true });
    writeFileSync(path.join(host, 'plan.json'), readFileSync(path.join(FIXTURES, 'refresh-only-plan.json')));
    const log = path.join(dir, 'calls.log');
    const remote = spec({ cwd: dir, exec: [FAKE_SSH, 'infra1', '--'], env: ['FAKE_TF_PLAN', 'FAKE_TF_LOG', 'FAKE_SSH_ROOT'] });
    const observation = await createTerraformSource(config({ process: remote })).observe(context({ FAKE_TF_PLAN: 'plan.json', FAKE_TF_LOG: log, FAKE_SSH_ROOT: path.join(dir, 'hosts') }));
    assertFixtureEntries(observation.entries);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    assert.is(calls.length, 2);
    const planFile = /-out=(\S+)/.exec(calls[0])?.[1] as string;
    assert.ok(calls[0].startsWith(`${host} plan -refresh-only -out=`), calls[0]);
    assert.is(calls[1], `${host} show -json ${planFile}`);
    assert.not.ok(existsSync(planFile), 'the remote plan file is removed');
  }));

test.run();
