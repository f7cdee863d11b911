import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { restoreDiff } from '../../src/restore/unified-diff.js';
import { textOf } from '../../src/drift/content-diff.js';

test('hunks with three lines of context, and no diff for equal texts', () => {
  const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}\n`).join('');
  const b = a.replace('line 2\n', 'LINE 2\n').replace('line 18\n', '');
  assert.is(restoreDiff('f', a, a), '');
  assert.is(
    restoreDiff('f', a, b),
    ['--- a/f', '+++ b/f', '@@ -1,5 +1,5 @@', ' line 1', '-line 2', '+LINE 2', ' line 3', ' line 4', ' line 5', '@@ -15,6 +15,5 @@', ' line 15', ' line 16', ' line 17', '-line 18', ' line 19', ' line 20', ''].join('\n'),
  );
});

test('a created file, and a missing final newline, are marked as git marks them', () => {
  assert.is(restoreDiff('f', undefined, 'x\n'), '--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n');
  assert.is(restoreDiff('f', 'x\n', 'x'), '--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n+x\n\\ No newline at end of file\n');
});

test('textOf refuses NUL bytes and invalid UTF-8', () => {
  assert.is(textOf(Buffer.from('héllo\n')), 'héllo\n');
  assert.is(textOf(Buffer.from([0x61, 0, 0x62])), undefined);
  assert.is(textOf(Buffer.from([0xff, 0xfe, 0x41])), undefined);
});

test.run();
