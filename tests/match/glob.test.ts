import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkGlob, createKeyMatcher, normalizeGlob } from '../../src/match/glob.js';
import type { FilesSourceConfig } from '../../src/config/config.js';
import { listFiles, listGroups } from '../../src/sources/files-source.js';

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

test('every character of a key counts: newline, carriage return, tab, backslash, U+FFFD and other controls match like letters', () => {
  const odd = ['a\nb', 'a\rb', 'a\tb', 'a\\b', 'a\uFFFDb', 'a\u0001b', 'a\u2028b'];
  for (const name of odd) {
    for (const [pattern, key] of [
      ['config/**', `config/${name}.yaml`],
      ['config/**', `config/${name}/deep/x.yaml`],
      ['**/config/**', `x/${name}/config/y.yaml`],
      ['config/*.yaml', `config/${name}.yaml`],
      ['config/a?b.yaml', `config/${name}.yaml`],
      ['**/*', `${name}`],
      ['*.yaml', `deep/${name}.yaml`],
    ]) {
      assert.ok(createKeyMatcher([pattern])(key), `${pattern} matches ${JSON.stringify(key)}`);
    }
    assert.not.ok(createKeyMatcher(['config/*.yaml'])(`config/${name}/x.yaml`), `* does not cross / (${JSON.stringify(name)})`);
  }
  assert.not.ok(createKeyMatcher(['config/a?b.yaml'])('config/a/b.yaml'), '? is not /');
  assert.ok(createKeyMatcher(['config/back\\\\slash.yaml'])('config/back\\slash.yaml'), 'an escaped backslash in a glob is a literal backslash');
  assert.not.ok(createKeyMatcher(['config/back\\\\slash.yaml'])('config/back/slash.yaml'), 'a backslash in a key is not a separator');
});

test('the files source lists names with newlines, tabs and backslashes (also in directory names) with the same matchers, never follows symlinks, never lists .git', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'driftctl-walk-'));
  try {
    const files = ['config/a\nb.yaml', 'config/t\tab.yaml', 'config/back\\slash.yaml', 'config/d\nir/x.yaml', 'x\ny/config/g.yaml', 'docs/readme.txt', '.git/config'];
    for (const f of files) {
      mkdirSync(path.join(root, path.dirname(f)), { recursive: true });
      writeFileSync(path.join(root, f), 'x');
    }
    symlinkSync(path.join(root, 'config'), path.join(root, 'linked'));
    // Invalid UTF-8 (0x80 0xFF): listed under its escaped key (see sources/file-names.ts), which the globs match like any other.
    writeFileSync(Buffer.concat([Buffer.from(`${root}/docs/`), Buffer.from([0x80, 0xff]), Buffer.from('z.txt')]), 'x');
    const config = (watch: string[], extra: Partial<FilesSourceConfig> = {}): FilesSourceConfig => ({ name: 'files', kind: 'files', root, watch, ignore: [], driftignore: [], structured: [], groups: [], ignoreFields: [], ...extra });
    assert.equal(await listFiles(config(['docs/??z.txt'])), ['docs/\udc80\udcffz.txt']);
    assert.equal(await listFiles(config(['config/**'])), ['config/a\nb.yaml', 'config/back\\slash.yaml', 'config/d\nir/x.yaml', 'config/t\tab.yaml']);
    assert.equal(await listFiles(config(['**/config/**'])), ['config/a\nb.yaml', 'config/back\\slash.yaml', 'config/d\nir/x.yaml', 'config/t\tab.yaml', 'x\ny/config/g.yaml']);
    assert.equal(await listFiles(config(['**/*'], { ignore: ['config/d?ir/'] })), ['config/a\nb.yaml', 'config/back\\slash.yaml', 'config/t\tab.yaml', 'docs/readme.txt', 'docs/\udc80\udcffz.txt', 'linked', 'x\ny/config/g.yaml']);
    assert.equal(listGroups(config([], { groups: ['config/*'] })).map((g) => g.dir), ['config/d\nir']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
