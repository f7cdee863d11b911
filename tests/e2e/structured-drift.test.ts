import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, LEDGER, oneJson } from '../helpers/e2e.js';

/**
 * Field-level drift of structured files through the CLI, compared exactly: changed, added and
 * removed fields in both directions, ignore_fields, KEY#FIELD severity rules, formatting-only
 * edits that are not drift, and directory groups (seed 003's addon hashes) naming their files.
 */
const CONFIG = `version: 1
sources:
  - kind: files
    watch: ["config/**", "compose/**"]
    structured: ["config/**/*.yaml", "config/**/*.json"]
    group: "addons/*"
    ignore_fields:
      - /generated_at
      - { keys: "config/app.json", fields: ["build.**"] }
severity:
  default: low
  rules:
    - name: model names
      match: "config/models.yaml#/models/*/name"
      severity: critical
    - name: capacity
      match: "config/*.yaml#node_count"
      severity: high
    - name: addons
      match: "addons/**"
      severity: medium
`;

const MODELS = `generated_at: 2026-01-01T00:00:00Z
node_count: 3
legacy_mode: true
models:
  primary:
    name: gpt-4o
    temperature: 0.2
`;

function project(): TempRepo {
  return makeRepo({
    'driftctl.yml': CONFIG,
    'config/models.yaml': MODELS,
    'config/app.json': '{"name": "shop", "build": {"id": 41, "at": "monday"}}\n',
    'addons/qr_ordering/__manifest__.py': "{'name': 'QR Ordering'}\n",
    'addons/qr_ordering/models/order.py': 'class Order: pass\n',
    'addons/ocr/__init__.py': '\n',
    'compose/docker-compose.yml': 'services: {}\n',
  });
}

async function check(repo: TempRepo, code: number): Promise<any> {
  const run = await cli(repo.dir, ['check', '--json', '--no-alert']);
  expectCode(run, code, 'check');
  return oneJson(run).reports[0];
}

test(
  'a structured YAML change is reported field by field, with per-field severity',
  inRepo(project, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    // Formatting, comments, key order and ignored fields are not drift.
    repo.write('config/models.yaml', `# reformatted\nmodels: { primary: { temperature: 0.2, name: gpt-4o } }\nlegacy_mode: true\nnode_count: 3\ngenerated_at: 2026-02-02T00:00:00Z\n`);
    repo.write('config/app.json', '{"build": {"at": "tuesday", "id": 42}, "name": "shop"}');
    assert.is((await check(repo, 0)).status, 'clean');

    repo.write('config/models.yaml', `node_count: 5\nmodels:\n  primary:\n    name: gpt-4.1\n    temperature: 0.2\n  fallback:\n    name: gpt-4o-mini\n`);
    const report = await check(repo, 2);
    assert.equal(report.changes.length, 1);
    const change = report.changes[0];
    assert.equal([change.key, change.change, change.severity, change.rule], ['config/models.yaml', 'changed', 'critical', 'model names']);
    assert.equal(change.fields, [
      { path: '/legacy_mode', change: 'removed', before: true, severity: 'low', rule: 'default' },
      { path: '/models/fallback', change: 'added', after: { name: 'gpt-4o-mini' }, severity: 'critical', rule: 'model names' },
      { path: '/models/primary/name', change: 'changed', before: 'gpt-4o', after: 'gpt-4.1', severity: 'critical', rule: 'model names' },
      { path: '/node_count', change: 'changed', before: 3, after: 5, severity: 'high', rule: 'capacity' },
    ]);
    assert.not.ok('content' in change.after, 'reports do not copy the content');

    const text = await cli(repo.dir, ['diff']);
    expectCode(text, 2, 'diff');
    const lines = text.stdout.split('\n').filter((l) => l.startsWith('  config/models.yaml: '));
    assert.equal(lines, [
      '  config/models.yaml: legacy_mode: removed (was true)',
      '  config/models.yaml: models.fallback: added {"name":"gpt-4o-mini"}',
      '  config/models.yaml: models.primary.name: "gpt-4o" → "gpt-4.1"',
      '  config/models.yaml: node_count: 3 → 5',
    ]);

    // The other direction: keys come back, others go.
    expectCode(await cli(repo.dir, ['accept', 'config/models.yaml', '--reason', 'gpt-4.1 rollout']), 0, 'accept');
    repo.write('config/models.yaml', MODELS);
    const back = await check(repo, 2);
    assert.equal(
      back.changes[0].fields.map((f: any) => [f.path, f.change, f.severity]),
      [
        ['/legacy_mode', 'added', 'low'],
        ['/models/fallback', 'removed', 'critical'],
        ['/models/primary/name', 'changed', 'critical'],
        ['/node_count', 'changed', 'high'],
      ],
    );
    expectCode(await cli(repo.dir, ['verify']), 0, 'verify recomputes field-level reports');
    // An auditor's blame names the fields each snapshot and accept changed.
    const blame = oneJson(await cli(repo.dir, ['blame', 'config/models.yaml', '--json']));
    assert.equal(
      blame.events.map((e: any) => [e.kind, e.change, e.details]),
      [
        ['snapshot', 'added', []],
        ['accept', 'added', []],
        ['snapshot', 'changed', ['legacy_mode: removed (was true)', 'models.fallback: added {"name":"gpt-4o-mini"}', 'models.primary.name: "gpt-4o" → "gpt-4.1"', 'node_count: 3 → 5']],
        ['accept', 'changed', ['legacy_mode: removed (was true)', 'models.fallback: added {"name":"gpt-4o-mini"}', 'models.primary.name: "gpt-4o" → "gpt-4.1"', 'node_count: 3 → 5']],
        ['snapshot', 'changed', ['legacy_mode: added true', 'models.fallback: removed (was {"name":"gpt-4o-mini"})', 'models.primary.name: "gpt-4.1" → "gpt-4o"', 'node_count: 5 → 3']],
      ],
    );
    assert.not.ok('content' in blame.events[0].entry);
  }),
);

test(
  'a file that stops parsing is changed without field detail; groups name the files that differ',
  inRepo(project, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('config/models.yaml', 'models: [unclosed\n');
    repo.write('addons/qr_ordering/models/order.py', 'class Order:\n    total = 0\n');
    repo.write('addons/qr_ordering/static/qr.js', 'scan()\n');
    repo.remove('addons/qr_ordering/__manifest__.py');
    const report = await check(repo, 2);
    assert.equal(
      report.changes.map((c: any) => [c.key, c.change, c.severity, c.fields ?? null, c.files ?? null]),
      [
        ['addons/qr_ordering', 'changed', 'medium', null, [
          { path: '__manifest__.py', change: 'removed' },
          { path: 'models/order.py', change: 'changed' },
          { path: 'static/qr.js', change: 'added' },
        ]],
        ['config/models.yaml', 'changed', 'low', null, null],
      ],
    );
    const text = await cli(repo.dir, ['diff']);
    assert.match(text.stdout, /^ {2}addons\/qr_ordering: file models\/order\.py changed$/m);
  }),
);

test(
  'a bad field pattern is a config error naming the field',
  inRepo(
    () => makeRepo({ 'driftctl.yml': 'version: 1\nsources:\n  - kind: files\n    watch: ["**"]\n    ignore_fields: ["a[0"]\nseverity:\n  rules:\n    - match: "x.yaml#/a/b"\n      severity: high\n    - match: "x.yaml#"\n      severity: high\n' }),
    async (repo) => {
      const run = await cli(repo.dir, ['check']);
      expectCode(run, 1, 'bad patterns');
      assert.match(run.stderr, /driftctl\.yml:5: sources\[0\]\.ignore_fields\[0\]: unclosed "\[" in field pattern a\[0/);
      assert.match(run.stderr, /severity\.rules\[1\]\.match: has a field part after "#" that must not be empty/);
      assert.not.match(run.stderr, /rules\[0\]/);
    },
  ),
);

test(
  'integers beyond 2^53 keep every digit through the ledger, the content cache and the report; JSON duplicate keys are byte-hashed',
  inRepo(project, async (repo) => {
    repo.write('config/ids.json', '{"ids": [9223372036854775807]}\n');
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    // The baseline stores the exact digits (JSON.parse would read 9223372036854775808).
    assert.match(repo.git('grep', '-h', '922337203685477', LEDGER, '--', 'targets/default/baseline'), /^\s*9223372036854775807$/m);
    // A re-check reads the content cache: still clean.
    assert.is((await check(repo, 0)).status, 'clean');
    repo.write('config/ids.json', '{"ids": [9223372036854775808]}\n');
    const report = await check(repo, 2);
    const change = report.changes.find((c: any) => c.key === 'config/ids.json');
    assert.equal(change.fields.map((f: any) => [f.path, f.before, f.after]), [['/ids/0', '9223372036854775807', '9223372036854775808']]);
    repo.write('config/ids.json', '{"ids": [9223372036854775807], "ids": [9223372036854775807]}\n');
    const dup = (await check(repo, 2)).changes.find((c: any) => c.key === 'config/ids.json');
    assert.is(dup.fields, undefined, 'a file with duplicate keys is recorded by its bytes');
  }),
);

test.run();
