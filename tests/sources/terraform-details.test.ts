import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TerraformSourceConfig } from '../../src/config/config.js';
import type { SourceManifest } from '../../src/drift/manifest.js';
import { changeDetails, classifyDeltas } from '../../src/drift/report.js';
import { setPathsFromSchema } from '../../src/drift/terraform-sets.js';
import { createTerraformSource } from '../../src/sources/terraform-source.js';

// Terraform sets and moved resources (fixtures: see tests/fixtures/README.md).

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'terraform');
const PLAN = path.join(FIXTURES, 'set-and-move-plan.json');
const SCHEMA = path.join(FIXTURES, 'providers-schema.json');

async function observe(extra: Partial<TerraformSourceConfig> = {}): Promise<SourceManifest> {
  const source = createTerraformSource({ kind: 'terraform', name: 'infra', ignoreFields: [], plan: PLAN, ...extra });
  return (await source.observe({ cacheDir: '/tmp', env: {}, now: new Date('2026-01-02T03:04:05Z') })).entries;
}

function details(entries: SourceManifest): Record<string, string[]> {
  const deltas = [...entries].map(([key, after]) => ({ source: 'infra', key, after }));
  const { changes } = classifyDeltas('t', deltas, { default: 'low', rules: [] });
  return Object.fromEntries(changes.map((c) => [c.key, changeDetails(c)]));
}

test('a rule replaced within a set is one changed element, not every element shifted (with and without the provider schema)', async () => {
  const expected = ['ingress[2].cidr_blocks[0]: "10.0.0.0/8" → "0.0.0.0/0"'];
  assert.equal(details(await observe())['aws_security_group.web'], expected, 'no schema: list elements matched by value');
  const withSchema = await observe({ schema: SCHEMA });
  const content = withSchema.get('aws_security_group.web')?.content as { sets: string[]; after: { ingress: { from_port: number }[] } };
  assert.equal(content.sets, ['ingress', 'ingress.*.security_groups']);
  // Set elements are stored in a canonical order (by their canonical JSON), so Terraform's own order is never drift.
  assert.equal(content.after.ingress.map((r) => r.from_port), [443, 80, 22]);
  const shown = details(withSchema)['aws_security_group.web'];
  assert.is(shown.length, 1);
  assert.match(shown[0], /^ingress\[\d\]\.cidr_blocks\[0\]: "10\.0\.0\.0\/8" → "0\.0\.0\.0\/0"$/);
});

test('set order alone is not drift with the schema', async () => {
  const plan = JSON.parse(readFileSync(PLAN, 'utf8'));
  const first = (await observe({ schema: SCHEMA })).get('aws_security_group.web')?.sha256;
  plan.resource_drift[0].change.after.ingress.reverse();
  const dir = mkdtempSync(path.join(tmpdir(), 'tf-sets-'));
  writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(plan));
  const again = (await observe({ plan: path.join(dir, 'plan.json'), schema: SCHEMA })).get('aws_security_group.web')?.sha256;
  assert.is(again, first);
});

test('provider schema: set attributes, nested sets and set blocks', () => {
  const paths = setPathsFromSchema(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  assert.equal(paths.get('aws_instance'), [['vpc_security_group_ids'], ['ebs_block_device']]);
  assert.equal(paths.get('aws_security_group'), [['ingress'], ['ingress', '*', 'security_groups']]);
});

test('a moved resource shows its new address and its previous_address', async () => {
  const entries = await observe();
  assert.equal([...entries.keys()], ['aws_instance.api', 'aws_security_group.web', 'module.db.aws_db_instance.main']);
  assert.equal((entries.get('aws_instance.api')?.content as { previous_address: string }).previous_address, 'aws_instance.app');
  const shown = details(entries);
  assert.equal(shown['aws_instance.api'], ['action: move', 'moved from aws_instance.app']);
  assert.equal(shown['module.db.aws_db_instance.main'], ['moved from aws_db_instance.main', 'allocated_storage: 20 → 50']);
  const deltas = [...entries].map(([key, after]) => ({ source: 'infra', key, after }));
  assert.is(classifyDeltas('t', deltas, { default: 'low', rules: [] }).changes.find((c) => c.key === 'aws_instance.api')?.movedFrom, 'aws_instance.app');
});

test.run();
