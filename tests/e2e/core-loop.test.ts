import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject } from '../helpers/repo.js';

test('init, clean check, drift check with severities', async () => {
  const repo = seedProject();
  try {
    const init = await cli(repo.dir, ['init', '--json']);
    assert.is(init.code, 0, init.stderr);
    assert.is(init.json().targets[0].status, 'baselined');
    assert.is(init.json().targets[0].entries, 6);

    const clean = await cli(repo.dir, ['check', '--json']);
    assert.is(clean.code, 0, clean.stderr);
    assert.is(clean.json().reports[0].status, 'clean');

    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    const drift = await cli(repo.dir, ['check', '--json']);
    assert.is(drift.code, 2, drift.stderr);
    const report = drift.json().reports[0];
    assert.is(report.summary.total, 1);
    assert.is(report.changes[0].key, 'config/models.yaml');
    assert.is(report.changes[0].severity, 'high');
    assert.is(report.changes[0].rule, 'config/**');
  } finally {
    repo.cleanup();
  }
});

test.run();
