import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isCanonicalJson } from '../../src/drift/canonical-json.js';
import { validateAgainst, type SchemaName } from '../../src/schemas.js';
import { cli, REPO_ROOT } from '../helpers/repo.js';

/**
 * ledger/sample.bundle was written by driftctl 0.1.0 (ledger format 1). Every later version must
 * still read it: history, diffs, status, and every record valid against today's schemas.
 */
const work = mkdtempSync(path.join(tmpdir(), 'driftctl-sample-'));
const ledgerRepo = path.join(work, 'ledger.git');
const project = path.join(work, 'project');
execFileSync('git', ['clone', '-q', '--bare', path.join(REPO_ROOT, 'ledger', 'sample.bundle'), ledgerRepo]);
mkdirSync(project);
writeFileSync(
  path.join(project, 'driftctl.yml'),
  `version: 1
ledger:
  path: ../ledger.git
sources:
  - name: files
    kind: files
    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml"]
severity:
  default: low
  rules:
    - match: "config/**"
      severity: high
    - match: "prompts/**"
      severity: medium
`,
);

test('log reads the whole history with kinds and statuses', async () => {
  const run = await cli(project, ['log', '--json']);
  assert.is(run.code, 0, run.stderr);
  const entries = run.json().entries as { kind: string; status: string | null; severity: string | null }[];
  assert.equal(
    entries.map((e) => e.kind),
    ['report', 'snapshot', 'accept', 'report', 'snapshot', 'accept', 'snapshot', 'ledger'],
  );
  assert.equal([entries[0].status, entries[0].severity], ['drift', 'high']);
  assert.equal([entries[3].status, entries[3].severity], ['drift', 'high']);
});

test('diff baseline → latest shows the drift that was left open', async () => {
  const run = await cli(project, ['diff', '--json']);
  assert.is(run.code, 2, run.stderr);
  const result = run.json();
  assert.equal(
    result.changes.map((c: { key: string; severity: string; change: string }) => [c.key, c.change, c.severity]),
    [['config/models.yaml', 'changed', 'high']],
  );
});

test('diff between the initial snapshot and the latest shows both edits', async () => {
  const log = (await cli(project, ['log', '--json', '--kind', 'snapshot'])).json().entries as { record: string }[];
  const first = log[log.length - 1].record;
  const run = await cli(project, ['diff', first, 'latest', '--json']);
  assert.is(run.code, 2, run.stderr);
  assert.equal(
    run.json().changes.map((c: { key: string }) => c.key),
    ['config/models.yaml', 'prompts/system.txt'],
  );
});

test('status reads head.json: baseline author and last verdict', async () => {
  const run = await cli(project, ['status', '--json']);
  assert.is(run.code, 0, run.stderr);
  const target = run.json().targets[0];
  assert.is(target.baseline.by, 'Sample Auditor <auditor@example.test>');
  assert.is(target.lastVerdict.status, 'drift');
  assert.is(target.entries, 3);
});

test('every JSON file in every commit is canonical and valid against its schema', () => {
  const commits = execFileSync('git', ['rev-list', 'drift-ledger'], { cwd: ledgerRepo, encoding: 'utf8' }).trim().split('\n');
  assert.is(commits.length, 8);
  let checked = 0;
  for (const commit of commits) {
    const files = execFileSync('git', ['ls-tree', '-r', '--name-only', commit], { cwd: ledgerRepo, encoding: 'utf8' }).trim().split('\n');
    for (const file of files) {
      const text = execFileSync('git', ['show', `${commit}:${file}`], { cwd: ledgerRepo, encoding: 'utf8' });
      assert.ok(isCanonicalJson(text), `${commit}:${file} is not canonical`);
      const base = path.basename(file);
      const schema: SchemaName = /^@([0-9a-f]{2})?\.json$/.test(base)
        ? 'shard'
        : base === 'ledger.json'
          ? 'ledger'
          : base === 'head.json'
            ? 'head'
            : (base.split('.').slice(-2)[0] as SchemaName);
      const issues = validateAgainst(schema, JSON.parse(text));
      assert.equal(issues, [], `${commit}:${file}`);
      checked++;
    }
  }
  assert.ok(checked > 30, `checked ${checked} files`);
});

test('verify passes on the format-1 sample (records from before hash chains are accepted as such)', async () => {
  const run = await cli(project, ['verify', '--json']);
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.equal(
    run.json().checks.map((c: { id: string; status: string }) => [c.id, c.status]),
    [
      ['schema', 'PASS'],
      ['append-only', 'PASS'],
      ['reproducible', 'PASS'],
      ['continuity', 'PASS'],
      ['signatures', 'SKIP'],
      ['gaps', 'SKIP'],
    ],
  );
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
