import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, spawnCli, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, oneJson, tryGit } from '../helpers/e2e.js';
import { at, run, runJson } from '../helpers/alerts.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';

/**
 * The per-target ledger set (`ledger.layout: per-target`, ledger/FORMAT.md "Ledger sets"): one
 * branch per target read as one ledger; agents on different targets never push to the same ref;
 * pull and push move the whole set; `migrate --layout per-target` converts format-1 and format-2
 * single branches; verify catches a member that holds another target; a config asking for the
 * other layout is refused in one line.
 */
const TOKEN = 'set-token-77c1';
const ENV = { DRIFTCTL_GIT_TOKEN: TOKEN };

function config(options: { layout?: 'branch' | 'per-target'; remote?: string; targets?: string[]; channel?: boolean } = {}): string {
  const targets = options.targets ?? ['web', 'db'];
  return `version: 1
ledger:
  branch: drift-ledger
${options.layout ? `  layout: ${options.layout}\n` : ''}${options.remote ? `  remote: ${options.remote}\n` : ''}targets:
${targets.map((t) => `  - name: ${t}\n    sources:\n      - kind: files\n        watch: ["${t}/**"]\n`).join('')}${
    options.channel
      ? `alerts:
  channels:
    - name: hook
      kind: webhook
      url_env: HOOK_URL
      retries: 0
      timeout: 1s
`
      : ''
  }`;
}

function project(cfg: string, targets = ['web', 'db']): TempRepo {
  const files: Record<string, string> = { 'driftctl.yml': cfg };
  for (const t of targets) files[`${t}/app.conf`] = `${t} v1\n`;
  return makeRepo(files);
}

function refs(repo: TempRepo, prefix = 'refs/heads/'): string[] {
  return repo.git('for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);
}

function treePaths(repo: TempRepo, rev: string): string[] {
  return repo.git('ls-tree', '-r', '--name-only', rev).split('\n').filter(Boolean);
}

function topTargets(repo: TempRepo, rev: string): string[] {
  return [...new Set(treePaths(repo, rev).filter((p) => p.startsWith('targets/')).map((p) => p.split('/')[1]))].sort();
}

function rev(repo: TempRepo, name: string): string | undefined {
  const r = tryGit(repo, 'rev-parse', '--verify', '-q', name);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const HOOK = { HOOK_URL: 'http://127.0.0.1:9/unreachable' };

test('per-target: init and check write one ref per target holding only that target; log, show, status, alerts, verify, report and plain git read the set', async () => {
  const repo = project(config({ layout: 'per-target', channel: true }));
  try {
    await run(repo, ['init'], 0, HOOK, at(0));
    assert.equal(refs(repo), ['refs/heads/drift-ledger/db', 'refs/heads/drift-ledger/web'], 'one branch per target, no single branch');
    assert.equal(topTargets(repo, 'drift-ledger/web'), ['web']);
    assert.equal(topTargets(repo, 'drift-ledger/db'), ['db']);
    const meta = JSON.parse(repo.git('show', 'drift-ledger/web:ledger.json'));
    assert.equal([meta.format, meta.layout, meta.member], [3, 'per-target', 'web']);
    await run(repo, ['check'], 0, HOOK, at(0.1));

    // Drift in web only: only web's ref moves; the alert's outbox entry (the hook is down) is web's.
    const dbBefore = rev(repo, 'drift-ledger/db');
    const webBefore = rev(repo, 'drift-ledger/web');
    repo.write('web/app.conf', 'web v2\n');
    // (Minutes apart: within ledger.heartbeat, an unchanged target writes nothing at all.)
    const check = await runJson(repo, ['check'], 2, HOOK, at(0.2));
    assert.is(rev(repo, 'drift-ledger/db'), dbBefore, 'a check that found nothing new in db wrote nothing on db');
    assert.is.not(rev(repo, 'drift-ledger/web'), webBefore);
    assert.is(repo.git('rev-list', '--count', `${webBefore}..drift-ledger/web`).trim(), '1', 'one commit on web for the check');
    const webPaths = treePaths(repo, 'drift-ledger/web');
    assert.ok(webPaths.some((p) => p.startsWith('outbox/')), `the undelivered alert waits in web's outbox: ${webPaths.filter((p) => !p.startsWith('targets/')).join(', ')}`);
    assert.not.ok(treePaths(repo, 'drift-ledger/db').some((p) => p.startsWith('outbox/')));
    const webReport = check.reports.find((r: any) => r.target === 'web').id as string;

    // Drift in db too, then both targets in one check: one commit on each ref.
    repo.write('db/app.conf', 'db v2\n');
    repo.write('web/app.conf', 'web v3\n');
    const dbMid = rev(repo, 'drift-ledger/db');
    const webMid = rev(repo, 'drift-ledger/web');
    await run(repo, ['check'], 2, HOOK, at(0.3));
    assert.is(repo.git('rev-list', '--count', `${dbMid}..drift-ledger/db`).trim(), '1');
    assert.is(repo.git('rev-list', '--count', `${webMid}..drift-ledger/web`).trim(), '1');
    const dbMsg = repo.git('log', '-1', '--format=%B', 'drift-ledger/db');
    assert.not.match(dbMsg, 'Drift-Target: web', 'a member commit carries only its own operations');

    // Readers see one ledger.
    const log = await runJson(repo, ['log', '--kind', 'report'], 0, {}, at(4));
    const targets = new Set(log.entries.map((e: any) => e.target));
    assert.ok(targets.has('web') && targets.has('db'), 'log merges the members');
    const times = log.entries.map((e: any) => Date.parse(e.time));
    assert.equal(times, [...times].sort((a: number, b: number) => b - a), 'newest first');
    const show = await runJson(repo, ['show', webReport], 0, {}, at(4));
    assert.is(JSON.stringify(show).includes(webReport), true, 'show finds a record on its member');
    const status = await runJson(repo, ['status'], 0, {}, at(4));
    assert.equal(status.targets.map((t: any) => [t.name, typeof t.lastSnapshot?.id]).sort(), [['db', 'string'], ['web', 'string']]);
    const alerts = await runJson(repo, ['alerts'], 0, {}, at(4));
    assert.equal([...new Set(alerts.open.map((a: any) => a.target))].sort(), ['db', 'web']);
    const verify = await runJson(repo, ['verify', '--full'], 0, {}, at(4));
    assert.is(verify.status, 'PASS');
    assert.ok(verify.checks.some((c: any) => c.id === 'members' && c.status === 'PASS'));
    const html = path.join(repo.dir, 'report.html');
    await run(repo, ['report', '--html', html], 0, {}, at(4));
    const page = readFileSync(html, 'utf8');
    assert.ok(page.includes('web') && page.includes('db'));

    // Plain git over the new refs finds the drift reports.
    const found = repo.git('log', '--branches=drift-ledger/*', '--grep', 'Drift-Status: drift', '--format=%H %s').split('\n').filter(Boolean);
    assert.ok(found.some((l) => l.includes('report web: drift')) && found.some((l) => l.includes('report db: drift')), found.join('\n'));
    const all = repo.git('log', '--all', '--grep', 'Drift-Status: drift', '--format=%H').split('\n').filter(Boolean);
    assert.ok(all.length >= 3);
  } finally {
    repo.cleanup();
  }
});

test('verify: a commit on drift-ledger/web that writes targets/db fails the members check', async () => {
  const repo = project(config({ layout: 'per-target' }));
  try {
    await run(repo, ['init'], 0, {}, at(0));
    assert.is((await runJson(repo, ['verify'], 0, {}, at(1))).status, 'PASS');
    const blob = repo.git('rev-parse', 'drift-ledger/db:targets/db/head.json').trim();
    const index = path.join(repo.dir, '.git', 'tamper-index');
    const env = { ...TEST_ENV, GIT_INDEX_FILE: index };
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo.dir, env, encoding: 'utf8' }).trim();
    git('read-tree', 'drift-ledger/web');
    git('update-index', '--add', '--cacheinfo', `100644,${blob},targets/db/head.json`);
    const tree = git('write-tree');
    const commit = git('commit-tree', tree, '-p', 'drift-ledger/web', '-m', 'edit db from web');
    repo.git('update-ref', 'refs/heads/drift-ledger/web', commit);
    for (const args of [['verify'], ['verify', '--full']]) {
      const result = await cli(repo.dir, [...args, '--json'], { DRIFTCTL_NOW: at(2) });
      expectCode(result, 1, args.join(' '));
      const members = oneJson(result).checks.find((c: any) => c.id === 'members');
      assert.is(members.status, 'FAIL');
      assert.ok(members.problems.some((p: string) => p.includes('targets/db') && p.includes('drift-ledger/web')), members.problems.join('\n'));
    }
  } finally {
    repo.cleanup();
  }
});

test('layouts: a config asking for the other layout, and a target name git refuses in a ref, are refused in one line', async () => {
  const set = project(config({ layout: 'per-target' }));
  const single = project(config({}));
  const badName = project(config({ layout: 'per-target', targets: ['web', 'db.lock'] }), ['web', 'db.lock']);
  try {
    await run(set, ['init'], 0, {}, at(0));
    set.write('driftctl.yml', config({ layout: 'branch' }));
    const older = await cli(set.dir, ['log']);
    expectCode(older, 1, 'layout: branch against a set');
    assert.match(older.stderr, /ledger\.layout is branch.*per-target set.*set ledger\.layout: per-target/);
    assert.is(older.stderr.trim().split('\n').length, 1, 'one line');
    assert.is(oneJson(await cli(set.dir, ['log', '--json'])).error.code, 'LEDGER_LAYOUT_MISMATCH');
    // Without ledger.layout, the layout found wins.
    set.write('driftctl.yml', config({}));
    expectCode(await cli(set.dir, ['status']), 0, 'status without ledger.layout on a set');

    await run(single, ['init'], 0, {}, at(0));
    single.write('driftctl.yml', config({ layout: 'per-target' }));
    const newer = await cli(single.dir, ['check']);
    expectCode(newer, 1, 'layout: per-target against a single branch');
    assert.match(newer.stderr, /driftctl migrate --layout per-target/);
    assert.is(newer.stderr.trim().split('\n').length, 1);

    const bad = await cli(badName.dir, ['init', '--json']);
    expectCode(bad, 1, 'a target named db.lock');
    const error = oneJson(bad).error;
    assert.is(error.code, 'TARGET_NAME_NOT_A_REF');
    assert.match(error.message, /targets\[1\]\.name "db\.lock"/);
    assert.equal(refs(badName), [], 'nothing written');
  } finally {
    set.cleanup();
    single.cleanup();
    badName.cleanup();
  }
});

test('a lost member branch is never started over: init refuses (LEDGER_REF_LOST), verify names the member that vanished', async () => {
  const repo = project(config({ layout: 'per-target' }));
  try {
    await run(repo, ['init'], 0, {}, at(0));
    assert.is((await runJson(repo, ['verify'], 0, {}, at(0.1))).status, 'PASS');
    const db = rev(repo, 'drift-ledger/db') as string;
    repo.git('update-ref', '-d', 'refs/heads/drift-ledger/db');
    const init = await cli(repo.dir, ['init', '--json'], { DRIFTCTL_NOW: at(0.2) });
    expectCode(init, 1, 'init over a lost member');
    assert.is(oneJson(init).error.code, 'LEDGER_REF_LOST');
    assert.not.ok(rev(repo, 'refs/heads/drift-ledger/db'), 'nothing started over');
    const verify = await cli(repo.dir, ['verify', '--json'], { DRIFTCTL_NOW: at(0.2) });
    expectCode(verify, 1, 'verify with a member gone');
    const members = oneJson(verify).checks.find((c: any) => c.id === 'members');
    assert.ok(members.problems.some((p: string) => p.includes('drift-ledger/db') && p.includes('gone')), members.problems.join('\n'));
    const full = await cli(repo.dir, ['verify', '--full', '--json'], { DRIFTCTL_NOW: at(0.2) });
    expectCode(full, 1, 'verify --full with a member gone');
    const fullMembers = oneJson(full).checks.find((c: any) => c.id === 'members');
    assert.ok(fullMembers.problems.some((p: string) => p.includes('drift-ledger/db') && p.includes('gone')), fullMembers.problems.join('\n'));
    repo.git('update-ref', 'refs/heads/drift-ledger/db', db);
    assert.is((await runJson(repo, ['verify'], 0, {}, at(0.3))).status, 'PASS');
  } finally {
    repo.cleanup();
  }
});

test('a member branch of a newer format is refused before anything is read or written (LEDGER_FORMAT_NEWER)', async () => {
  const repo = project(config({ layout: 'per-target' }));
  try {
    await run(repo, ['init'], 0, {}, at(0));
    const meta = JSON.parse(repo.git('show', 'drift-ledger/db:ledger.json'));
    const newer = `${JSON.stringify({ ...meta, format: 4 }, null, 2)}\n`;
    const index = path.join(repo.dir, '.git', 'newer-index');
    const env = { ...TEST_ENV, GIT_INDEX_FILE: index };
    const git = (input: string | undefined, ...args: string[]): string => execFileSync('git', args, { cwd: repo.dir, env, encoding: 'utf8', input }).trim();
    const blob = git(newer, 'hash-object', '-w', '--stdin');
    git(undefined, 'read-tree', 'drift-ledger/db');
    git(undefined, 'update-index', '--cacheinfo', `100644,${blob},ledger.json`);
    const commit = git(undefined, 'commit-tree', git(undefined, 'write-tree'), '-p', 'drift-ledger/db', '-m', 'format 4');
    repo.git('update-ref', 'refs/heads/drift-ledger/db', commit);
    const web = rev(repo, 'drift-ledger/web');
    for (const args of [['log'], ['check']]) {
      const result = await cli(repo.dir, [...args, '--json'], { DRIFTCTL_NOW: at(0.1) });
      expectCode(result, 1, args[0]);
      const error = oneJson(result).error;
      assert.is(error.code, 'LEDGER_FORMAT_NEWER');
      assert.match(error.message, 'drift-ledger/db');
    }
    assert.is(rev(repo, 'drift-ledger/web'), web, 'nothing written');
  } finally {
    repo.cleanup();
  }
});

async function withServer(body: (server: GitServer) => Promise<void>): Promise<void> {
  const server = await startGitServer({ token: TOKEN });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

function bareRefs(bare: string): string[] {
  return execFileSync('git', ['--git-dir', bare, 'for-each-ref', '--format=%(refname)'], { env: TEST_ENV, encoding: 'utf8' }).split('\n').filter(Boolean);
}

test('remote: two agents checking different targets at once push only their own refs and never retry; pull and push move the whole set', () =>
  withServer(async (server) => {
    const bare = server.createRepo('set');
    const url = `${server.url}/set.git`;
    const a = project(config({ layout: 'per-target', remote: url, targets: ['web'] }), ['web']);
    const b = project(config({ layout: 'per-target', remote: url, targets: ['db'] }), ['db']);
    const reader = makeRepo({ 'driftctl.yml': config({ remote: url }) });
    const CHECKS = 3;
    try {
      const inits = await Promise.all([spawnCli(a.dir, ['init'], ENV), spawnCli(b.dir, ['init'], ENV)]);
      inits.forEach((r) => expectCode(r, 0, 'init'));
      const runs = await Promise.all(
        [a, b].map(async (agent, i) => {
          const out = [];
          for (let n = 1; n <= CHECKS; n++) {
            agent.write(`${i === 0 ? 'web' : 'db'}/app.conf`, `edit ${n}\n`);
            out.push(await spawnCli(agent.dir, ['check', '--no-alert'], ENV));
          }
          return out;
        }),
      );
      for (const r of runs.flat()) {
        expectCode(r, 2, 'check');
        assert.not.match(r.stderr, /warning/, 'no lost race, nothing deferred');
      }
      const pushes = server.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/git-receive-pack'));
      assert.is(pushes.length, 2 * (1 + CHECKS), 'one push per writing command: no push was ever retried');
      assert.ok(pushes.every((q) => q.status === 200));
      assert.equal(bareRefs(bare).filter((r) => r.startsWith('refs/heads/')), ['refs/heads/drift-ledger/db', 'refs/heads/drift-ledger/web']);
      assert.is(execFileSync('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/drift-ledger/web'], { encoding: 'utf8' }).trim(), rev(a, 'drift-ledger/web'));
      assert.is(execFileSync('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/drift-ledger/db'], { encoding: 'utf8' }).trim(), rev(b, 'drift-ledger/db'));
      assert.not.ok(rev(a, 'refs/heads/drift-ledger/db'), 'agent a never fetched db');

      // A reader pulls the whole set (its config names no layout: the remote's wins), and reads it.
      const pulled = await cli(reader.dir, ['pull', '--json'], ENV);
      expectCode(pulled, 0, 'pull');
      assert.equal(oneJson(pulled).members.map((m: any) => m.member), ['db', 'web']);
      assert.equal(refs(reader), ['refs/heads/drift-ledger/db', 'refs/heads/drift-ledger/web']);
      const log = oneJson(await cli(reader.dir, ['log', '--kind', 'report', '--json'], ENV));
      assert.is(log.entries.length, 2 * CHECKS);
      expectCode(await cli(reader.dir, ['verify', '--full'], ENV), 0, 'verify on the reader');

      // Commits made without the remote go out with push, member by member.
      a.write('driftctl.yml', config({ layout: 'per-target', targets: ['web'] }));
      a.write('web/app.conf', 'offline edit\n');
      expectCode(await cli(a.dir, ['check', '--no-alert']), 2, 'offline check');
      a.write('driftctl.yml', config({ layout: 'per-target', remote: url, targets: ['web'] }));
      const pushed = oneJson(await cli(a.dir, ['push', '--json'], ENV));
      assert.is(pushed.pushed, true);
      assert.equal(pushed.members.filter((m: any) => m.pushed).map((m: any) => m.member), ['web']);
      assert.is(execFileSync('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/drift-ledger/web'], { encoding: 'utf8' }).trim(), rev(a, 'drift-ledger/web'));
      const again = oneJson(await cli(reader.dir, ['pull', '--json'], ENV));
      assert.is(again.behind, 1);
    } finally {
      a.cleanup();
      b.cleanup();
      reader.cleanup();
    }
  }),
);

test('migrate --layout per-target with ledger.remote: refused while the remote holds the single branch; --delete-remote-branch replaces it, keeping its tip under the backup ref', () =>
  withServer(async (server) => {
    // The remote's HEAD is another branch: no server deletes its default branch.
    const bare = server.createRepo('migrate', 'main');
    const url = `${server.url}/migrate.git`;
    const repo = project(config({ remote: url }));
    try {
      expectCode(await cli(repo.dir, ['init'], ENV), 0, 'init');
      const oldTip = rev(repo, 'refs/heads/drift-ledger') as string;
      const refused = await cli(repo.dir, ['migrate', '--layout', 'per-target', '--json'], ENV);
      expectCode(refused, 1, 'migrate without --delete-remote-branch');
      assert.is(oneJson(refused).error.code, 'REMOTE_LAYOUT_BRANCH');
      assert.is(rev(repo, 'refs/heads/drift-ledger'), oldTip, 'nothing written');
      const done = await cli(repo.dir, ['migrate', '--layout', 'per-target', '--delete-remote-branch'], ENV);
      expectCode(done, 0, 'migrate --delete-remote-branch');
      assert.match(done.stdout, 'the old branch drift-ledger was deleted');
      const remoteRefs = bareRefs(bare);
      assert.ok(['refs/heads/drift-ledger/_shared', 'refs/heads/drift-ledger/db', 'refs/heads/drift-ledger/web', 'refs/driftctl/backup/drift-ledger/branch-layout'].every((r) => remoteRefs.includes(r)), remoteRefs.join(' '));
      assert.not.ok(remoteRefs.includes('refs/heads/drift-ledger'));
      repo.write('driftctl.yml', config({ remote: url, layout: 'per-target' }));
      repo.write('web/app.conf', 'web v2\n');
      expectCode(await cli(repo.dir, ['check', '--no-alert'], ENV), 2, 'check after the migration');
      assert.is(execFileSync('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/drift-ledger/web'], { encoding: 'utf8' }).trim(), rev(repo, 'drift-ledger/web'));
    } finally {
      repo.cleanup();
    }
  }),
);

/** A single-branch ledger of two targets with drift, alerts (outbox entries kept: the hook is down) and an accept. */
async function singleBranchHistory(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, HOOK, at(0));
  await run(repo, ['check'], 0, HOOK, at(1));
  repo.write('web/app.conf', 'web v2\n');
  repo.write('db/app.conf', 'db v2\n');
  await run(repo, ['check'], 2, HOOK, at(2));
  await run(repo, ['accept', '--target', 'db', '--all', '--direct', '--reason', 'reviewed'], 0, HOOK, at(3));
}

async function assertMigrates(repo: TempRepo, oldReports: string[]): Promise<void> {
  const before = refs(repo, 'refs/');
  const oldTip = rev(repo, 'refs/heads/drift-ledger') as string;
  const dry = await runJson(repo, ['migrate', '--layout', 'per-target', '--dry-run'], 0, {}, at(5));
  assert.is(dry.state, 'would-migrate');
  assert.equal(dry.layout.members.map((m: any) => m.member).sort(), ['_shared', 'db', 'web']);
  assert.equal(refs(repo, 'refs/'), before, '--dry-run writes nothing');
  assert.is(rev(repo, 'refs/heads/drift-ledger'), oldTip);

  const done = await runJson(repo, ['migrate', '--layout', 'per-target'], 0, {}, at(5));
  assert.is(done.state, 'migrated');
  assert.is(rev(repo, 'refs/driftctl/backup/drift-ledger/branch-layout'), oldTip, 'the old tip is kept');
  assert.not.ok(rev(repo, 'refs/heads/drift-ledger'), 'the single branch is gone');
  assert.equal(refs(repo), ['refs/heads/drift-ledger/_shared', 'refs/heads/drift-ledger/db', 'refs/heads/drift-ledger/web']);
  for (const member of ['web', 'db']) {
    assert.is(repo.git('rev-parse', `drift-ledger/${member}^`).trim(), oldTip, `${member} starts from the old tip`);
    assert.equal(topTargets(repo, `drift-ledger/${member}`), [member]);
  }
  assert.equal(topTargets(repo, 'drift-ledger/_shared'), []);
  const outboxes = ['web', 'db', '_shared'].map((m) => treePaths(repo, `drift-ledger/${m}`).filter((p) => p.startsWith('outbox/')).length);
  const oldOutbox = treePaths(repo, oldTip).filter((p) => p.startsWith('outbox/')).length;
  assert.is(outboxes.reduce((x, y) => x + y, 0), oldOutbox, 'every outbox entry went to exactly one member');

  const verify = await runJson(repo, ['verify', '--full'], 0, {}, at(5));
  assert.is(verify.status, 'PASS', JSON.stringify(verify.checks.filter((c: any) => c.status === 'FAIL')));
  const log = await runJson(repo, ['log', '--limit', '500'], 0, {}, at(5));
  const ids = new Set(log.entries.flatMap((e: any) => e.records ?? [e.record]).filter(Boolean));
  for (const id of oldReports) assert.ok(ids.has(id), `the old history is read: ${id}`);
  assert.is(log.entries.filter((e: any) => e.kind === 'migrate' && e.commit === oldTip).length, 0);

  const again = await runJson(repo, ['migrate', '--layout', 'per-target'], 0, {}, at(6));
  assert.is(again.state, 'current', 'a second migrate does nothing');

  // The set is written like any other: a check of web moves only web.
  repo.write('driftctl.yml', config({ layout: 'per-target', channel: true }));
  const db = rev(repo, 'drift-ledger/db');
  repo.write('web/app.conf', 'web v3\n');
  await run(repo, ['check', '--target', 'web'], 2, HOOK, at(3.1));
  assert.is(rev(repo, 'drift-ledger/db'), db);
  assert.is((await runJson(repo, ['verify'], 0, {}, at(3.1))).status, 'PASS');
}

function reportIds(repo: TempRepo, ref: string): string[] {
  return treePaths(repo, ref)
    .filter((p) => p.endsWith('.report.json'))
    .map((p) => path.basename(p, '.report.json'));
}

test('migrate --layout per-target: a format-2 single branch becomes a set; dry run, backup, verify, history, idempotent', async () => {
  const repo = project(config({ channel: true }));
  try {
    await singleBranchHistory(repo);
    await assertMigrates(repo, reportIds(repo, 'drift-ledger'));
  } finally {
    repo.cleanup();
  }
});

test('migrate --layout per-target: a format-1 single branch becomes a set (members say migrated.from 1)', async () => {
  const source = project(config({ channel: true }));
  const repo = project(config({ channel: true }));
  try {
    await singleBranchHistory(source);
    const stream = execFileSync('git', ['fast-export', 'drift-ledger'], { cwd: source.dir, env: TEST_ENV, maxBuffer: 64 << 20 }).toString('latin1');
    const relabelled = stream.split('"format": 2,\n  "kind": "ledger"').join('"format": 1,\n  "kind": "ledger"');
    assert.ok(relabelled !== stream);
    execFileSync('git', ['fast-import', '--quiet'], { cwd: repo.dir, env: TEST_ENV, input: Buffer.from(relabelled, 'latin1') });
    assert.is(JSON.parse(repo.git('show', 'drift-ledger:ledger.json')).format, 1);
    repo.write('web/app.conf', 'web v2\n');
    repo.write('db/app.conf', 'db v2\n');
    await assertMigrates(repo, reportIds(repo, 'drift-ledger'));
    const meta = JSON.parse(repo.git('show', 'drift-ledger/web:ledger.json'));
    assert.equal([meta.format, meta.member, meta.migrated.from], [3, 'web', 1]);
    assert.ok(existsSync(path.join(repo.dir, '.git')));
  } finally {
    source.cleanup();
    repo.cleanup();
  }
});

test.run();
