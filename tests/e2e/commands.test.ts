import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, seedProject, type TempRepo } from '../helpers/repo.js';
import {
  commitCount,
  expectCode,
  inRepo,
  LEDGER,
  ledgerLog,
  ledgerPaths,
  ledgerTip,
  oneJson,
  RECORD_ID,
  recordPathOf,
  revParse,
  sha256,
  showJson,
  userState,
} from '../helpers/e2e.js';

/** Every command through the CLI: output, exit codes, and what lands on the ledger. */

async function json(repo: TempRepo, args: string[], code: number): Promise<any> {
  const run = await cli(repo.dir, [...args, '--json']);
  expectCode(run, code, args.join(' '));
  return oneJson(run);
}

async function initialised(): Promise<TempRepo> {
  const repo = seedProject();
  try {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
  } catch (error) {
    repo.cleanup();
    throw error;
  }
  return repo;
}

const MODELS_V2 = 'models:\n  primary:\n    name: gpt-4.1\n';
const SYSTEM_V2 = 'You are a careful assistant.\n';

test(
  'snapshot prints its id; the id names a snapshot record whose tree is the new latest',
  inRepo(initialised, async (repo) => {
    const tip = ledgerTip(repo);
    const run = await cli(repo.dir, ['snapshot']);
    expectCode(run, 0, 'snapshot');
    const [line] = run.stdout.split('\n');
    const id = line.split(/\s+/)[0];
    assert.match(id, RECORD_ID, `first word of ${JSON.stringify(line)}`);
    assert.match(line, /target default: 6 entries$/);
    const record = showJson(repo, recordPathOf(repo, id, 'snapshot'));
    assert.equal([record.kind, record.id, record.target], ['snapshot', id, 'default']);
    assert.is(record.tree, revParse(repo, `${LEDGER}:targets/default/latest`));
    const [commit] = ledgerLog(repo);
    assert.equal([commit.parents, commit.trailers['Drift-Kind'], commit.trailers['Drift-Record']], [[tip], 'snapshot', id]);
    const doc = await json(repo, ['snapshot'], 0);
    assert.match(doc.snapshots[0].id, RECORD_ID);
    assert.is(doc.snapshots[0].entries, 6);
    assert.is(doc.tip, ledgerTip(repo));
  }),
);

test(
  'diff: defaults to baseline → latest, takes record ids and ledger commits, exit 2 on differences and 0 when equal, writes nothing',
  inRepo(initialised, async (repo) => {
    const initTip = ledgerTip(repo) as string;
    const s1 = (await json(repo, ['snapshot'], 0)).snapshots[0].id;
    repo.write('config/models.yaml', MODELS_V2);
    const s2 = (await json(repo, ['snapshot'], 0)).snapshots[0].id;
    const tip = ledgerTip(repo);

    let doc = await json(repo, ['diff'], 2);
    assert.equal([doc.from.spec, doc.to.spec, doc.status], ['baseline', 'latest', 'drift']);
    assert.equal(doc.changes.map((c: any) => `${c.severity} ${c.change} ${c.key}`), ['high changed config/models.yaml']);
    assert.is(doc.to.tree, revParse(repo, `${LEDGER}:targets/default/latest`));
    assert.is(doc.from.tree, revParse(repo, `${LEDGER}:targets/default/baseline`));

    const human = await cli(repo.dir, ['diff']);
    expectCode(human, 2, 'diff (human)');
    assert.match(human.stdout, /^target default: baseline → latest: 1 change \(1 high; 0 added, 0 removed, 1 changed\)/);

    doc = await json(repo, ['diff', s1, 'latest'], 2);
    assert.is(doc.changes[0].key, 'config/models.yaml');
    doc = await json(repo, ['diff', s2, 'latest'], 0);
    assert.is(doc.summary.total, 0);
    doc = await json(repo, ['diff', s2, s1], 2);
    assert.equal([doc.changes[0].before.sha256, doc.changes[0].after.sha256], [sha256(MODELS_V2), sha256('models:\n  primary:\n    name: gpt-4o\n')]);
    await json(repo, ['diff', 'latest', 'latest'], 0);
    await json(repo, ['diff', 'baseline', 'baseline'], 0);

    // A ledger commit (full or abbreviated) means the latest snapshot at that commit.
    doc = await json(repo, ['diff', initTip, 'latest'], 2);
    assert.is(doc.from.commit, initTip);
    doc = await json(repo, ['diff', initTip.slice(0, 10), s1], 0);
    assert.is(doc.from.commit, initTip);
    await json(repo, ['diff', `${LEDGER}~1`, 'latest'], 2);
    await json(repo, ['diff', `baseline@${initTip.slice(0, 12)}`, 'baseline'], 0);

    const unknown = await json(repo, ['diff', 'nonsense-point'], 1);
    assert.is(unknown.error.code, 'UNKNOWN_POINT');
    assert.is(ledgerTip(repo), tip, 'diff writes nothing');
  }),
);

test(
  'accept KEY --reason: partial accept leaves the other drift open; the record says who and why',
  inRepo(initialised, async (repo) => {
    repo.write('config/models.yaml', MODELS_V2);
    repo.write('prompts/system.txt', SYSTEM_V2);
    await json(repo, ['check'], 2);
    const latest = revParse(repo, `${LEDGER}:targets/default/latest`);
    const baselineBefore = revParse(repo, `${LEDGER}:targets/default/baseline`);

    const doc = await json(repo, ['accept', 'config/models.yaml', '--reason', 'gpt-4.1 rollout approved'], 0);
    assert.is(doc.status, 'accepted');
    assert.equal(doc.accepted.map((c: any) => c.key), ['config/models.yaml']);
    assert.is(doc.remaining, 1);
    const record = showJson(repo, recordPathOf(repo, doc.record.id, 'accept'));
    assert.equal(record.by, { name: 'Test Author', email: 'author@example.test' });
    assert.is(record.reason, 'gpt-4.1 rollout approved');
    assert.equal([record.scope, record.keys], ['keys', ['config/models.yaml']]);
    assert.equal(record.changes.map((c: any) => c.key), ['config/models.yaml']);
    assert.is(record.baseline.before, baselineBefore);
    const baselineAfter = revParse(repo, `${LEDGER}:targets/default/baseline`);
    assert.is(record.baseline.after, baselineAfter);
    assert.is.not(baselineAfter, latest, 'a partial accept is not the whole latest snapshot');
    const [commit] = ledgerLog(repo).filter((c) => c.trailers['Drift-Kind'] === 'accept');
    assert.equal([commit.trailers['Drift-Actor'], commit.trailers['Drift-Record']], ['Test Author <author@example.test>', doc.record.id]);
    assert.match(commit.subject, /^accept default: 1 change by Test Author: gpt-4\.1 rollout approved$/);
    assert.is(showJson(repo, 'targets/default/head.json').baseline.by, 'Test Author <author@example.test>');

    const next = await json(repo, ['check'], 2);
    assert.equal(next.reports[0].changes.map((c: any) => c.key), ['prompts/system.txt']);
    // The accepted entry's baseline state is the snapshot's, the other entry's is unchanged.
    await json(repo, ['diff', 'baseline', `baseline@${LEDGER}~1`], 0);
  }),
);

test(
  'accept --all --reason makes the next check clean; nothing left to accept is not an error and adds no commit',
  inRepo(initialised, async (repo) => {
    repo.write('config/models.yaml', MODELS_V2);
    repo.write('prompts/system.txt', SYSTEM_V2);
    repo.remove('src/utils.py');
    await json(repo, ['check'], 2);
    const doc = await json(repo, ['accept', '--all', '--reason', 'release 2.3'], 0);
    assert.equal([doc.status, doc.accepted.length, doc.remaining], ['accepted', 3, 0]);
    assert.is(revParse(repo, `${LEDGER}:targets/default/baseline`), revParse(repo, `${LEDGER}:targets/default/latest`));
    const record = showJson(repo, recordPathOf(repo, doc.record.id, 'accept'));
    assert.equal([record.scope, record.keys, record.reason], ['all', [], 'release 2.3']);
    const clean = await json(repo, ['check'], 0);
    assert.is(clean.reports[0].status, 'clean');

    const count = commitCount(repo);
    const nothing = await json(repo, ['accept', '--all', '--reason', 'again'], 0);
    assert.is(nothing.status, 'nothing-to-accept');
    assert.is(commitCount(repo), count);
  }),
);

test(
  'accept refuses: no --reason, blank reason, no keys, keys with --all, a key with no drift',
  inRepo(initialised, async (repo) => {
    repo.write('config/models.yaml', MODELS_V2);
    await json(repo, ['check'], 2);
    const count = commitCount(repo);
    assert.is((await json(repo, ['accept', 'config/models.yaml'], 1)).error.code, 'REASON_REQUIRED');
    assert.is((await json(repo, ['accept', '--all'], 1)).error.code, 'REASON_REQUIRED');
    assert.is((await json(repo, ['accept', 'config/models.yaml', '--reason', '   '], 1)).error.code, 'REASON_REQUIRED');
    assert.is((await json(repo, ['accept', '--reason', 'why'], 1)).error.code, 'KEYS_REQUIRED');
    assert.is((await json(repo, ['accept', 'config/models.yaml', '--all', '--reason', 'why'], 1)).error.code, 'KEYS_AND_ALL');
    const notDrifted = await json(repo, ['accept', 'src/main.py', 'config/models.yaml', '--reason', 'why'], 1);
    assert.is(notDrifted.error.code, 'KEY_NOT_DRIFTED');
    assert.equal(notDrifted.error.data.keys, ['src/main.py']);
    const human = await cli(repo.dir, ['accept', 'src/main.py', '--reason', 'why']);
    expectCode(human, 1, 'accept (human)');
    assert.match(human.stderr, /^driftctl: error: no drift to accept for "src\/main\.py" in target "default"/);
    assert.is(commitCount(repo), count, 'refused accepts write nothing');
    // A glob accepts every drifted key it matches.
    repo.write('prompts/user.txt', 'new user prompt\n');
    await json(repo, ['check'], 2);
    const glob = await json(repo, ['accept', 'prompts/**', 'config/*.yaml', '--reason', 'globs'], 0);
    assert.equal(glob.accepted.map((c: any) => c.key), ['config/models.yaml', 'prompts/user.txt']);
  }),
);

test(
  'status --json: config, ledger tip, entries, baseline and last verdict; before init it says not initialised',
  inRepo(seedProject, async (repo) => {
    let doc = await json(repo, ['status'], 0);
    assert.equal(doc.ledger, { ...doc.ledger, branch: LEDGER, tip: null, initialized: false });
    assert.is(doc.targets[0].baseline, null);
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('prompts/system.txt', SYSTEM_V2);
    await json(repo, ['check'], 2);
    doc = await json(repo, ['status'], 0);
    assert.is(doc.configFile, path.join(repo.dir, 'driftctl.yml'));
    assert.equal(doc.ledger, { ...doc.ledger, branch: LEDGER, tip: ledgerTip(repo), initialized: true });
    const [target] = doc.targets;
    assert.equal([target.name, target.enabled, target.entries], ['default', true, 6]);
    assert.equal(target.sources, [{ name: 'files', kind: 'files' }]);
    assert.is(target.baseline.by, 'Test Author <author@example.test>');
    assert.ok(target.baseline.ageSeconds >= 0);
    assert.equal([target.lastVerdict.status, target.lastVerdict.highest, target.lastVerdict.total], ['drift', 'medium', 1]);
    const human = await cli(repo.dir, ['status']);
    expectCode(human, 0, 'status (human)');
    assert.match(human.stdout, /drift: 1, highest medium/);
  }),
);

test(
  'log --json lists ledger commits newest first; --kind and --limit filter; it agrees with git log',
  inRepo(initialised, async (repo) => {
    repo.write('config/models.yaml', MODELS_V2);
    await json(repo, ['check'], 2);
    await json(repo, ['check'], 2);
    const doc = await json(repo, ['log'], 0);
    const git = ledgerLog(repo);
    // One commit per check: its operations are listed one entry each, newest first, on the same commit.
    assert.equal([...new Set(doc.entries.map((e: any) => e.commit))], git.map((c) => c.oid));
    // Alert commits (the alert lifecycle starts with the second check) are not this test's subject;
    // the second check found nothing new and recorded no snapshot or report.
    assert.equal(doc.entries.map((e: any) => e.kind).filter((k: string) => k !== 'alert'), ['report', 'snapshot', 'accept', 'snapshot', 'ledger']);
    assert.is(doc.entries[doc.entries.findIndex((e: any) => e.kind === 'report') + 1].commit, doc.entries.find((e: any) => e.kind === 'report').commit, 'snapshot and report share the check commit');
    const last = doc.entries.find((e: any) => e.kind === 'report');
    assert.equal([last.target, last.status, last.severity, last.author], ['default', 'drift', 'high', 'Test Author <author@example.test>']);
    assert.match(last.record, RECORD_ID);
    const reports = await json(repo, ['log', '--kind', 'report'], 0);
    assert.equal(reports.entries.map((e: any) => e.kind), ['report']);
    assert.equal(reports.entries.map((e: any) => e.commit), git.filter((c) => c.trailers['Drift-Kind'] === 'report').map((c) => c.oid));
    assert.is((await json(repo, ['log', '--limit', '2'], 0)).entries.length, 2);
    assert.is((await json(repo, ['log', '--kind', 'accept', '--target', 'default'], 0)).entries.length, 1);
    assert.is((await json(repo, ['log', '--target', 'nope'], 0)).entries.length, 0);
  }),
);

test(
  'hash FILE prints the same sha256 as sha256sum; a symlink hashes its target; a missing file is exit 1',
  inRepo(() => makeRepo({ 'a.txt': 'hello\n', 'bin.dat': Buffer.from([0, 255, 128, 10]) }), async (repo) => {
    for (const file of ['a.txt', 'bin.dat']) {
      const expected = execFileSync('sha256sum', [file], { cwd: repo.dir, encoding: 'utf8' }).split(' ')[0];
      const run = await cli(repo.dir, ['hash', file]);
      expectCode(run, 0, `hash ${file}`);
      assert.is(run.stdout, `${expected}  ${file}\n`, 'sha256sum format');
      assert.equal(await json(repo, ['hash', file], 0), { path: file, type: 'file', sha256: expected, size: readFileSync(path.join(repo.dir, file)).length });
    }
    symlinkSync('a.txt', path.join(repo.dir, 'link'));
    assert.is((await json(repo, ['hash', 'link'], 0)).sha256, sha256('a.txt'));
    assert.is((await json(repo, ['hash', 'missing.txt'], 1)).error.code, 'FILE_UNREADABLE');
    assert.is((await json(repo, ['hash', '.'], 1)).error.code, 'FILE_UNREADABLE');
  }),
);

test(
  'init: writes a starter config when none exists; a second init says nothing changed and adds no commit',
  inRepo(() => makeRepo({ 'config/app.yaml': 'a: 1\n', 'prompts/p.txt': 'p\n', 'src/x.py': 'x\n', 'node_modules/dep/index.js': 'skip\n' }), async (repo) => {
    const before = userState(repo);
    const first = await json(repo, ['init'], 0);
    assert.equal([first.configWritten, first.ledgerCreated, first.changed], [true, true, true]);
    assert.ok(existsSync(path.join(repo.dir, 'driftctl.yml')));
    assert.is(first.targets[0].status, 'baselined');
    assert.is(first.targets[0].entries, 4, 'starter config: everything but node_modules (the new driftctl.yml included)');
    assert.equal({ ...userState(repo), status: '' }, { ...before, status: '' }, 'only the new driftctl.yml appears in the work tree');
    assert.is(userState(repo).status, '?? config/app.yaml\n?? driftctl.yml\n?? node_modules/dep/index.js\n?? prompts/p.txt\n?? src/x.py\n');
    const count = commitCount(repo);
    const tip = ledgerTip(repo);

    const again = await cli(repo.dir, ['init']);
    expectCode(again, 0, 'second init');
    assert.match(again.stdout, /target default: already has a baseline/);
    assert.match(again.stdout, /already initialised: nothing changed/);
    const doc = await json(repo, ['init'], 0);
    assert.equal([doc.configWritten, doc.ledgerCreated, doc.changed, doc.tip], [false, false, false, tip]);
    assert.is(commitCount(repo), count);

    repo.write('config/app.yaml', 'a: 2\n');
    const report = (await json(repo, ['check'], 2)).reports[0];
    assert.equal(report.changes.map((c: any) => `${c.severity} ${c.key}`), ['high config/app.yaml']);
  }),
);

test(
  'check, snapshot, diff, accept and log before init: exit 1 with a hint, and no ledger branch appears',
  inRepo(seedProject, async (repo) => {
    for (const args of [['check'], ['run'], ['snapshot'], ['diff'], ['log'], ['accept', '--all', '--reason', 'x']]) {
      const run = await cli(repo.dir, args);
      expectCode(run, 1, args.join(' '));
      assert.match(run.stderr, /^driftctl: error: no ledger branch "drift-ledger" in .* \(run "driftctl init" first\)\n$/, args.join(' '));
      assert.is((await json(repo, args, 1)).error.code, 'NOT_INITIALIZED');
    }
    assert.is(ledgerTip(repo), undefined);
    const outside = await cli(path.dirname(repo.dir), ['check', '--config', path.join(repo.dir, 'driftctl.yml')]);
    expectCode(outside, 1, 'check with --config from elsewhere');
  }),
);

test(
  'not a git repository: exit 1 with what to do',
  inRepo(() => makeRepo({ 'driftctl.yml': 'version: 1\nsources:\n  - kind: files\n    watch: ["*.txt"]\n' }), async (repo) => {
    repo.remove('.git');
    const doc = await json(repo, ['init'], 1);
    assert.is(doc.error.code, 'NOT_A_GIT_REPOSITORY');
    assert.match(doc.error.message, /is not inside a git repository \(run "git init" there, or set ledger\.path/);
  }),
);

test(
  '--json prints exactly one JSON document on stdout for every command, success or failure',
  inRepo(seedProject, async (repo) => {
    const runs: string[][] = [
      ['status'],
      ['check'],
      ['init'],
      ['init'],
      ['snapshot'],
      ['check'],
      ['diff'],
      ['log'],
      ['hash', 'src/main.py'],
      ['accept', '--all', '--reason', 'nothing yet'],
      ['accept', 'src/main.py', '--reason', 'no drift'],
      ['diff', 'bogus'],
      ['check', '--target', 'nope'],
      ['check', '--no-such-flag'],
      ['hash', 'missing'],
    ];
    repo.write('src/main.py', 'print("changed")\n');
    for (const args of runs) {
      const run = await cli(repo.dir, [...args, '--json']);
      const doc = oneJson(run);
      assert.type(doc, 'object', args.join(' '));
      assert.ok(doc !== null && !Array.isArray(doc), args.join(' '));
      if (run.code === 1) assert.type(doc.error?.code, 'string', `${args.join(' ')}: ${run.stdout}`);
      else assert.is(doc.error, undefined, args.join(' '));
      assert.ok(!/^driftctl: error/m.test(run.stdout), 'messages stay on stderr');
    }
    repo.write('src/main.py', 'print("changed again")\n');
    expectCode(await cli(repo.dir, ['check']), 2, 'check');
    const accept = await cli(repo.dir, ['accept', '--all', '--reason', 'r', '--json']);
    expectCode(accept, 0, 'accept');
    assert.is(oneJson(accept).status, 'accepted');
  }),
);

test(
  'several targets: per-target commands need --target, disabled targets are skipped and say so',
  inRepo(
    () =>
      makeRepo({
        'driftctl.yml': `version: 1
targets:
  - name: web
    labels: { env: prod }
    sources: [ { kind: files, root: ./web, watch: ["**/*"] } ]
  - name: api
    sources: [ { kind: files, root: ./api, watch: ["**/*"] } ]
  - name: old
    enabled: false
    sources: [ { kind: files, root: ./api, watch: ["**/*"] } ]
`,
        'web/index.html': '<h1>hi</h1>\n',
        'api/server.py': 'serve()\n',
      }),
    async (repo) => {
      const init = await json(repo, ['init'], 0);
      assert.equal(init.targets.map((t: any) => `${t.target}:${t.status}`), ['web:baselined', 'api:baselined', 'old:disabled']);
      repo.write('web/index.html', '<h1>hello</h1>\n');
      const check = await json(repo, ['check'], 2);
      assert.equal(check.reports.map((r: any) => `${r.target}:${r.status}`), ['web:drift', 'api:clean']);
      assert.equal(check.skipped, [{ target: 'old', reason: 'disabled (enabled: false)' }]);
      assert.equal(check.reports[0].changes.map((c: any) => c.key), ['index.html'], 'keys are relative to the source root');
      assert.ok(ledgerPaths(repo).some((p) => p.startsWith('targets/api/')) && !ledgerPaths(repo).some((p) => p.startsWith('targets/old/')));
      assert.is((await json(repo, ['diff'], 1)).error.code, 'TARGET_REQUIRED');
      await json(repo, ['diff', '--target', 'web'], 2);
      await json(repo, ['diff', '--target', 'api'], 0);
      assert.is((await json(repo, ['diff', '--target', 'old'], 1)).error.code, 'TARGET_DISABLED');
      assert.is((await json(repo, ['check', '--target', 'nope'], 1)).error.code, 'UNKNOWN_TARGET');
      const onlyApi = await json(repo, ['check', '--target', 'api'], 0);
      assert.equal(onlyApi.reports.map((r: any) => r.target), ['api']);
      const accepted = await json(repo, ['accept', '--all', '--target', 'web', '--reason', 'new title'], 0);
      assert.is(accepted.target, 'web');
      await json(repo, ['check'], 0);
    },
  ),
);

test(
  'accept --all and diff need no --target when the only other target is disabled',
  inRepo(
    () =>
      makeRepo({
        'driftctl.yml': `version: 1
targets:
  - name: web
    sources: [ { kind: files, root: ./web, watch: ["**/*"] } ]
  - name: old
    enabled: false
    sources: [ { kind: files, root: ./web, watch: ["**/*"] } ]
`,
        'web/index.html': '<h1>hi</h1>\n',
      }),
    async (repo) => {
      await json(repo, ['init'], 0);
      repo.write('web/index.html', '<h1>hello</h1>\n');
      await json(repo, ['check'], 2);
      await json(repo, ['diff'], 2);
      const accepted = await json(repo, ['accept', '--all', '--reason', 'new title'], 0);
      assert.is(accepted.target, 'web');
      await json(repo, ['check'], 0);
    },
  ),
);

test(
  'a target name over 64 characters is one clear config error that says the limit',
  inRepo(
    () => makeRepo({ 'driftctl.yml': `version: 1\ntargets:\n  - name: ${'w'.repeat(65)}\n    sources: [ { kind: files, watch: ["**/*"] } ]\n` }),
    async (repo) => {
      const run = await cli(repo.dir, ['status']);
      expectCode(run, 1, 'status');
      assert.match(run.stderr, /driftctl\.yml:3: targets\[0\]\.name: "w{65}" is not a valid name \(1 to 64 characters: letters, digits, "\.", "_" and "-", starting with a letter or digit\)/);
      assert.is(run.stderr.trim().split('\n').length, 1, run.stderr);
    },
  ),
);

test.run();
