import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES } from '../src/errors.js';
import { REPO_ROOT } from './helpers/repo.js';

/** The codes in README.md's "Error codes" table, in order. */
function readmeCodes(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Error codes'), readme.indexOf('\n## ', readme.indexOf('\n## Error codes') + 1));
  return [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
}

test('README documents every code of the catalogue, and no other', () => {
  const documented = readmeCodes();
  assert.ok(documented.length > 0, 'README has an "Error codes" table');
  assert.equal([...documented].sort(), Object.keys(ERROR_CODES).sort());
});

test('every code has a one-line meaning', () => {
  for (const [code, meaning] of Object.entries(ERROR_CODES)) {
    assert.ok(meaning.length > 0 && !meaning.includes('\n'), code);
    assert.match(code, /^[A-Z][A-Z_]*[A-Z]$/);
  }
});

test.run();
