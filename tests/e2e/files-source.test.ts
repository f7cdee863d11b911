import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, readdirSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, type CliRun, type TempRepo } from '../helpers/repo.js';
import {
  expectCode,
  inRepo,
  LEDGER,
  ledgerPaths,
  ledgerTip,
  manifestEntries,
  oneJson,
  recordPathOf,
  sha256,
  showJson,
  sleep,
  spawnCliWith,
} from '../helpers/e2e.js';

/** The files source end to end: what gets watched, how entries are recorded, and what counts as drift. */

function configWith(watch: string[], extra = ''): string {
  return `version: 1\nsources:\n  - name: files\n    kind: files\n    watch: ${JSON.stringify(watch)}\n${extra}`;
}

function project(config: string, files: Record<string, string | Buffer> = {}): () => TempRepo {
  return () => makeRepo({ 'driftctl.yml': config, ...files });
}

async function run(repo: TempRepo, args: string[], code: number): Promise<any> {
  const result = await cli(repo.dir, [...args, '--json']);
  expectCode(result, code, args.join(' '));
  return oneJson(result);
}

async function check(repo: TempRepo, code: number): Promise<any> {
  return (await run(repo, ['check'], code)).reports[0];
}

function keysOf(repo: TempRepo, which: 'latest' | 'baseline' = 'latest'): string[] {
  return [...manifestEntries(repo, which).keys()].map((k) => k.replace(/^files:/, '')).sort();
}

test(
  'unreadable entry (a FIFO): recorded with an error, listed as unreadable, not drift, and no hang',
  inRepo(project(configWith(['data/**']), { 'data/a.txt': 'a\n' }), async (repo) => {
    execFileSync('mkfifo', [path.join(repo.dir, 'data/pipe')]);
    const init = await run(repo, ['init'], 0);
    assert.equal(init.targets[0], { ...init.targets[0], entries: 2, errors: 1 });
    const report = await check(repo, 0);
    assert.is(report.status, 'clean');
    assert.equal(report.errors.length, 1);
    assert.equal({ ...report.errors[0], message: undefined }, { source: 'files', key: 'data/pipe', message: undefined });
    assert.match(report.errors[0].message, /unsupported file type/);
    const entry = manifestEntries(repo, 'latest').get('files:data/pipe');
    assert.is(entry.type, 'file');
    assert.match(entry.error, /unsupported file type/);
    assert.is(entry.sha256, undefined);
    const snapshot = showJson(repo, recordPathOf(repo, report.snapshot.id, 'snapshot'));
    assert.equal(snapshot.errors, report.errors);
    assert.equal(snapshot.sources, [{ name: 'files', kind: 'files', entries: 2, errors: 1 }]);
    const human = await cli(repo.dir, ['check']);
    expectCode(human, 0, 'check (human)');
    assert.match(human.stdout, /unreadable files:data\/pipe: unsupported file type/);

    // Readable now: the baseline never knew its content, so it is drift that can be accepted by key.
    repo.remove('data/pipe');
    repo.write('data/pipe', 'a regular file now\n');
    const readable = await check(repo, 2);
    assert.equal(readable.errors, []);
    assert.equal(readable.changes.map((c: any) => [c.key, c.change, c.before.error !== undefined, c.after.sha256]), [['data/pipe', 'changed', true, sha256('a regular file now\n')]]);
    await run(repo, ['accept', 'data/pipe', '--reason', 'now readable'], 0);
    await check(repo, 0);
    repo.write('data/pipe', 'edited\n');
    assert.equal((await check(repo, 2)).changes.map((c: any) => c.key), ['data/pipe']);
  }),
);

/**
 * chmod 000 only stops reads for a non-root user. As root, the CLI runs as a real process under
 * uid/gid 65534 (nobody) on a repository handed over to that user.
 */
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) continue;
    chownSync(abs, uid, gid);
    if (st.isDirectory()) chownTree(abs, uid, gid);
  }
}

async function runAsUser(repo: TempRepo, args: string[]): Promise<CliRun> {
  if (!isRoot) return cli(repo.dir, args);
  chownTree(repo.dir, NOBODY, NOBODY);
  try {
    return await spawnCliWith(repo.dir, args, { uid: NOBODY, gid: NOBODY });
  } finally {
    chownTree(repo.dir, 0, 0);
  }
}

test(
  'unreadable file (chmod 000) and unlistable directory: entry error vs. a clear source error, never false removals',
  inRepo(project(configWith(['data/**']), { 'data/ok.txt': 'ok\n', 'data/secret.txt': 'secret\n', 'data/locked/inner.txt': 'inner\n' }), async (repo) => {
    assert.is((await run(repo, ['init'], 0)).targets[0].entries, 3);

    chmodSync(path.join(repo.dir, 'data/secret.txt'), 0o000);
    let result = await runAsUser(repo, ['check', '--json']);
    expectCode(result, 0, 'check with an unreadable file');
    const report = oneJson(result).reports[0];
    assert.equal(report.changes, [], 'an unreadable file is not drift (neither changed nor removed)');
    assert.equal(report.errors, [{ source: 'files', key: 'data/secret.txt', message: 'EACCES: permission denied' }]);
    const entry = manifestEntries(repo, 'latest').get('files:data/secret.txt');
    assert.equal(entry, { type: 'file', mode: '0', error: 'EACCES: permission denied' });

    // A directory that cannot be listed must not make its files look removed.
    chmodSync(path.join(repo.dir, 'data/locked'), 0o000);
    const tipBefore = ledgerTip(repo);
    result = await runAsUser(repo, ['check', '--json']);
    expectCode(result, 1, 'check with an unlistable directory');
    // Either a whole-command error or a per-target failure, depending on how many targets there are.
    const doc = oneJson(result);
    const failure = doc.error ?? doc.failures?.[0];
    assert.ok(failure, result.stdout);
    assert.is(failure.code, 'SOURCE_FAILED');
    assert.match(failure.message, /cannot list directory data\/locked \(permission denied\)/);
    assert.equal(doc.reports ?? [], [], 'no report claims the files under data/locked were removed');
    assert.is(ledgerTip(repo), tipBefore, 'nothing was committed');

    chmodSync(path.join(repo.dir, 'data/locked'), 0o755);
    chmodSync(path.join(repo.dir, 'data/secret.txt'), 0o644);
    const after = await check(repo, 0);
    assert.equal([after.errors, after.changes], [[], []]);
    const reports = repo.git('log', LEDGER, '--format=%(trailers:key=Drift-Status,valueonly)', '--grep', 'Drift-Kind: report').split('\n').filter(Boolean);
    assert.equal(reports, ['clean', 'clean']);
  }),
);

test(
  'symlinks: recorded by target, never followed; a link to a directory is one entry; retargeting is a change',
  inRepo(project(configWith(['links/**', 'data/**']), { 'data/a.txt': 'a\n', 'data/b.txt': 'b\n', 'outside/real.txt': 'real\n', 'outside/sub/x.txt': 'x\n' }), async (repo) => {
    symlinkSync('../data/a.txt', path.join(repo.dir, 'links-tmp'));
    repo.remove('links-tmp');
    repo.write('links/.keep', '');
    symlinkSync('../data/a.txt', path.join(repo.dir, 'links/to-a'));
    symlinkSync('../outside/real.txt', path.join(repo.dir, 'links/to-outside'));
    symlinkSync('../outside', path.join(repo.dir, 'links/dir'));
    symlinkSync('../does/not/exist', path.join(repo.dir, 'links/dangling'));
    await run(repo, ['init'], 0);
    const entries = manifestEntries(repo, 'latest');
    assert.equal(keysOf(repo), ['data/a.txt', 'data/b.txt', 'links/.keep', 'links/dangling', 'links/dir', 'links/to-a', 'links/to-outside']);
    assert.equal(entries.get('files:links/to-a'), { type: 'symlink', target: '../data/a.txt', sha256: sha256('../data/a.txt'), size: '../data/a.txt'.length });
    assert.is(entries.get('files:links/dir').type, 'symlink');
    assert.is(entries.get('files:links/dir').target, '../outside');
    assert.is(entries.get('files:links/dangling').error, undefined, 'a dangling link is fine: it is never followed');

    // What the links point to is not watched through them.
    repo.write('outside/real.txt', 'changed through nobody\n');
    repo.write('outside/sub/y.txt', 'new\n');
    let report = await check(repo, 0);
    assert.equal(report.changes, []);

    // Retargeting a link is a change of that one entry.
    repo.remove('links/to-a');
    symlinkSync('../data/b.txt', path.join(repo.dir, 'links/to-a'));
    report = await check(repo, 2);
    assert.is(report.changes.length, 1);
    const [change] = report.changes;
    assert.equal([change.key, change.change, change.before.target, change.after.target], ['links/to-a', 'changed', '../data/a.txt', '../data/b.txt']);
    assert.is(change.after.sha256, sha256('../data/b.txt'));

    // Editing the file a link points to changes the file's entry, not the link's.
    repo.write('data/b.txt', 'bee\n');
    report = await check(repo, 2);
    assert.equal(report.changes.map((c: any) => c.key), ['data/b.txt', 'links/to-a']);

    // A link replaced by a regular file is a change of type.
    repo.remove('links/dir');
    repo.write('links/dir', '../outside');
    report = await check(repo, 2);
    const dir = report.changes.find((c: any) => c.key === 'links/dir');
    assert.equal([dir.before.type, dir.after.type], ['symlink', 'file']);

    const hashed = await run(repo, ['hash', 'links/to-a'], 0);
    assert.equal(hashed, { path: 'links/to-a', type: 'symlink', sha256: sha256('../data/b.txt'), size: '../data/b.txt'.length });
  }),
);

const ODD_NAMES = ['docs/release notes.txt', 'docs/naïve café.txt', 'docs/日本語/ファイル.txt', 'docs/emoji 🚀.md', 'docs/@scope/pkg.json', 'docs/tab\there.txt', 'docs/quote"s\'.txt'];

test(
  'file names with spaces, non-ASCII, quotes, tabs and a leading @: exact keys, readable ledger paths',
  inRepo(project(configWith(['docs/**']), Object.fromEntries(ODD_NAMES.map((name, i) => [name, `content ${i}\n`]))), async (repo) => {
    await run(repo, ['init'], 0);
    assert.equal(keysOf(repo), [...ODD_NAMES].sort());
    for (const [i, name] of ODD_NAMES.entries()) assert.is(manifestEntries(repo, 'latest').get(`files:${name}`).sha256, sha256(`content ${i}\n`), name);
    // A directory named "@scope" is stored as "@@scope", so it is never mistaken for a shard.
    assert.ok(ledgerPaths(repo).includes('targets/default/latest/files/docs/@@scope/@.json'));
    assert.ok(ledgerPaths(repo).includes('targets/default/latest/files/docs/日本語/@.json'));

    repo.write('docs/日本語/ファイル.txt', 'changed\n');
    repo.write('docs/release notes.txt', 'changed too\n');
    repo.write('docs/@scope/pkg.json', '{}\n');
    let report = await check(repo, 2);
    assert.equal(report.changes.map((c: any) => c.key), ['docs/@scope/pkg.json', 'docs/release notes.txt', 'docs/日本語/ファイル.txt']);

    const accepted = await run(repo, ['accept', 'docs/release notes.txt', 'docs/日本語/ファイル.txt', '--reason', 'odd names'], 0);
    assert.equal(accepted.accepted.map((c: any) => c.key), ['docs/release notes.txt', 'docs/日本語/ファイル.txt']);
    report = await check(repo, 2);
    assert.equal(report.changes.map((c: any) => c.key), ['docs/@scope/pkg.json']);
    assert.is(manifestEntries(repo, 'baseline').get('files:docs/日本語/ファイル.txt').sha256, sha256('changed\n'));
  }),
);

test(
  'binary, non-UTF-8, empty and large (chunked) files: hashed by their raw bytes',
  inRepo(project(configWith(['bin/**'])), async (repo) => {
    const binary = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80]), randomBytes(4096)]);
    const latin1 = Buffer.from('café crème\n', 'latin1');
    const large = randomBytes(5 * 1024 * 1024 + 17); // above the 4 MiB whole-read limit
    repo.write('bin/blob.bin', binary);
    repo.write('bin/latin1.txt', latin1);
    repo.write('bin/empty', '');
    repo.write('bin/large.bin', large);
    await run(repo, ['init'], 0);
    const entries = manifestEntries(repo, 'latest');
    assert.equal(entries.get('files:bin/blob.bin'), { type: 'file', sha256: sha256(binary), size: binary.length, mode: '644' });
    assert.is(entries.get('files:bin/latin1.txt').sha256, sha256(latin1));
    assert.equal(entries.get('files:bin/empty'), { type: 'file', sha256: sha256(''), size: 0, mode: '644' });
    assert.equal(entries.get('files:bin/large.bin'), { type: 'file', sha256: sha256(large), size: large.length, mode: '644' });
    for (const file of ['bin/blob.bin', 'bin/latin1.txt', 'bin/large.bin']) {
      const expected = execFileSync('sha256sum', [file], { cwd: repo.dir, encoding: 'utf8' }).split(' ')[0];
      assert.is((await run(repo, ['hash', file], 0)).sha256, expected, file);
    }

    binary[2] = 0x01; // one byte, same size
    large[large.length - 1] ^= 0xff;
    repo.write('bin/blob.bin', binary);
    repo.write('bin/large.bin', large);
    chmodSync(path.join(repo.dir, 'bin/empty'), 0o755);
    const report = await check(repo, 2);
    assert.equal(report.changes.map((c: any) => c.key), ['bin/blob.bin', 'bin/empty', 'bin/large.bin']);
    assert.is(report.changes[0].after.sha256, sha256(binary));
    assert.equal([report.changes[1].before.mode, report.changes[1].after.mode], ['644', '755'], 'a mode change is a change');
    assert.is(report.changes[2].after.sha256, sha256(large));
  }),
);

test(
  'an empty watch set: patterns that match nothing give 0 entries and a clean check',
  inRepo(project(configWith(['nothing/**', '*.nope']), { 'a.txt': 'a\n' }), async (repo) => {
    const init = await run(repo, ['init'], 0);
    assert.equal(init.targets[0], { ...init.targets[0], status: 'baselined', entries: 0, errors: 0 });
    const report = await check(repo, 0);
    assert.is(report.status, 'clean');
    assert.is((await run(repo, ['status'], 0)).targets[0].entries, 0);
    assert.equal(keysOf(repo), []);
    assert.is((await run(repo, ['diff'], 0)).summary.total, 0);
    repo.write('nothing/now-something.txt', 'x\n');
    const added = await check(repo, 2);
    assert.equal(added.changes.map((c: any) => `${c.change} ${c.key}`), ['added nothing/now-something.txt']);
  }),
);

test(
  '.driftignore: comments, directories, and ! negation re-including a file the config ignores',
  inRepo(
    project(configWith(['**/*'], '    ignore: ["*.log"]\n'), {
      '.driftignore': '# generated output\nbuild/\ntmp-*\n!keep.log\n',
      'app.log': '1\n',
      'keep.log': '2\n',
      'sub/keep.log': '3\n',
      'sub/other.log': '4\n',
      'build/out.js': '5\n',
      'tmp-1.txt': '6\n',
      'src/a.txt': '7\n',
    }),
    async (repo) => {
      await run(repo, ['init'], 0);
      assert.equal(keysOf(repo), ['.driftignore', 'driftctl.yml', 'keep.log', 'src/a.txt', 'sub/keep.log']);
      repo.write('app.log', 'more\n');
      repo.write('build/out.js', 'rebuilt\n');
      repo.write('tmp-2.txt', 'x\n');
      await check(repo, 0);
      repo.write('sub/keep.log', 'changed\n');
      const report = await check(repo, 2);
      assert.equal(report.changes.map((c: any) => c.key), ['sub/keep.log']);
    },
  ),
);

test(
  'severity rule "**/config/**" matches a top-level config/models.yaml (the seed\'s fnmatch bug) and nested ones',
  inRepo(
    project(configWith(['**/*.yaml', '**/*.txt'], 'severity:\n  default: info\n  rules:\n    - match: "**/config/**"\n      severity: high\n    - match: "**/prompts/**"\n      severity: medium\n'), {
      'config/models.yaml': 'a: 1\n',
      'svc/config/app.yaml': 'b: 1\n',
      'prompts/system.txt': 'p\n',
      'x/prompts/user.txt': 'u\n',
      'notes.txt': 'n\n',
    }),
    async (repo) => {
      await run(repo, ['init'], 0);
      for (const file of ['config/models.yaml', 'svc/config/app.yaml', 'prompts/system.txt', 'x/prompts/user.txt', 'notes.txt']) repo.write(file, 'edited\n');
      const report = await check(repo, 2);
      assert.equal(
        report.changes.map((c: any) => `${c.severity} ${c.key} ${c.rule}`),
        ['high config/models.yaml **/config/**', 'high svc/config/app.yaml **/config/**', 'medium prompts/system.txt **/prompts/**', 'medium x/prompts/user.txt **/prompts/**', 'info notes.txt default'],
      );
    },
  ),
);

test(
  'a pattern without "/" matches at any depth (watch, ignore and severity rules)',
  inRepo(
    project(configWith(['*.yaml', 'Makefile'], '    ignore: ["secret.yaml"]\nseverity:\n  rules:\n    - match: "*.yaml"\n      severity: medium\n'), {
      'top.yaml': '1\n',
      'config/models.yaml': '2\n',
      'a/b/c/deep.yaml': '3\n',
      'a/Makefile': '4\n',
      'a/secret.yaml': '5\n',
      'notes.txt': '6\n',
      'yaml/not-a-match.yml': '7\n',
    }),
    async (repo) => {
      await run(repo, ['init'], 0);
      assert.equal(keysOf(repo), ['a/Makefile', 'a/b/c/deep.yaml', 'config/models.yaml', 'top.yaml']);
      for (const file of ['a/b/c/deep.yaml', 'a/Makefile', 'a/secret.yaml']) repo.write(file, 'edited\n');
      const report = await check(repo, 2);
      assert.equal(report.changes.map((c: any) => `${c.severity} ${c.key}`), ['medium a/b/c/deep.yaml', 'low a/Makefile']);
    },
  ),
);

test(
  'a file matched by several patterns is one entry',
  inRepo(project(configWith(['config/**', '**/*.yaml', 'config/models.yaml', 'config/', '*.yaml']), { 'config/models.yaml': 'm\n', 'config/evals.json': 'e\n', 'other.yaml': 'o\n' }), async (repo) => {
    const init = await run(repo, ['init'], 0);
    assert.is(init.targets[0].entries, 3);
    assert.equal(keysOf(repo), ['config/evals.json', 'config/models.yaml', 'other.yaml']);
    const shard = showJson(repo, 'targets/default/latest/files/config/@.json');
    assert.equal(Object.keys(shard.entries), ['evals.json', 'models.yaml']);
    repo.write('config/models.yaml', 'M\n');
    const report = await check(repo, 2);
    assert.is(report.changes.length, 1);
    assert.is(report.summary.total, 1);
  }),
);

test(
  'incremental checks: a same-size edit right after a check is detected, also with the old mtime restored',
  inRepo(project(configWith(['data/**']), { 'data/a.txt': 'aaaa\n', 'data/b.txt': 'bbbb\n' }), async (repo) => {
    await run(repo, ['init'], 0);
    await check(repo, 0);
    for (const content of ['abcd\n', 'aaaa\n']) {
      repo.write('data/a.txt', content); // same length, right after the previous check
      const report = await check(repo, 2);
      assert.is(report.changes.length, 1, `same-size edit to ${JSON.stringify(content)} detected`);
      assert.equal([report.changes[0].key, report.changes[0].after.sha256, report.changes[0].after.size], ['data/a.txt', sha256(content), 5]);
      await run(repo, ['accept', '--all', '--reason', 'next'], 0);
      await check(repo, 0);
    }

    // Let the stat cache trust data/b.txt (mtime and ctime more than 2 s older than the scan that
    // cached it), then change its bytes but not its size, and put its mtime back.
    const file = path.join(repo.dir, 'data/b.txt');
    await sleep(2100);
    await check(repo, 0);
    await check(repo, 0);
    const { atime, mtime, mtimeMs } = statSync(file);
    repo.write('data/b.txt', 'BBBB\n');
    utimesSync(file, atime, mtime);
    assert.ok(Math.abs(statSync(file).mtimeMs - mtimeMs) < 1, 'mtime restored');
    const report = await check(repo, 2);
    assert.equal(report.changes.map((c: any) => [c.key, c.after.sha256]), [['data/b.txt', sha256('BBBB\n')]], 'same-size edit with the old mtime is detected');
    assert.ok(ledgerTip(repo));
  }),
);

test.run();
