import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config/load-config.js';
import type { FilesSourceConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-config-'));
const file = path.join(dir, 'driftctl.yml');

function issuesOf(text: string): { file: string; path: string; message: string }[] {
  try {
    parseConfig(text, file);
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.is((error as ConfigError).code, 'CONFIG_INVALID');
    return (error as ConfigError).issues;
  }
  assert.unreachable('config was accepted');
  return [];
}

test('defaults: ledger branch, default target, severity default, source name and root', () => {
  const config = parseConfig('version: 1\nsources:\n  - kind: files\n    watch: ["**/*"]\n', file);
  assert.is(config.ledger.branch, 'drift-ledger');
  assert.is(config.targets.length, 1);
  assert.is(config.targets[0].name, 'default');
  assert.is(config.targets[0].sources[0].name, 'files');
  assert.is((config.targets[0].sources[0] as FilesSourceConfig).root, dir);
  assert.is(config.severity.default, 'low');
});

test('every schema problem is reported at once with its field path and line', () => {
  const issues = issuesOf(`version: 1
sources:
  - kind: files
    watch: ["**/*"]
    wach: ["x"]
severity:
  default: hgh
  rules:
    - match: "config/**"
      severity: urgent
`);
  const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
  assert.match(byPath['sources[0].wach'].message, /not a known field/);
  assert.match(byPath['sources[0].wach'].file, /driftctl\.yml:5$/);
  assert.match(byPath['severity.default'].message, /must be one of critical, high, medium, low, info \(got "hgh"\)/);
  assert.match(byPath['severity.rules[0].severity'].message, /got "urgent"/);
});

test('an unknown source kind lists the known kinds', () => {
  const [issue] = issuesOf('version: 1\nsources:\n  - kind: ftp\n    watch: ["x"]\n');
  assert.is(issue.path, 'sources[0].kind');
  assert.match(issue.message, /must be one of files/);
});

test('missing fields and YAML syntax errors are named', () => {
  const [missing] = issuesOf('version: 1\nsources:\n  - kind: files\n');
  assert.is(missing.path, 'sources[0].watch');
  assert.match(missing.message, /required/);
  const [syntax] = issuesOf('version: 1\nsources: [\n');
  assert.match(syntax.message, /YAML syntax/);
  assert.match(syntax.file, /:\d+$/);
});

test('semantic checks: duplicate names; a missing root is left to the source at check time', () => {
  const issues = issuesOf(`version: 1
targets:
  - name: a
    sources:
      - { kind: files, watch: ["x"] }
      - { kind: files, watch: ["y"], root: ./nope }
  - name: a
    sources:
      - { kind: files, watch: ["x"] }
`);
  const messages = issues.map((i) => `${i.path}: ${i.message}`);
  assert.ok(messages.some((m) => /targets\[0\]\.sources\[1\]\.name: duplicate source name "files"/.test(m)), messages.join('\n'));
  assert.not.ok(messages.some((m) => /root/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /targets\[1\]\.name: duplicate target name "a"/.test(m)), messages.join('\n'));
});

test('.driftignore beside the config is read', () => {
  writeFileSync(path.join(dir, '.driftignore'), '# comment\n\n*.tmp\n!keep.tmp\n');
  const config = parseConfig('version: 1\nsources:\n  - kind: files\n    watch: ["**/*"]\n', file);
  assert.equal((config.targets[0].sources[0] as FilesSourceConfig).driftignore, ['*.tmp', '!keep.tmp']);
  rmSync(path.join(dir, '.driftignore'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
