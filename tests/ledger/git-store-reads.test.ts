import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitStore } from '../../src/ledger/git-store.js';
import { encodeTree } from '../../src/ledger/git-objects.js';
import { TEST_ENV } from '../helpers/repo.js';
import { driftFailure, inTempDir } from '../helpers/temp.js';

const signature = { name: 'T', email: 't@example.invalid', timestamp: 1_700_000_000, timezoneOffset: 0 };

test(
  'reads kept in memory hand out copies: a caller that sorts or changes what it got never changes the next read',
  inTempDir('store-reads', async (dir) => {
    const store = await GitStore.initBare(path.join(dir, 'ledger.git'), 'drift-ledger');
    const a = await store.writeObject('blob', Buffer.from('{"a":1}\n'));
    const b = await store.writeObject('blob', Buffer.from('{"b":2}\n'));
    const tree = await store.writeObject('tree', encodeTree([{ name: 'b.json', mode: '100644', oid: b }, { name: 'a.json', mode: '100644', oid: a }].sort((x, y) => (x.name < y.name ? -1 : 1))));
    const commit = await store.writeCommit({ tree, parents: [], message: 'one\n', author: signature, committer: signature });

    const first = await store.readTree(tree);
    assert.equal(first.map((e) => e.name), ['a.json', 'b.json']);
    first.sort((x, y) => (x.name < y.name ? 1 : -1));
    first[0].name = 'changed';
    assert.equal((await store.readTree(tree)).map((e) => e.name), ['a.json', 'b.json']);

    const blob = await store.readBlob(a);
    blob.fill(0);
    assert.is((await store.readBlob(a)).toString('utf8'), '{"a":1}\n');
    assert.is((await store.readCommit(commit)).tree, tree);
    assert.equal(await store.lookupPath(commit, 'b.json'), { oid: b, type: 'blob' });

    // A fresh store (the next command) reads the repository again: a deleted object is damage.
    rmSync(path.join(dir, 'ledger.git', 'objects', b.slice(0, 2), b.slice(2)));
    const again = GitStore.open(path.join(dir, 'ledger.git'));
    assert.is((await driftFailure(again.readBlob(b))).code, 'LEDGER_DAMAGED');
    assert.is(execFileSync('git', ['--git-dir', path.join(dir, 'ledger.git'), 'cat-file', '-t', a], { env: TEST_ENV }).toString().trim(), 'blob');
  }),
);

test.run();
