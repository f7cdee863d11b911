import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGlob, createKeyMatcher, normalizeGlob } from '../../src/match/glob.js';

test('a pattern without a slash matches at any depth', () => {
  assert.is(normalizeGlob('*.md'), '**/*.md');
  const m = createKeyMatcher(['*.md']);
  assert.ok(m('README.md'));
  assert.ok(m('docs/guide/intro.md'));
  assert.not.ok(m('docs/guide/intro.txt'));
});

test('a pattern with a slash is anchored at the root', () => {
  const m = createKeyMatcher(['config/**']);
  assert.ok(m('config/models.yaml'));
  assert.ok(m('config/a/b/c.json'));
  assert.not.ok(m('app/config/models.yaml'));
  assert.not.ok(createKeyMatcher(['/top.txt'])('sub/top.txt'));
});

test('**/config/** matches a top-level config directory (the seed bug)', () => {
  const m = createKeyMatcher(['**/config/**']);
  assert.ok(m('config/models.yaml'));
  assert.ok(m('services/api/config/models.yaml'));
});

test('* does not cross a slash; ** does', () => {
  assert.not.ok(createKeyMatcher(['src/*.py'])('src/pkg/mod.py'));
  assert.ok(createKeyMatcher(['src/**/*.py'])('src/pkg/mod.py'));
  assert.ok(createKeyMatcher(['src/**/*.py'])('src/main.py'));
});

test('a trailing slash means everything below that directory, at any depth', () => {
  assert.is(normalizeGlob('node_modules/'), '**/node_modules/**');
  assert.ok(createKeyMatcher(['node_modules/'])('web/node_modules/x/index.js'));
});

test('dotfiles match like any other file', () => {
  assert.ok(createKeyMatcher(['**/*'])('.env'));
});

test('invalid globs are reported', () => {
  assert.is(checkGlob('  '), 'must not be empty');
  assert.is(checkGlob('src/**'), undefined);
});

test.run();
