import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffTexts } from '../../src/drift/content-diff.js';
import { samplePullRequest, templateSamples } from '../../src/render/samples.js';
import { createTemplateEnv } from '../../src/render/template-env.js';
import { changeView, diffView } from '../../src/render/views.js';

/** Content diffs as templates get them: git's hunk format, fences that survive backticks, long diffs collapsed in pull requests. */

const env = createTemplateEnv(undefined, templateSamples());

test('diffTexts writes hunks as git does (added, removed, no newline at end)', () => {
  assert.equal(diffTexts('k', undefined, 'x\ny\n').hunks.map((h) => h.header), ['@@ -0,0 +1,2 @@']);
  assert.equal(diffTexts('k', 'a\n', undefined).hunks.map((h) => h.header), ['@@ -1 +0,0 @@']);
  assert.equal(diffTexts('k', 'a', 'b').hunks[0].lines, ['-a', '\\ No newline at end of file', '+b', '\\ No newline at end of file']);
  const d = diffTexts('k', 'a\nb\nc\nd\ne\nf\ng\n', 'a\nb\nc\nD\ne\nf\ng\n', 1);
  assert.equal([d.hunks[0].header, d.added, d.removed], ['@@ -3,3 +3,3 @@', 1, 1]);
});

test('the fence is longer than any run of backticks in the diff', () => {
  const view = diffView(diffTexts('k', 'a\n', 'b ```` c\n'));
  assert.is(view?.fence, '`````');
});

test('pull request body: a short diff in a fenced block, a long one inside <details>', () => {
  const base = samplePullRequest();
  const short = env.render('pr-body', base);
  assert.ok(short.includes('````diff\n--- a/config/models.yaml'), short);
  assert.not.ok(short.includes('<details>'));
  const before = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const after = before.replace(/line (\d+)/g, 'LINE $1');
  const long = env.render('pr-body', { ...base, changes: [changeView(base.changes.length ? { source: 'files', key: 'prompts/long.txt', change: 'changed', severity: 'low', rule: 'default' } : (undefined as never), diffTexts('prompts/long.txt', before, after))] });
  assert.ok(long.includes('<details><summary>Diff: +50 −50 lines</summary>\n\n```diff\n--- a/prompts/long.txt'), long);
  assert.ok(long.includes('```\n\n</details>'), long);
});

test.run();
