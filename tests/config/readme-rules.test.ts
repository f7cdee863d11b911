import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config/load-config.js';
import { createClassifier } from '../../src/drift/severity.js';
import { ConfigError } from '../../src/errors.js';

// Every severity rule example in README.md is loaded through the real loader (schema and checks).

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const BASE = 'version: 1\nsources:\n  - kind: files\n    watch: ["**/*"]\n';
const FILE = path.join(REPO_ROOT, 'driftctl.yml');

/** The `severity:` sections (from a column-0 `severity:` to the next column-0 key) of README's YAML blocks. */
function severitySections(): string[] {
  const blocks = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  const out: string[] = [];
  for (const block of blocks) {
    const lines = block.split('\n');
    const start = lines.findIndex((line) => /^severity:/.test(line));
    if (start < 0) continue;
    let end = start + 1;
    while (end < lines.length && (lines[end] === '' || /^\s/.test(lines[end]))) end++;
    out.push(lines.slice(start, end).join('\n'));
  }
  return out;
}

test('every README rule example loads, including type-only rules', () => {
  const sections = severitySections();
  assert.ok(sections.length >= 4, `found ${sections.length} severity examples`);
  let rules = 0;
  for (const section of sections) {
    const config = parseConfig(`${BASE}${section}\n`, FILE);
    const listed = (section.match(/^ {4}- /gm) ?? []).length;
    assert.is(config.severity.rules.length, listed, section);
    rules += listed;
  }
  assert.ok(rules >= 9, `${rules} rules`);
});

test('a type-only rule matches every resource of the type, by kind and by Terraform type', () => {
  const config = parseConfig(`${BASE}severity:\n  rules:\n    - type: aws_security_group\n      severity: critical\n    - type: [aws_iam_*]\n      severity: high\n`, FILE);
  assert.equal(config.severity.rules.map((r) => [r.id, r.match]), [
    ['type aws_security_group', ['**']],
    ['type aws_iam_*', ['**']],
  ]);
  const classify = createClassifier(config.severity);
  const at = (key: string, type?: string) => classify({ target: 'default', source: 'infra', key, change: 'changed', fields: [''], ...(type ? { type } : {}) }).severity;
  assert.is(at('module.net.aws_security_group.db', 'aws_security_group'), 'critical');
  assert.is(at('aws_iam_role.ci', 'aws_iam_role'), 'high');
  assert.is(at('aws_instance.web', 'aws_instance'), config.severity.default);
});

test('a rule with neither match nor type is a config error naming the rule', () => {
  let error: unknown;
  try {
    parseConfig(`${BASE}severity:\n  rules:\n    - severity: high\n`, FILE);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  assert.match((error as Error).message, /severity\.rules\[0\]|severity\/rules\/0|rules.0/);
  assert.match((error as Error).message, /needs match .* or type/);
});

test.run();
