import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { at } from '../helpers/alerts.js';
import { commitCount, expectCode, inRepo, oneJson } from '../helpers/e2e.js';
import { parseExposition, SAMPLE_LINE, type ParsedExposition } from '../helpers/prometheus.js';
import { cli, makeRepo, seedProject, type TempRepo } from '../helpers/repo.js';

/**
 * `check --metrics-file PATH`: after the run, the Prometheus text for node_exporter's textfile
 * collector, written atomically (PATH.tmp, then rename), computed from the ledger plus what only
 * the run knows (its wall time, targets whose source failed).
 */

const FILE = 'metrics/driftctl.prom';

async function checkWithMetrics(repo: TempRepo, code: number, time: string, extra: string[] = []): Promise<ParsedExposition> {
  expectCode(await cli(repo.dir, ['check', '--metrics-file', FILE, ...extra], { DRIFTCTL_NOW: time }), code, `check at ${time}`);
  return readMetrics(repo);
}

function readMetrics(repo: TempRepo): ParsedExposition {
  const text = readFileSync(path.join(repo.dir, FILE), 'utf8');
  for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) assert.match(line, SAMPLE_LINE, 'each non-comment line is `name{labels} value`');
  assert.equal(readdirSync(path.join(repo.dir, 'metrics')), ['driftctl.prom'], 'no temporary file left beside it');
  return parseExposition(text);
}

const statusOf = (m: ParsedExposition, target = 'default'): string[] =>
  ['clean', 'drift', 'error'].filter((status) => m.value('driftctl_last_check_status', { target, status }) === 1);

test(
  'check --metrics-file: clean, then drift with an open alert, then accepted and clean again',
  inRepo(seedProject, async (repo) => {
    mkdirSync(path.join(repo.dir, 'metrics'));
    expectCode(await cli(repo.dir, ['init'], { DRIFTCTL_NOW: at(0) }), 0, 'init');

    let m = await checkWithMetrics(repo, 0, at(1));
    assert.equal(statusOf(m), ['clean']);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'high' }), 0);
    assert.is(m.value('driftctl_drift_total', { target: 'default' }), 0);
    assert.is(m.value('driftctl_checks_total', { target: 'default' }), 1);
    assert.is(m.value('driftctl_accepts_total', { target: 'default' }), 1, 'the baseline recorded by init');
    assert.is(m.value('driftctl_last_check_timestamp_seconds', { target: 'default' }), Date.parse(at(1)) / 1000);
    assert.is(m.value('driftctl_ledger_commits_total', {}), commitCount(repo));
    const duration = m.value('driftctl_check_duration_seconds', { target: 'default' }) as number;
    assert.ok(duration > 0 && duration < 60, `wall time of the check: ${duration}`);
    assert.is(m.types.get('driftctl_drift_total'), 'counter');
    assert.is(m.types.get('driftctl_open_alerts'), 'gauge');

    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    repo.write('prompts/system.txt', 'You are a terse assistant.\n');
    m = await checkWithMetrics(repo, 2, at(2));
    assert.equal(statusOf(m), ['drift']);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'high' }), 1);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'medium' }), 1);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'low' }), 0);
    assert.is(m.value('driftctl_drift_total', { target: 'default' }), 1);
    assert.is(m.value('driftctl_open_alerts', { target: 'default', severity: 'high' }), 1, 'one alert (target, source, class) at its highest severity');
    assert.is(m.value('driftctl_ledger_commits_total', {}), commitCount(repo));

    expectCode(await cli(repo.dir, ['accept', '--all', '--reason', 'rollout'], { DRIFTCTL_NOW: at(3) }), 0, 'accept');
    m = await checkWithMetrics(repo, 0, at(4));
    assert.equal(statusOf(m), ['clean']);
    assert.is(m.value('driftctl_open_alerts', { target: 'default', severity: 'high' }), 0);
    assert.is(m.value('driftctl_accepts_total', { target: 'default' }), 2);
    assert.is(m.value('driftctl_drift_total', { target: 'default' }), 1, 'a counter: earlier drift still counted');
    assert.is(m.value('driftctl_checks_total', { target: 'default' }), 3);
    assert.is(m.value('driftctl_ledger_commits_total', {}), commitCount(repo));
  }),
);

const TWO_TARGETS = `version: 1
targets:
  - name: web
    sources: [ { kind: files, root: web, watch: ["**/*"] } ]
  - name: api
    sources: [ { kind: files, root: api, watch: ["**/*"] } ]
`;

test(
  'a target whose source fails is status error (exit 1), the others keep their verdict',
  inRepo(
    () => makeRepo({ 'driftctl.yml': TWO_TARGETS, 'web/index.html': '<p>hi</p>\n', 'api/main.py': 'print(1)\n' }),
    async (repo) => {
      mkdirSync(path.join(repo.dir, 'metrics'));
      expectCode(await cli(repo.dir, ['init'], { DRIFTCTL_NOW: at(0) }), 0, 'init');
      repo.remove('api');
      const m = await checkWithMetrics(repo, 1, at(1));
      assert.equal(statusOf(m, 'web'), ['clean']);
      assert.equal(statusOf(m, 'api'), ['error']);
      assert.is(m.value('driftctl_last_check_timestamp_seconds', { target: 'api' }), Date.parse(at(1)) / 1000);
      assert.ok((m.value('driftctl_check_duration_seconds', { target: 'api' }) as number) > 0);
      assert.is(m.value('driftctl_checks_total', { target: 'api' }), 0, 'a failed check leaves no report');
    },
  ),
);

test(
  'a check that fails as a whole (ledger not initialised) still writes status error for its targets',
  inRepo(seedProject, async (repo) => {
    mkdirSync(path.join(repo.dir, 'metrics'));
    const m = await checkWithMetrics(repo, 1, at(0));
    assert.equal(statusOf(m), ['error']);
    assert.is(m.value('driftctl_ledger_commits_total', {}), 0);
    assert.is(m.value('driftctl_checks_total', { target: 'default' }), 0);
  }),
);

test(
  'an unwritable metrics file is an error (exit 1) after the check is committed; --json stays one document',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const run = await cli(repo.dir, ['check', '--json', '--metrics-file', 'missing-dir/driftctl.prom']);
    expectCode(run, 1, 'check');
    assert.is(oneJson(run).status, 'clean', 'the check result is still printed');
    assert.match(run.stderr, /cannot write the metrics file .*missing-dir/);
    assert.not.ok(existsSync(path.join(repo.dir, 'missing-dir')));
  }),
);

test.run();
