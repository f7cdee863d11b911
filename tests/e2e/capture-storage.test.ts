import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, type TempRepo } from '../helpers/repo.js';
import { assertFsckClean, expectCode, inRepo, LEDGER, manifestEntries, readBlobs, revParse, sha256 } from '../helpers/e2e.js';

/**
 * Captured content as the ledger stores it (FORMAT.md "Captured content"): git blobs named by the
 * manifest entries' `blob`, kept in the manifest trees so every commit that holds the manifest
 * reaches them; binary, oversize and secret-named files keep only their hash and say why.
 */
const CONFIG = `version: 1
sources:
  - kind: files
    watch: ["**/*"]
    ignore: ["driftctl.yml"]
    capture: ["prompts/**", "config/**", "keys/deploy.pem"]
    capture_max_bytes: 64
`;

const PROMPT = 'You are a helpful assistant.\nAnswer briefly.\n';

function project(): TempRepo {
  return makeRepo({
    'driftctl.yml': CONFIG,
    'prompts/system.txt': PROMPT,
    'prompts/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    'prompts/long.txt': 'x'.repeat(100),
    'config/.env': 'API_KEY=abc\n',
    'keys/deploy.pem': 'not really a key\n',
    'src/app.py': 'print(1)\n',
  });
}

test(
  'captured text is a blob in the manifest tree; binary, oversize, secret names and unlisted files say why not',
  inRepo(project, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const entries = manifestEntries(repo, 'latest');
    const prompt = entries.get('files:prompts/system.txt');
    assert.match(prompt.blob, /^[0-9a-f]{40}$/);
    assert.is(prompt.redacted, undefined);
    const [bytes] = readBlobs(repo, [prompt.blob]);
    assert.is(bytes.toString('utf8'), PROMPT);
    assert.is(sha256(bytes), prompt.sha256, 'an unredacted blob is exactly the file');
    assert.is(entries.get('files:prompts/logo.png').capture, 'binary');
    assert.is(entries.get('files:prompts/logo.png').blob, undefined);
    assert.is(entries.get('files:prompts/long.txt').capture, 'oversize');
    assert.is(entries.get('files:config/.env').capture, 'secret-name');
    assert.is(entries.get('files:src/app.py').capture, 'not-listed');
    // Named without wildcards: an explicit choice, so captured.
    assert.match(entries.get('files:keys/deploy.pem').blob, /^[0-9a-f]{40}$/);
    // Reachable from the commit: the tree lists it, and the baseline holds the same tree.
    const listing = repo.git('ls-tree', `${LEDGER}:targets/default/latest/files/prompts`);
    assert.ok(listing.includes(`blob ${prompt.blob}\t@blob.${prompt.blob}`), listing);
    assertFsckClean(repo, 'after init with captured content');

    // A check without changes writes no new manifest (same tree, so no new content objects).
    const before = revParse(repo, `${LEDGER}:targets/default/latest`);
    expectCode(await cli(repo.dir, ['check', '--no-alert']), 0, 'check');
    assert.is(revParse(repo, `${LEDGER}:targets/default/latest`), before);

    // A changed prompt: a new blob; the old one stays in the baseline tree.
    repo.write('prompts/system.txt', 'You are a terse assistant.\n');
    expectCode(await cli(repo.dir, ['check', '--no-alert']), 2, 'check after edit');
    const after = manifestEntries(repo, 'latest').get('files:prompts/system.txt');
    assert.is.not(after.blob, prompt.blob);
    assert.is(manifestEntries(repo, 'baseline').get('files:prompts/system.txt').blob, prompt.blob);
    expectCode(await cli(repo.dir, ['verify']), 0, 'verify accepts captured content');
    assertFsckClean(repo, 'after a change');
  }),
);

test(
  'adding capture to a config is not drift by itself',
  inRepo(project, async (repo) => {
    repo.write('driftctl.yml', CONFIG.replace(/    capture.*\n/g, ''));
    expectCode(await cli(repo.dir, ['init']), 0, 'init without capture');
    assert.is(manifestEntries(repo, 'latest').get('files:prompts/system.txt').blob, undefined);
    repo.write('driftctl.yml', CONFIG);
    expectCode(await cli(repo.dir, ['check', '--no-alert']), 0, 'check with capture added');
    assert.match(manifestEntries(repo, 'latest').get('files:prompts/system.txt').blob, /^[0-9a-f]{40}$/);
  }),
);

test(
  'the starter config captures prompts and config files, not code',
  inRepo(() => makeRepo({ 'config/app.yaml': 'a: 1\n', 'prompts/p.txt': 'p\n', 'src/x.py': 'x\n', 'deploy/compose.yml': 'services: {}\n' }), async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init with the starter config');
    const entries = manifestEntries(repo, 'latest');
    for (const key of ['config/app.yaml', 'prompts/p.txt', 'deploy/compose.yml', 'driftctl.yml']) assert.match(entries.get(`files:${key}`).blob ?? '', /^[0-9a-f]{40}$/, key);
    assert.is(entries.get('files:src/x.py').capture, 'not-listed');
  }),
);

test(
  'a captured structured file keeps its secrets out of its content too; a changed secret is a changed field',
  inRepo(project, async (repo) => {
    repo.write('driftctl.yml', `${CONFIG}    structured: ["config/*.yaml"]\n`);
    repo.write('config/db.yaml', 'db:\n  host: db1\n  password: pw-One-1234\n  max_tokens: 4096\n');
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const entry = manifestEntries(repo, 'latest').get('files:config/db.yaml');
    assert.match(entry.content.db.password, /^\[REDACTED:assignment:[0-9a-f]{8}\]$/);
    assert.is(entry.content.db.max_tokens, 4096);
    repo.write('config/db.yaml', 'db:\n  host: db1\n  password: pw-Two-5678\n  max_tokens: 4096\n');
    const run = await cli(repo.dir, ['check', '--no-alert', '--json']);
    expectCode(run, 2, 'check');
    const change = JSON.parse(run.stdout).reports[0].changes[0];
    assert.equal(change.fields.map((f: any) => f.path), ['/db/password']);
    assert.not.ok(run.stdout.includes('pw-One') || run.stdout.includes('pw-Two'), 'no secret in the output');
    const grep = spawnSync('git', ['grep', '-c', '-e', 'pw-One', '-e', 'pw-Two', ...repo.git('rev-list', LEDGER).trim().split('\n')], { cwd: repo.dir, encoding: 'utf8' });
    assert.equal([grep.status, grep.stdout], [1, ''], 'git grep over every ledger commit finds no secret');
  }),
);

test(
  'bad capture config: one line naming the file, the field and the fix',
  inRepo(project, async (repo) => {
    repo.write('driftctl.yml', CONFIG.replace('capture_max_bytes: 64', 'redact: ["(unclosed"]'));
    const run = await cli(repo.dir, ['init']);
    expectCode(run, 1, 'init with a bad redact pattern');
    assert.match(run.stderr, /driftctl\.yml.*redact.*not a valid regular expression/);
  }),
);

test.run();
