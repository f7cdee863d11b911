import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeverityConfig } from '../../src/drift/severity-levels.js';
import { classifyDeltas } from '../../src/drift/report.js';
import { createClassifier } from '../../src/drift/severity.js';

const config: SeverityConfig = {
  default: 'low',
  rules: [
    { id: 'prompts-edited', match: ['prompts/**'], change: ['changed'], severity: 'medium' },
    { id: 'config/**', match: ['config/**'], severity: 'high' },
    { id: 'secrets', match: ['*.env'], source: 'files', severity: 'critical' },
    { id: 'prod-only', match: ['**/*'], target: 'prod', severity: 'info' },
  ],
};
const classify = createClassifier(config);

test('first matching rule wins; otherwise the default', () => {
  assert.equal(classify({ target: 't', source: 'files', key: 'config/models.yaml', change: 'changed' }), { severity: 'high', rule: 'config/**' });
  assert.equal(classify({ target: 't', source: 'files', key: 'src/main.py', change: 'changed' }), { severity: 'low', rule: 'default' });
});

test('change-kind, source and target conditions narrow a rule', () => {
  assert.is(classify({ target: 't', source: 'files', key: 'prompts/a.txt', change: 'changed' }).severity, 'medium');
  assert.is(classify({ target: 't', source: 'files', key: 'prompts/a.txt', change: 'added' }).severity, 'low');
  assert.is(classify({ target: 't', source: 'files', key: 'deploy/.env', change: 'added' }).severity, 'critical');
  assert.is(classify({ target: 't', source: 'other', key: 'deploy/.env', change: 'added' }).severity, 'low');
  assert.is(classify({ target: 'prod', source: 'other', key: 'src/x', change: 'added' }).severity, 'info');
});

test('a report sorts by severity then key, counts kinds and severities, and skips unreadable entries', () => {
  const file = (sha: string) => ({ type: 'file' as const, sha256: sha.repeat(64), size: 1, mode: '644' });
  const { changes, summary, status } = classifyDeltas(
    't',
    [
      { source: 'files', key: 'src/b.py', after: file('b') },
      { source: 'files', key: 'config/x.yaml', before: file('a'), after: file('c') },
      { source: 'files', key: 'src/a.py', before: file('d') },
      { source: 'files', key: 'prompts/p.txt', before: file('e'), after: file('f') },
      { source: 'files', key: 'src/locked.py', before: file('e'), after: { type: 'file', error: 'EACCES: permission denied' } },
    ],
    config,
  );
  assert.is(status, 'drift');
  assert.equal(
    changes.map((c) => [c.severity, c.change, c.key]),
    [
      ['high', 'changed', 'config/x.yaml'],
      ['medium', 'changed', 'prompts/p.txt'],
      ['low', 'removed', 'src/a.py'],
      ['low', 'added', 'src/b.py'],
    ],
  );
  assert.equal(summary, { added: 1, removed: 1, changed: 2, total: 4, highest: 'high', bySeverity: { critical: 0, high: 1, medium: 1, low: 2, info: 0 } });
});

test('no deltas is a clean report with highest "none"', () => {
  const { summary, status } = classifyDeltas('t', [], config);
  assert.is(status, 'clean');
  assert.is(summary.highest, 'none');
  assert.is(summary.total, 0);
});

test.run();
