import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, LEDGER, oneJson, sha256, tryGit } from '../helpers/e2e.js';

/**
 * Trust under attack (issue 15): nothing forges a baseline, corrupts the ledger through a cache,
 * or hides a file. Every corruption case ends with `git fsck --strict` and `verify`.
 */

function git(repo: TempRepo, args: string[], input?: string | Buffer, env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd: repo.dir, env: { ...TEST_ENV, ...env }, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

/** `git fsck --strict` of the repository passes (exit 0, no error lines). */
function assertFsck(repo: TempRepo, what: string): void {
  const r = tryGit(repo, 'fsck', '--strict', '--no-progress');
  assert.is(r.status, 0, `git fsck --strict (${what}): ${r.stdout}${r.stderr}`);
}

type VerifyOut = { status: string; checks: { id: string; status: string; problems: string[] }[] };
async function verifyJson(repo: TempRepo, args: string[] = []): Promise<VerifyOut> {
  const run = await cli(repo.dir, ['verify', '--json', ...args]);
  const result = oneJson<VerifyOut>(run);
  expectCode(run, result.status === 'PASS' ? 0 : 1, 'verify');
  return result;
}
function problems(result: VerifyOut, id?: string): string {
  return result.checks.filter((c) => !id || c.id === id).flatMap((c) => c.problems).join('\n');
}
async function assertVerifyPasses(repo: TempRepo, what: string): Promise<void> {
  const result = await verifyJson(repo);
  assert.is(result.status, 'PASS', `verify (${what}):\n${problems(result)}`);
}

/** Commits files onto the ledger branch with plain git plumbing, as an attacker would. */
function plainCommit(repo: TempRepo, edit: (put: (file: string, content: string) => void, treeOf: (dir: string) => string) => void, message: string): string {
  const index = path.join(mkdtempSync(path.join(tmpdir(), 'driftctl-idx-')), 'index');
  const env = { GIT_INDEX_FILE: index };
  git(repo, ['read-tree', LEDGER], undefined, env);
  const put = (file: string, content: string): void => {
    const blob = git(repo, ['hash-object', '-w', '--stdin'], content);
    git(repo, ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], undefined, env);
  };
  const treeOf = (dir: string): string => git(repo, ['rev-parse', `${git(repo, ['write-tree'], undefined, env)}:${dir}`]);
  edit(put, treeOf);
  const tree = git(repo, ['write-tree'], undefined, env);
  const commit = git(repo, ['commit-tree', tree, '-p', LEDGER, '-m', message]);
  git(repo, ['update-ref', `refs/heads/${LEDGER}`, commit]);
  return commit;
}

function show(repo: TempRepo, file: string): any {
  return JSON.parse(git(repo, ['show', `${LEDGER}:${file}`]));
}
function canonical(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  return `${JSON.stringify(sorted(value), null, 2)}\n`;
}

/** The forgery of item 1: the baseline shard and head.json rewritten to a drifted file's state. */
function forgeBaseline(repo: TempRepo, extra?: (put: (file: string, content: string) => void, baselineTree: string) => void): void {
  const shardPath = 'targets/default/baseline/files/src/@.json';
  const content = 'print("pwned")\n';
  const shard = show(repo, shardPath);
  shard.entries['main.py'].sha256 = sha256(content);
  shard.entries['main.py'].size = Buffer.byteLength(content);
  const head = show(repo, 'targets/default/head.json');
  plainCommit(
    repo,
    (put, treeOf) => {
      put(shardPath, canonical(shard));
      const baselineTree = treeOf('targets/default/baseline');
      head.baseline.tree = baselineTree;
      put('targets/default/head.json', canonical(head));
      extra?.(put, baselineTree);
    },
    'accept default: 1 change\n\nDrift-Target: default\nDrift-Kind: accept',
  );
}

test(
  '1. a baseline forged with plain git (accept trailer only) fails verify; an accept record naming other changes fails too',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('src/main.py', 'print("pwned")\n');
    forgeBaseline(repo);
    assertFsck(repo, 'forged baseline');
    let result = await verifyJson(repo);
    assert.is(result.status, 'FAIL');
    assert.match(problems(result, 'append-only'), /baseline of target "default" changed in commit [0-9a-f]{12} with no accept record/);

    // Second forgery on a fresh ledger: an accept record that is copied from init (wrong changes, no chain link).
    git(repo, ['update-ref', '-d', `refs/heads/${LEDGER}`]);
    repo.remove('.git/driftctl');
    repo.write('src/main.py', 'print("hello")\n');
    expectCode(await cli(repo.dir, ['init']), 0, 'init again');
    repo.write('src/main.py', 'print("pwned")\n');
    const [initAccept] = git(repo, ['ls-tree', '-r', '--name-only', LEDGER]).split('\n').filter((f) => f.endsWith('.accept.json'));
    const record = show(repo, initAccept);
    const before = git(repo, ['rev-parse', `${LEDGER}:targets/default/baseline`]);
    forgeBaseline(repo, (put, baselineTree) => {
      record.id = record.id.replace(/-[0-9a-f]{6}$/, '-0f0f0f');
      record.baseline = { before, after: baselineTree };
      put(initAccept.replace(/[^/]+\.accept\.json$/, `${record.id}.accept.json`), canonical(record));
    });
    assertFsck(repo, 'forged accept');
    result = await verifyJson(repo);
    assert.is(result.status, 'FAIL');
    const found = problems(result, 'append-only');
    assert.match(found, /does not name exactly the changed entries \("files:src\/main\.py" changed but is not named\)/);
    assert.match(found, /is not the next link of the target's hash chain/);
    // A real accept of the same change passes.
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, `${LEDGER}~1`]);
    repo.write('.git/driftctl/checkpoints', '');
    expectCode(await cli(repo.dir, ['check']), 2, 'check sees the drift');
    expectCode(await cli(repo.dir, ['accept', 'src/main.py', '--reason', 'real']), 0, 'accept');
    await assertVerifyPasses(repo, 'real accept');
    assertFsck(repo, 'real accept');
  }),
);

const FILES_ONLY = (watch: string, extra = ''): string => `version: 1\nsources:\n  - name: files\n    kind: files\n    watch: ${watch}\n${extra}`;

test(
  '2. a watch glob with "..", "." or ".git" is a config error naming it; keys a command source makes with such segments are stored as escaped tree names git accepts',
  inRepo(seedProject, async (repo) => {
    repo.write('driftctl.yml', FILES_ONLY('["src/**", "../S/*"]'));
    let run = await cli(repo.dir, ['init']);
    expectCode(run, 1, 'init with ..');
    assert.match(run.stderr, /driftctl\.yml:5: sources\[0\]\.watch\[1\]: leaves the source's root \(a "\.\." segment in "\.\.\/S\/\*"\)/);
    assert.is(run.stderr.trim().split('\n').length, 1, run.stderr);
    repo.write('driftctl.yml', FILES_ONLY('["src/**", "src/.git/*"]'));
    run = await cli(repo.dir, ['check']);
    expectCode(run, 1, 'check with .git');
    assert.match(run.stderr, /watch\[1\]: names git's own data/);
    // A command source may produce any key: dot segments and .git names must still make valid trees.
    repo.write('keys.json', JSON.stringify({ keys: { '../S/x': 1, 'a/./b': 2, 'a/.git/config': 3, '.GIT./y': 4, 'gitmod~1/z': 5, '@x/y': 6, 'a//b': 7 } }));
    repo.write('driftctl.yml', 'version: 1\nsources:\n  - name: keys\n    kind: command\n    argv: [cat, keys.json]\n    parse: json\n    items: keys\n');
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('keys.json', JSON.stringify({ keys: { '../S/x': 10, 'a/./b': 2, 'a/.git/config': 3, '.GIT./y': 4, 'gitmod~1/z': 5, '@x/y': 6, 'a//b': 7 } }));
    run = await cli(repo.dir, ['check', '--json']);
    expectCode(run, 2, 'check');
    assert.equal(oneJson(run).reports[0].changes.map((c: { key: string }) => c.key), ['%../S/x']);
    assertFsck(repo, 'command keys with dot segments');
    await assertVerifyPasses(repo, 'command keys with dot segments');
  }),
);

/** The keys of the baseline's files source, read with plain git (directory names unescaped as FORMAT.md says). */
function baselineKeys(repo: TempRepo): string[] {
  const unescape = (name: string): string =>
    name.startsWith('@=') ? name.slice(2).replace(/%([0-9A-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : name.startsWith('@') ? name.slice(1) : name;
  const keys: string[] = [];
  for (const file of git(repo, ['ls-tree', '-r', '-z', '--name-only', `${LEDGER}:targets/default/baseline/files`]).split('\0').filter(Boolean)) {
    const parts = file.split('/');
    parts.pop();
    const dir = parts.map(unescape).join('/');
    for (const name of Object.keys(JSON.parse(git(repo, ['cat-file', 'blob', `${LEDGER}:targets/default/baseline/files/${file}`])).entries)) keys.push(dir ? `${dir}/${name}` : name);
  }
  return keys.sort();
}

/** Every kind of awkward name: not UTF-8 (file and directory), newlines, a lookalike of the lossy form. */
function awkwardProject(): TempRepo {
  const repo = seedProject(FILES_ONLY('["src/**"]'));
  const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
  const root = Buffer.from(repo.dir);
  // Buffer paths reach the file system as raw bytes.
  const put = (name: Buffer, content: string): void => {
    const full = Buffer.concat([root, name]);
    mkdirSync(full.subarray(0, full.lastIndexOf(0x2f)), { recursive: true });
    writeFileSync(full, content);
  };
  put(bytes('/src/caf\xe9.txt'), 'latin-1 name');
  put(bytes('/src/d\xff/in.txt'), 'inside a directory whose name is not UTF-8');
  put(Buffer.from('/src/a\nb.py'), 'newline name');
  put(Buffer.from('/src/sub/x\ny'), 'newline name below');
  put(Buffer.from('/src/caf\uFFFD.txt'), 'a real U+FFFD');
  return repo;
}

test(
  '6. files with names that are not UTF-8 or hold newlines are recorded under escaped, reversible keys; their drift is seen',
  inRepo(awkwardProject, async (repo) => {
    let run = await cli(repo.dir, ['init', '--json']);
    expectCode(run, 0, 'init');
    assert.is(oneJson(run).targets[0].entries, 7, run.stdout);
    const listed = baselineKeys(repo);
    for (const key of ['src/caf\udce9.txt', 'src/d\udcff/in.txt', 'src/a\nb.py', 'src/sub/x\ny', 'src/caf\uFFFD.txt', 'src/main.py']) {
      assert.ok(listed.includes(key), `baseline lists ${JSON.stringify(key)}: ${JSON.stringify(listed)}`);
    }
    assertFsck(repo, 'awkward names');
    expectCode(await cli(repo.dir, ['check']), 0, 'clean check');
    // Change each awkward file: every change is drift, under its key.
    const src = Buffer.from(`${repo.dir}/src/`);
    for (const name of ['caf\xe9.txt', 'caf\xef\xbf\xbd.txt', 'd\xff/in.txt', 'a\nb.py', 'sub/x\ny']) appendFileSync(Buffer.concat([src, Buffer.from(name, 'latin1')]), 'changed\n');
    run = await cli(repo.dir, ['check', '--json']);
    expectCode(run, 2, 'check after changes');
    const changed = oneJson(run).reports[0].changes.map((c: { key: string }) => c.key).sort();
    assert.equal(changed, ['src/a\nb.py', 'src/caf\udce9.txt', 'src/caf\uFFFD.txt', 'src/d\udcff/in.txt', 'src/sub/x\ny'].sort());
    expectCode(await cli(repo.dir, ['accept', '--all', '--reason', 'ok']), 0, 'accept');
    expectCode(await cli(repo.dir, ['check']), 0, 'clean after accept');
    assertFsck(repo, 'awkward names after accept');
    await assertVerifyPasses(repo, 'awkward names');
  }),
);

test(
  '12. a git directory is never watched: a bare repository as root is refused, a nested one is skipped',
  async () => {
    const bare = mkdtempSync(path.join(tmpdir(), 'driftctl-bare-'));
    try {
      execFileSync('git', ['init', '-q', '--bare', bare], { env: TEST_ENV });
      execFileSync('sh', ['-c', `cat > driftctl.yml`], { cwd: bare, input: FILES_ONLY('["**"]') });
      const run = await cli(bare, ['init']);
      expectCode(run, 1, 'init in a bare repository');
      assert.match(run.stdout + run.stderr, /root \S+ is a git directory \(HEAD, objects\/, refs\/\), which is never watched/);
    } finally {
      execFileSync('rm', ['-rf', bare]);
    }
    const repo = seedProject(FILES_ONLY('["**"]'));
    try {
      execFileSync('git', ['init', '-q', '--bare', path.join(repo.dir, 'backup.git')], { env: TEST_ENV });
      const run = await cli(repo.dir, ['init', '--json']);
      expectCode(run, 0, 'init');
      const keys = baselineKeys(repo).join('\n');
      assert.not.match(keys, /backup\.git/);
      assert.match(keys, /src\/main\.py/);
    } finally {
      repo.cleanup();
    }
  },
);

test(
  '3. the checked-out branch as ledger.branch is refused and left alone; a ledger ref forced onto a non-ledger commit is refused',
  inRepo(seedProject, async (repo) => {
    repo.git('add', 'src');
    repo.git('commit', '-q', '-m', 'user work');
    const userTip = repo.git('rev-parse', 'main').trim();
    const status = repo.git('status', '--porcelain');
    const config = readFileSync(path.join(repo.dir, 'driftctl.yml'), 'utf8');
    repo.write('driftctl.yml', config.replace('branch: drift-ledger', 'branch: main'));
    for (const command of ['init', 'check']) {
      const run = await cli(repo.dir, [command]);
      expectCode(run, 1, `${command} with ledger.branch: main`);
      assert.match(run.stderr, /ledger\.branch "main" is checked out in .*: the ledger needs a branch of its own/);
    }
    assert.is(repo.git('rev-parse', 'main').trim(), userTip, 'the user\'s branch did not move');
    assert.is(repo.git('status', '--porcelain'), status, 'nothing staged in the user\'s index');

    repo.write('driftctl.yml', config);
    repo.git('branch', '-f', LEDGER, 'main');
    for (const command of ['init', 'check', 'verify']) {
      const run = await cli(repo.dir, [command]);
      expectCode(run, 1, `${command} on a non-ledger tip`);
      assert.match(run.stderr, /branch "drift-ledger" in \S+ points at [0-9a-f]{12}, which is not a driftctl ledger \(no ledger\.json\)/);
    }
    assert.is(repo.git('rev-parse', LEDGER).trim(), userTip, 'init built nothing on the user\'s history');
    assertFsck(repo, 'non-ledger tip');
  }),
);

test(
  '8. an emptied ledger ref is detected: check and init refuse and say how to repair; nothing starts over',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    expectCode(await cli(repo.dir, ['check']), 0, 'check');
    const tip = repo.git('rev-parse', LEDGER).trim();
    const refFile = path.join(repo.dir, '.git', 'refs', 'heads', LEDGER);
    writeFileSync(refFile, '');
    for (const command of ['check', 'init']) {
      const run = await cli(repo.dir, [command]);
      expectCode(run, 1, `${command} over an emptied ref`);
      assert.match(run.stderr, new RegExp(`the ledger branch "drift-ledger" in \\S+ is missing or damaged although the ref file \\S+ exists but names no commit, and this machine published ${tip.slice(0, 12)}`));
      assert.ok(run.stderr.includes(`git update-ref refs/heads/drift-ledger ${tip}`), run.stderr);
    }
    assert.is(readFileSync(refFile, 'utf8'), '', 'init wrote no new ledger');
    // The ref deleted outright: the checkpoints still remember the ledger.
    rmSync(refFile);
    expectCode(await cli(repo.dir, ['init']), 1, 'init over a deleted ref');
    execFileSync('git', ['update-ref', `refs/heads/${LEDGER}`, tip], { cwd: repo.dir, env: TEST_ENV });
    expectCode(await cli(repo.dir, ['check']), 0, 'check after the repair');
    assertFsck(repo, 'after the ref repair');
    await assertVerifyPasses(repo, 'after the ref repair');
  }),
);

test(
  '10. a damaged tip commit is named as ledger damage with the object and the repair, not an internal error',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const tip = repo.git('rev-parse', LEDGER).trim();
    const object = path.join(repo.dir, '.git', 'objects', tip.slice(0, 2), tip.slice(2));
    const bytes = readFileSync(object);
    chmodSync(object, 0o644);
    writeFileSync(object, bytes.subarray(0, 12));
    let run = await cli(repo.dir, ['check']);
    expectCode(run, 1, 'check over a truncated commit');
    assert.match(run.stderr, new RegExp(`the ledger in \\S+ is damaged: commit ${tip} is unreadable \\(.+\\); run "git fsck" there`));
    assert.not.match(run.stderr, /internal error/);
    rmSync(object);
    for (const command of ['check', 'verify', 'log']) {
      run = await cli(repo.dir, [command]);
      expectCode(run, 1, `${command} over a missing commit`);
      assert.match(run.stderr, new RegExp(`the ledger in \\S+ is damaged: commit ${tip} is missing; run "git fsck" there to see the extent, then restore the ledger branch from its remote`));
    }
    writeFileSync(object, bytes);
    expectCode(await cli(repo.dir, ['check']), 0, 'check after the repair');
    assertFsck(repo, 'after the object repair');
    await assertVerifyPasses(repo, 'after the object repair');
  }),
);

test.run();
