import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, REPO_ROOT, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, LEDGER, oneJson, sha256, tryGit } from '../helpers/e2e.js';

/**
 * Trust under attack (issue 15): nothing forges a baseline, corrupts the ledger through a cache,
 * or hides a file. Every corruption case ends with `git fsck --strict` and `verify`.
 */

/** TRUST_ONLY=<item number> runs one item while developing; the suite runs them all. */
function item(name: string, body: () => Promise<void>): void {
  const only = process.env.TRUST_ONLY;
  if (only && !name.startsWith(`${only}.`)) test.skip(name, body);
  else test(name, body);
}

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

item(
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
    // Third forgery: only head.json (what check reads) points at another tree; the baseline is untouched.
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, `${LEDGER}~1`]);
    const head = show(repo, 'targets/default/head.json');
    head.baseline.tree = git(repo, ['rev-parse', `${LEDGER}:targets/default/latest/files`]);
    plainCommit(repo, (put) => put('targets/default/head.json', canonical(head)), 'tidy\n\nDrift-Kind: other');
    assertFsck(repo, 'forged head.json');
    result = await verifyJson(repo);
    assert.match(problems(result, 'append-only'), /targets\/default\/head\.json in commit [0-9a-f]{12} names baseline [0-9a-f]{12} but the baseline tree is [0-9a-f]{12}/);
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

item(
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

item(
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

item(
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

item(
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

    // A real ledger checked out in a linked work tree can be read (an audit of a clone), never moved.
    repo.git('branch', '-D', LEDGER);
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const worktree = mkdtempSync(path.join(tmpdir(), 'driftctl-wt-'));
    repo.git('worktree', 'add', '-q', path.join(worktree, 'ledger'), LEDGER);
    const tip = repo.git('rev-parse', LEDGER).trim();
    repo.write('src/main.py', 'print("changed")\n');
    const run = await cli(repo.dir, ['check']);
    expectCode(run, 1, 'check with the ledger checked out');
    assert.match(run.stderr, /ledger\.branch "drift-ledger" is checked out in /);
    assert.is(repo.git('rev-parse', LEDGER).trim(), tip, 'the checked-out ledger did not move');
    await assertVerifyPasses(repo, 'ledger checked out elsewhere');
    repo.git('worktree', 'remove', '--force', path.join(worktree, 'ledger'));
    rmSync(worktree, { recursive: true, force: true });
    assertFsck(repo, 'after the work tree');
  }),
);

item(
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

item(
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

/** Rewrites a local cache file under .git/driftctl (a damaged disk or a stray edit). */
function damage(repo: TempRepo, file: string, edit: (bytes: Buffer) => Buffer): void {
  const full = path.join(repo.dir, '.git', 'driftctl', file);
  writeFileSync(full, edit(readFileSync(full)));
}

/** Text with a valid `checksum` last line again (a damage that keeps the file self-consistent). */
function rechecksummed(text: string): string {
  const body = text.slice(0, text.lastIndexOf('checksum '));
  return `${body}checksum ${sha256(body)}\n`;
}

item(
  '4. shard memo entries naming wrong object ids never put objects under wrong names; a damaged memo is discarded with a warning',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const memo = 'cache/default/shards.memo';
    // Every object id in the memo changed, with the checksum line made to match.
    damage(repo, memo, (b) => Buffer.from(rechecksummed(b.toString('utf8').replace(/ ([0-9a-f]{39})[0-9a-f]$/gm, (_, head: string) => ` ${head}${head.endsWith('0') ? '1' : '0'}`))));
    repo.write('src/main.py', 'print("changed")\n');
    let run = await cli(repo.dir, ['check']);
    expectCode(run, 2, 'check with lying memo');
    assert.match(run.stderr, /warning: shard memo \S+ names objects that do not match their shards: discarded/);
    assertFsck(repo, 'lying memo');
    git(repo, ['gc', '-q']);
    assertFsck(repo, 'lying memo, after gc');
    await assertVerifyPasses(repo, 'lying memo');
    // One flipped character: the checksum fails.
    damage(repo, memo, (b) => {
      const text = b.toString('utf8');
      const at = text.indexOf('\n') + 45;
      return Buffer.from(text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1));
    });
    repo.write('src/main.py', 'print("changed again")\n');
    run = await cli(repo.dir, ['check']);
    expectCode(run, 2, 'check with damaged memo');
    assert.match(run.stderr, /warning: shard memo \S+ is damaged \(checksum mismatch\): discarded/);
    assertFsck(repo, 'damaged memo');
    await assertVerifyPasses(repo, 'damaged memo');
  }),
);

item(
  '5. one flipped bit in the stat cache is discarded with a warning, never false drift',
  inRepo(seedProject, async (repo) => {
    // Only records safely older than the scan are trusted (the racy-file rule): let the files age.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cacheFile = 'cache/default/files.statcache';
    damage(repo, cacheFile, (b) => {
      const out = Buffer.from(b);
      // Layout: magic line, u32 header length, header JSON, padding to 8, count x 5 float64, count x 32-byte sha256.
      const magic = out.indexOf(0x0a) + 1;
      const headerLength = out.readUInt32LE(magic);
      const { count } = JSON.parse(out.toString('utf8', magic + 4, magic + 4 + headerLength));
      const shas = ((magic + 4 + headerLength + 7) & ~7) + count * 5 * 8;
      out[shas] ^= 0x01;
      return out;
    });
    const run = await cli(repo.dir, ['check', '--json']);
    expectCode(run, 0, 'check after the flipped bit');
    assert.match(run.stderr, /warning: stat cache \S+ is damaged \(checksum mismatch\): discarded, every file is hashed again/);
    assertFsck(repo, 'flipped stat cache bit');
    await assertVerifyPasses(repo, 'flipped stat cache bit');
  }),
);

item(
  '9. a changed character in the commit index does not hide a report from log; the index is rebuilt',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    expectCode(await cli(repo.dir, ['check']), 0, 'check 1');
    repo.write('src/main.py', 'print("changed")\n');
    expectCode(await cli(repo.dir, ['check']), 2, 'check 2');
    const reports = (await cli(repo.dir, ['log', '--kind', 'report', '--json'])).json().entries.map((e: { record: string }) => e.record);
    assert.is(reports.length, 2);
    const index = `commit-index/${LEDGER}.json`;
    damage(repo, index, (b) => Buffer.from(b.toString('utf8').replace('"Drift-Kind":"report"', '"Drift-Kind":"rePort"')));
    const run = await cli(repo.dir, ['log', '--kind', 'report', '--json']);
    expectCode(run, 0, 'log');
    assert.equal(oneJson(run).entries.map((e: { record: string }) => e.record), reports);
    assert.match(run.stderr, /warning: commit index \S+ is damaged \(checksum mismatch\): discarded, and rebuilt/);
    assert.not.match(readFileSync(path.join(repo.dir, '.git', 'driftctl', index), 'utf8'), /rePort/);
    assertFsck(repo, 'damaged commit index');
    await assertVerifyPasses(repo, 'damaged commit index');
  }),
);

item(
  '7. an inventory address that reads as an option is refused; ssh gets "--" before the host',
  inRepo(
    () => makeRepo({}),
    async (repo) => {
      const bin = path.join(repo.dir, 'bin');
      const argvLog = path.join(repo.dir, 'ssh-argv.log');
      mkdirSync(bin);
      // "ssh" that logs its argv, then behaves like ssh in tests/fixtures/command/fake-ssh.sh.
      writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${path.join(REPO_ROOT, 'tests/fixtures/command/fake-ssh.sh')}' "$@"\n`, { mode: 0o755 });
      const config = `version: 1\ninventory:\n  file: hosts.yml\n  exec: [${bin}/ssh, -o, BatchMode=yes, "{address}", --]\npacks:\n  - name: id\n    sources:\n      - kind: command\n        argv: [echo, hello]\n        parse: lines\n`;
      repo.write('driftctl.yml', config);
      repo.write('hosts.yml', 'hosts:\n  - name: web1\n    address: "-oProxyCommand=touch PWNED"\n    packs: [id]\n  - name: web2\n    address: "10.0.0.2 -oX"\n    packs: [id]\n');
      const run = await cli(repo.dir, ['init']);
      expectCode(run, 1, 'init with an option as address');
      assert.match(run.stderr, /hosts\.yml: hosts\[0\]\.address: "-oProxyCommand=touch PWNED" must not start with "-" or contain whitespace or control characters/);
      assert.match(run.stderr, /hosts\.yml: hosts\[1\]\.address: "10\.0\.0\.2 -oX" must not start with "-"/);
      assert.not.ok(existsSync(path.join(repo.dir, 'PWNED')), 'no local command ran');
      assert.not.ok(existsSync(argvLog), 'ssh never ran');

      repo.write('hosts.yml', 'hosts:\n  - name: web1\n    packs: [id]\n');
      expectCode(await cli(repo.dir, ['init']), 0, 'init with a plain host');
      assert.equal(readFileSync(argvLog, 'utf8').trim().split('\n'), ['-o BatchMode=yes -- web1 echo hello']);
      assertFsck(repo, 'fleet init');
      await assertVerifyPasses(repo, 'fleet init');
    },
  ),
);

item(
  '11. source errors (command not found, refused connection, bad plan) are on stderr, and in --json',
  inRepo(
    () =>
      makeRepo({
        'plan.json': '{"format_version": "1.2", "terraform_version": "1.9.0"}\n',
        'driftctl.yml': `version: 1
targets:
  - name: cmd
    sources:
      - { kind: command, argv: [no-such-command-driftctl-test], parse: lines }
  - name: web
    sources:
      - { kind: http, url: "http://127.0.0.1:1/state", parse: json }
  - name: plan
    sources:
      - { kind: terraform, plan: plan.json }
`,
      }),
    async (repo) => {
      for (const args of [['init'], ['snapshot', '--json']]) {
        const run = await cli(repo.dir, args);
        expectCode(run, 1, args.join(' '));
        const lines = run.stderr.trim().split('\n');
        assert.ok(lines.some((l) => /^driftctl: error: target cmd: .*no-such-command-driftctl-test/.test(l)), run.stderr);
        assert.ok(lines.some((l) => /^driftctl: error: target web: .*(refused|ECONNREFUSED)/i.test(l)), run.stderr);
        assert.ok(lines.some((l) => /^driftctl: error: target plan: .*plan\.json/.test(l)), run.stderr);
        if (args[0] === 'snapshot') assert.equal(oneJson(run).failures.map((f: { target: string }) => f.target).sort(), ['cmd', 'plan', 'web']);
      }
      assertFsck(repo, 'failed sources');
    },
  ),
);

const WATCH13 = '["src/**", "build7/**", "Build9/**", "keep/**"]';

item(
  '13. 50,000 ignore patterns: the check completes with the same decisions as a short list; too many unindexable patterns are a clear error',
  inRepo(
    () =>
      makeRepo({
        'src/a.py': 'a\n',
        'src/b.tmp3': 'ignored by a wildcard rule\n',
        'build7/x.py': 'ignored by an indexed rule\n',
        'src/build123/y.py': 'kept: build123/** is anchored at the root\n',
        'Build9/z.py': 'ignored: rules ignore case\n',
        'keep/build7.py': 'kept\n',
      }),
    async (repo) => {
      const rules = [...Array.from({ length: 50_000 }, (_, i) => `build${i}/**`), ...Array.from({ length: 20 }, (_, i) => `*.tmp${i}`), '!keep/**'];
      repo.write('driftctl.yml', FILES_ONLY(WATCH13, `    ignore:\n${rules.map((r) => `      - "${r}"\n`).join('')}`) + 'ledger:\n  branch: drift-ledger\n');
      const run = await cli(repo.dir, ['init']);
      expectCode(run, 0, 'init with 50,000 ignore patterns');
      const keys = baselineKeys(repo);
      assert.equal(keys, ['keep/build7.py', 'src/a.py', 'src/build123/y.py']);
      // The same decisions with a short list (the unindexed path).
      repo.write('driftctl.yml', FILES_ONLY(WATCH13, '    ignore: ["build7/**", "build9/**", "*.tmp3", "!keep/**"]\n'));
      expectCode(await cli(repo.dir, ['check']), 0, 'check with a short list: no drift');
      repo.write('driftctl.yml', FILES_ONLY(WATCH13, `    ignore:\n${Array.from({ length: 3000 }, (_, i) => `      - "*.x${i}"\n`).join('')}`));
      const tooMany = await cli(repo.dir, ['check']);
      expectCode(tooMany, 1, 'check with 3,000 wildcard rules');
      assert.match(tooMany.stderr, /3000 ignore rules have no literal path segment \(like "\*\.log"\), at most 2000 are supported/);
      assertFsck(repo, 'many ignore rules');
      await assertVerifyPasses(repo, 'many ignore rules');
    },
  ),
);

item(
  '14. bad option values, a missing allowed-signers file, a directory as --config, a YAML alias bomb and a bad JSON Pointer escape are one clear error each',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const fails = async (args: string[], pattern: RegExp): Promise<void> => {
      const run = await cli(repo.dir, args);
      expectCode(run, 1, args.join(' '));
      assert.is(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, pattern);
      assert.not.match(run.stderr, /internal error/);
    };
    await fails(['log', '--limit', 'abc'], /--limit: expected a whole number, 1 or more/);
    await fails(['log', '--page', '0'], /--page: expected a whole number, 1 or more/);
    await fails(['verify', '--allowed-signers', 'no-such-file'], /--allowed-signers no-such-file: no such file/);
    await fails(['check', '--config', 'src'], /src: is a directory, not a config file/);
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) levels.push(`${name}: &${name} [${Array(9).fill(`*${levels[i].slice(0, 1)}`).join(',')}]`);
    repo.write('bomb.yml', `version: 1\n${levels.join('\n')}\nsources: *h\n`);
    await fails(['check', '--config', 'bomb.yml'], /bomb\.yml: YAML: Excessive alias count/);
    const config = readFileSync(path.join(repo.dir, 'driftctl.yml'), 'utf8');
    repo.write('driftctl.yml', config.replace('    - match: "config/**"', '    - match: "config/models.yaml#/models/a~2b"'));
    await fails(['check'], /driftctl\.yml:\d+: severity\.rules\[0\]\.match: has a field part after "#" that has the invalid escape "~2" in JSON Pointer/);
    repo.write('driftctl.yml', config);
    expectCode(await cli(repo.dir, ['check']), 0, 'check');
    assertFsck(repo, 'bad options');
    await assertVerifyPasses(repo, 'bad options');
  }),
);

test.run();
