import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitStore } from '../../src/ledger/git-store.js';
import { packIndexOids, packNames } from '../../src/ledger/packer.js';
import { assertFsckClean, expectCode, oneJson } from '../helpers/e2e.js';
import { cli, seedProject, type TempRepo } from '../helpers/repo.js';

/**
 * Packed storage: what driftctl wrote goes into packs it makes itself (isomorphic-git writes and
 * indexes them), its packs are merged once there are many, and objects it did not write (the
 * user's own commits) stay exactly where they were; no `git gc` is ever run.
 */

function looseObjects(repo: TempRepo): string[] {
  const dir = path.join(repo.dir, '.git', 'objects');
  return readdirSync(dir)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(path.join(dir, d)).map((f) => d + f));
}

async function ok(repo: TempRepo, args: string[], codes = [0, 2]): Promise<void> {
  const run = await cli(repo.dir, args);
  assert.ok(codes.includes(run.code), `${args.join(' ')}: exit ${run.code}: ${run.stderr}`);
}

test('driftctl packs only the objects it wrote, merges its own packs, and the ledger stays whole', async () => {
  const repo = seedProject();
  try {
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'user commit');
    const userObjects = new Set(looseObjects(repo));
    await ok(repo, ['init']);
    repo.write('config/models.yaml', 'models: {}\n');
    await ok(repo, ['check']);
    const ledgerLoose = looseObjects(repo).filter((oid) => !userObjects.has(oid));
    assert.ok(ledgerLoose.length > 10, `the ledger wrote loose objects (${ledgerLoose.length})`);

    const store = GitStore.open(repo.dir);
    const first = await store.packIfDue({ loose: 1, packs: 99 });
    assert.is(first.packed, ledgerLoose.length, 'every loose object driftctl wrote was packed');
    const inPack = new Set(packIndexOids(path.join(repo.dir, '.git', 'objects', 'pack', `${first.pack}.idx`)));
    for (const oid of ledgerLoose) assert.ok(inPack.has(oid), `${oid} is in the pack`);
    assert.equal(new Set(looseObjects(repo)), userObjects, 'the user’s objects are still loose, untouched; the ledger’s are gone');
    assertFsckClean(repo, 'after packing');

    // More writes, a second pack; then the two are merged into one.
    repo.write('prompts/system.txt', 'changed\n');
    await ok(repo, ['check']);
    await ok(repo, ['accept', '--all', '--reason', 'ok'], [0]);
    const second = await GitStore.open(repo.dir).packIfDue({ loose: 1, packs: 99 });
    assert.ok(second.packed > 0);
    assert.is(packNames(path.join(repo.dir, '.git')).length, 2);
    const merged = await GitStore.open(repo.dir).packIfDue({ loose: 1, packs: 2 });
    assert.is(merged.merged, 2);
    assert.equal(packNames(path.join(repo.dir, '.git')), [merged.pack]);
    assert.equal(readFileSync(path.join(repo.dir, '.git', 'driftctl', 'packs'), 'utf8'), `${merged.pack}\n`);
    assertFsckClean(repo, 'after merging packs');

    // Every reader still works from the packs.
    const verify = await cli(repo.dir, ['verify', '--full', '--json']);
    expectCode(verify, 0, 'verify');
    assert.is(oneJson(verify).status, 'PASS');
    const status = await cli(repo.dir, ['check', '--json']);
    expectCode(status, 0, 'check after packing');
    assert.is(repo.git('rev-list', '--count', 'main').trim(), '1', 'the user’s branch is untouched');
  } finally {
    repo.cleanup();
  }
});

test.run();
