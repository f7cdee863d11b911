import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateAgainst } from '../../src/schemas.js';
import { expectCode, inRepo, oneJson } from '../helpers/e2e.js';
import { cli, makeRepo, seedProject } from '../helpers/repo.js';

/** `check --json`: one shape for one target or many, with the aggregated `summary` at the top (schemas/check-output.schema.json). */

const FLEET = `version: 1
targets:
  - name: web
    sources: [ { kind: files, root: web, watch: ["**/*"] } ]
  - name: db
    sources: [ { kind: files, root: db, watch: ["**/*"] } ]
severity:
  default: low
  rules:
    - match: "*.conf"
      severity: high
`;

test(
  'two targets: top-level summary counts both reports, reports[] kept, the output matches its schema',
  inRepo(
    () => makeRepo({ 'driftctl.yml': FLEET, 'web/index.html': 'hi\n', 'web/a.txt': 'a\n', 'db/pg.conf': 'x=1\n' }),
    async (repo) => {
      expectCode(await cli(repo.dir, ['init']), 0, 'init');
      const clean = oneJson(await cli(repo.dir, ['check', '--json']));
      assert.equal(validateAgainst('check-output', clean), []);
      assert.is(clean.summary.total, 0);
      assert.is(clean.summary.highest, 'none');

      repo.write('web/index.html', 'hello\n');
      repo.remove('web/a.txt');
      repo.write('db/pg.conf', 'x=2\n');
      repo.write('db/new.txt', 'n\n');
      const run = await cli(repo.dir, ['check', '--json']);
      expectCode(run, 2, 'check');
      const out = oneJson(run);
      assert.equal(validateAgainst('check-output', out), []);
      assert.is(out.reports.length, 2);
      assert.equal(out.summary, { added: 1, removed: 1, changed: 2, total: 4, highest: 'high', bySeverity: { critical: 0, high: 1, medium: 0, low: 3, info: 0 } });
      assert.is(out.summary.total, out.reports[0].summary.total + out.reports[1].summary.total);
    },
  ),
);

test(
  'one target: the top-level summary is that report\'s summary',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    const out = oneJson(await cli(repo.dir, ['check', '--json']));
    assert.equal(validateAgainst('check-output', out), []);
    assert.equal(out.summary, out.reports[0].summary);
    assert.is(out.summary.total, 1);
  }),
);

test('the schema rejects the old shape (no top-level summary) and a summary with a wrong field', () => {
  const base = { status: 'clean', reports: [], snapshots: [], skipped: [], failures: [], alerts: [], deliveries: [], autoAccepted: [], branch: 'drift-ledger', tip: 'a'.repeat(40) };
  assert.equal(validateAgainst('check-output', base).map((i) => i.path), ['summary']);
  const summary = { added: 0, removed: 0, changed: 0, total: 'none', highest: 'none', bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } };
  assert.equal(validateAgainst('check-output', { ...base, summary }).map((i) => i.path), ['summary.total']);
});

test.run();
