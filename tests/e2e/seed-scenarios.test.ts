import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject } from '../helpers/repo.js';
import {
  commitCount,
  expectCode,
  inRepo,
  LEDGER,
  ledgerLog,
  ledgerPaths,
  manifestEntries,
  oneJson,
  recordPathOf,
  revParse,
  sha256,
  showJson,
  tryGit,
  userState,
} from '../helpers/e2e.js';

/**
 * The seed Driftmon's test scenarios (shared/seeds/000_*.txt, "Test Scenarios" 1–7), through the
 * driftctl CLI on the seed's sample project. The Slack scenario (8) belongs to the alert tests.
 */

async function initialised(dir: string): Promise<void> {
  const init = await cli(dir, ['init', '--json']);
  expectCode(init, 0, 'init');
}

async function checkJson(dir: string, code: number): Promise<any> {
  const run = await cli(dir, ['check', '--json']);
  expectCode(run, code, 'check');
  const result = oneJson(run);
  assert.is(result.reports.length, 1);
  return result.reports[0];
}

test(
  '1. no drift: two snapshots of unchanged files, diff and check exit 0',
  inRepo(seedProject, async (repo) => {
    await initialised(repo.dir);
    expectCode(await cli(repo.dir, ['snapshot']), 0, 'snapshot');
    const diff = await cli(repo.dir, ['diff', '--json']);
    expectCode(diff, 0, 'diff');
    assert.is(oneJson(diff).status, 'clean');
    assert.is(oneJson(diff).summary.total, 0);
    const report = await checkJson(repo.dir, 0);
    assert.is(report.status, 'clean');
    assert.is(report.summary.highest, 'none');
    assert.equal(report.changes, []);
    assert.equal(report.errors, []);
    const human = await cli(repo.dir, ['check']);
    expectCode(human, 0, 'check (human)');
    assert.match(human.stdout, /target default: clean, no drift/);
  }),
);

test(
  '2. prompt edited: exactly one change, medium, by the prompts rule',
  inRepo(seedProject, async (repo) => {
    await initialised(repo.dir);
    const before = 'You are a helpful assistant.\n';
    const after = 'You are a terse assistant.\n';
    repo.write('prompts/system.txt', after);
    const report = await checkJson(repo.dir, 2);
    assert.is(report.status, 'drift');
    assert.is(report.summary.total, 1);
    assert.is(report.summary.highest, 'medium');
    assert.is(report.summary.bySeverity.medium, 1);
    assert.equal(report.changes.length, 1);
    const [change] = report.changes;
    assert.is(change.key, 'prompts/system.txt');
    assert.is(change.change, 'changed');
    assert.is(change.severity, 'medium');
    assert.is(change.rule, 'prompts/**');
    assert.is(change.before.sha256, sha256(before));
    assert.is(change.after.sha256, sha256(after));
    assert.is(change.after.size, Buffer.byteLength(after));
  }),
);

test(
  '3. config/models.yaml edited: exactly one change, high',
  inRepo(seedProject, async (repo) => {
    await initialised(repo.dir);
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    const report = await checkJson(repo.dir, 2);
    assert.is(report.summary.total, 1);
    assert.is(report.summary.highest, 'high');
    assert.is(report.changes[0].key, 'config/models.yaml');
    assert.is(report.changes[0].severity, 'high');
    assert.is(report.changes[0].rule, 'config/**');
    const human = await cli(repo.dir, ['check']);
    expectCode(human, 2, 'check (human)');
    assert.match(human.stdout, /DRIFT, 1 change \(1 high; 0 added, 0 removed, 1 changed\), highest high/);
    assert.match(human.stdout, /high\s+changed\s+config\/models\.yaml\s+config\/\*\*/);
  }),
);

test(
  '4. README.md edited but ignored: no drift, and not in the manifest',
  inRepo(seedProject, async (repo) => {
    await initialised(repo.dir);
    repo.write('README.md', '# changed\n\nmore text\n');
    repo.write('docs/guide.md', 'new ignored doc\n'); // "*.md" matches at any depth, but docs/ is not watched either
    repo.write('tests/test_x.py', 'print(1)\n');
    repo.write('src/__pycache__/main.cpython-312.py', 'junk');
    const report = await checkJson(repo.dir, 0);
    assert.is(report.status, 'clean');
    const keys = [...manifestEntries(repo, 'latest').keys()];
    assert.equal(keys, ['files:config/evals.json', 'files:config/models.yaml', 'files:prompts/system.txt', 'files:prompts/user.txt', 'files:src/main.py', 'files:src/utils.py']);
  }),
);

test(
  '5. mixed changes: every severity present, sorted by severity then key',
  inRepo(seedProject, async (repo) => {
    await initialised(repo.dir);
    repo.write('src/utils.py', 'def helper():\n    return 2\n');
    repo.write('src/main.py', 'print("hello, world")\n');
    repo.write('prompts/user.txt', 'Answer briefly: {question}\n');
    repo.write('prompts/system.txt', 'You are an expert.\n');
    repo.write('config/models.yaml', 'models: {}\n');
    repo.write('config/evals.json', '{"threshold": 0.9}\n');
    const report = await checkJson(repo.dir, 2);
    assert.equal(
      report.changes.map((c: any) => `${c.severity} ${c.key}`),
      ['high config/evals.json', 'high config/models.yaml', 'medium prompts/system.txt', 'medium prompts/user.txt', 'low src/main.py', 'low src/utils.py'],
    );
    assert.equal(report.summary.bySeverity, { critical: 0, high: 2, medium: 2, low: 2, info: 0 });
    assert.is(report.summary.changed, 6);
    assert.is(report.summary.highest, 'high');
    assert.ok(report.changes.every((c: any) => c.rule === (c.severity === 'low' ? 'default' : c.key.startsWith('config/') ? 'config/**' : 'prompts/**')));
  }),
);

test(
  '6. additions and removals: change kinds added and removed, with before/after',
  inRepo(seedProject, async (repo) => {
    await initialised(repo.dir);
    repo.write('src/new_module.py', 'x = 1\n');
    repo.write('config/extra.yaml', 'a: 1\n');
    repo.write('models/adapter.bin', Buffer.from([0, 1, 2, 3]));
    repo.remove('prompts/user.txt');
    repo.remove('src/utils.py');
    const report = await checkJson(repo.dir, 2);
    const byKey = Object.fromEntries(report.changes.map((c: any) => [c.key, c]));
    assert.equal(
      report.changes.map((c: any) => `${c.change} ${c.severity} ${c.key}`),
      ['added high config/extra.yaml', 'removed medium prompts/user.txt', 'added low models/adapter.bin', 'added low src/new_module.py', 'removed low src/utils.py'],
    );
    assert.is(report.summary.added, 3);
    assert.is(report.summary.removed, 2);
    assert.is(report.summary.changed, 0);
    assert.is(byKey['config/extra.yaml'].before, undefined);
    assert.is(byKey['config/extra.yaml'].after.sha256, sha256('a: 1\n'));
    assert.is(byKey['prompts/user.txt'].after, undefined);
    assert.is(byKey['prompts/user.txt'].before.sha256, sha256('Answer the question: {question}\n'));
  }),
);

test(
  '7. persistence: the ledger is readable with plain git, and HEAD, index and work tree are untouched',
  inRepo(seedProject, async (repo) => {
    // A user repository with history, a staged change, an unstaged change and an untracked file.
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'project');
    repo.write('src/main.py', 'print("staged")\n');
    repo.git('add', 'src/main.py');
    repo.write('src/utils.py', 'def helper():\n    return "unstaged"\n');
    repo.write('notes.txt', 'untracked\n');
    const before = userState(repo);
    const mainBefore = revParse(repo, 'main');

    await initialised(repo.dir);
    assert.equal(userState(repo), before, 'init left HEAD, index and work tree alone');
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: o3\n');
    repo.write('prompts/system.txt', 'changed prompt\n');
    const afterEdit = userState(repo);
    const run = await cli(repo.dir, ['check', '--json']);
    expectCode(run, 2, 'check');
    const report = oneJson(run).reports[0];
    assert.equal(userState(repo), afterEdit, 'check left HEAD, index and work tree alone');
    assert.is(revParse(repo, 'main'), mainBefore);
    assert.is(tryGit(repo, 'merge-base', 'main', LEDGER).status, 1, 'the ledger shares no history with main');

    // git log drift-ledger: one commit per operation, newest first, with trailers.
    const log = ledgerLog(repo);
    assert.equal(
      log.map((c) => c.trailers['Drift-Kind']).filter((kind) => kind !== 'alert'),
      ['report', 'accept', 'snapshot', 'ledger'],
    );
    assert.ok(log.every((c, i) => c.parents.length === (i === log.length - 1 ? 0 : 1) && (i === log.length - 1 || c.parents[0] === log[i + 1].oid)), 'linear history');
    const tip = log.find((c) => c.trailers['Drift-Kind'] === 'report') as (typeof log)[number];
    assert.equal(
      { target: tip.trailers['Drift-Target'], kind: tip.trailers['Drift-Kind'], status: tip.trailers['Drift-Status'], severity: tip.trailers['Drift-Severity'], record: tip.trailers['Drift-Record'] },
      { target: 'default', kind: 'report', status: 'drift', severity: 'high', record: report.id },
    );
    assert.is(tip.subject, 'report default: drift, 2 changes (highest high)');
    // One commit per check: its snapshot is recorded in the same commit as its report.
    assert.equal(tip.kinds.slice(0, 2), ['report', 'snapshot']);
    assert.equal(tip.records.slice(0, 2), [report.id, report.snapshot.id]);
    const grep = repo.git('log', LEDGER, '--grep', 'Drift-Status: drift', '--format=%H').trim();
    assert.is(grep, tip.oid, 'git log --grep finds the drift report');

    // git show drift-ledger:<record path> is the same report, as canonical JSON.
    const recordPath = recordPathOf(repo, report.id, 'report');
    assert.match(recordPath, /^targets\/default\/records\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[^/]+\.report\.json$/);
    const text = repo.git('show', `${LEDGER}:${recordPath}`);
    assert.equal(JSON.parse(text), report);
    assert.ok(text.endsWith('}\n') && text.startsWith('{\n  "baseline"'), 'canonical JSON: sorted keys, two-space indent, trailing newline');
    const head = showJson(repo, 'targets/default/head.json');
    assert.is(head.report.id, report.id);
    assert.is(head.report.status, 'drift');
    assert.is(head.snapshot.tree, revParse(repo, `${LEDGER}:targets/default/latest`));
    assert.is(report.snapshot.tree, head.snapshot.tree);
    assert.is(report.baseline.tree, revParse(repo, `${LEDGER}:targets/default/baseline`));
    assert.ok(ledgerPaths(repo).includes('ledger.json'));
    // The manifest holds what is on disk now (the unstaged edit too), not what git has staged.
    const entries = manifestEntries(repo, 'latest');
    assert.is(entries.get('files:src/utils.py').sha256, sha256('def helper():\n    return "unstaged"\n'));
    assert.is(entries.get('files:src/main.py').sha256, sha256('print("staged")\n'));
    assert.is(commitCount(repo), log.length);
  }),
);

test.run();
