import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accept } from '../../src/ops/accept.js';
import { check } from '../../src/ops/check.js';
import { diff } from '../../src/ops/diff.js';
import { init } from '../../src/ops/init.js';
import { listAlerts } from '../../src/ops/list-alerts.js';
import { log } from '../../src/ops/log.js';
import { checkWithMetrics } from '../../src/ops/metrics.js';
import { status } from '../../src/ops/status.js';
import type { OpDeps } from '../../src/session/deps.js';
import { seedProject, SEED_CONFIG, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { driftFailure } from '../helpers/temp.js';

/**
 * The ops layer called directly, as a library: each op takes its dependencies (cwd, env, clock)
 * and returns data; nothing is printed and nothing exits. Temporary git repositories, fixed clock.
 */
function depsFor(repo: TempRepo, clock = { now: new Date('2026-01-02T03:04:05Z') }): OpDeps & { console: string[] } {
  const console: string[] = [];
  return { cwd: repo.dir, env: { ...TEST_ENV }, now: () => clock.now, lockTimeoutMs: 2000, writeConsole: (text) => console.push(text), console };
}

const WITH_CONSOLE_ALERTS = `${SEED_CONFIG}alerts:
  channels:
    - kind: console
`;

async function initialised(config = SEED_CONFIG): Promise<{ repo: TempRepo; deps: ReturnType<typeof depsFor>; clock: { now: Date } }> {
  const repo = seedProject(config);
  const clock = { now: new Date('2026-01-02T03:04:05Z') };
  const deps = depsFor(repo, clock);
  const result = await init(deps, {});
  assert.equal(result.targets.map((t) => t.status), ['baselined']);
  return { repo, deps, clock };
}

test('init, then check: clean; a changed and an added file: drift with their severities, and the ledger head follows', async () => {
  const { repo, deps } = await initialised();
  try {
    const clean = await check(deps, {});
    assert.is(clean.status, 'clean');
    assert.equal(clean.reports.map((r) => [r.target, r.status, r.summary.total]), [['default', 'clean', 0]]);

    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    repo.write('prompts/new.txt', 'new prompt\n');
    const drift = await check(deps, {});
    assert.is(drift.status, 'drift');
    const changes = drift.reports[0].changes.map((c) => [c.key, c.change, c.severity]);
    assert.equal(changes, [
      ['config/models.yaml', 'changed', 'high'],
      ['prompts/new.txt', 'added', 'medium'],
    ]);
    assert.is(drift.reports[0].summary.highest, 'high');

    const state = await status(deps, {});
    assert.is(state.ledger.tip, drift.tip);
    assert.equal(state.targets.map((t) => [t.name, t.lastVerdict?.status, t.lastVerdict?.total]), [['default', 'drift', 2]]);
  } finally {
    repo.cleanup();
  }
});

test('accept: keys become the baseline, the rest stays drift; a key without drift and a missing reason are errors with codes', async () => {
  const { repo, deps } = await initialised();
  try {
    repo.write('config/models.yaml', 'models: {}\n');
    repo.write('src/main.py', 'print("bye")\n');
    await check(deps, {});

    assert.is((await driftFailure(accept(deps, { keys: ['config/models.yaml'], all: false, reason: '' }))).code, 'REASON_REQUIRED');
    assert.is((await driftFailure(accept(deps, { keys: ['config/evals.json'], all: false, reason: 'no' }))).code, 'KEY_NOT_DRIFTED');

    const accepted = await accept(deps, { keys: ['config/*.yaml'], all: false, reason: 'new model' });
    assert.is(accepted.status, 'accepted');
    assert.equal(accepted.accepted.map((c) => c.key), ['config/models.yaml']);
    assert.is(accepted.remaining, 1);
    assert.equal(accepted.record?.by, { name: 'Test Author', email: 'author@example.test' });

    const points = await diff(deps, {});
    assert.equal(points.changes.map((c) => c.key), ['src/main.py']);

    const all = await accept(deps, { keys: [], all: true, reason: 'the rest' });
    assert.is(all.status, 'accepted');
    assert.is((await check(deps, {})).status, 'clean');
    const again = await accept(deps, { keys: [], all: true, reason: 'nothing left' });
    assert.is(again.status, 'nothing-to-accept');
    assert.is.not(again.tip, all.tip, 'the clean check committed after the accept');
    assert.equal(again.accepted, []);
  } finally {
    repo.cleanup();
  }
});

test('check notifies through the console channel: no alert on the first check, opened on the next drift, resolved by accept', async () => {
  const { repo, deps, clock } = await initialised(WITH_CONSOLE_ALERTS);
  try {
    repo.write('prompts/system.txt', 'You are terse.\n');
    const first = await check(deps, {});
    assert.equal(first.alerts.map((a) => a.opened), [0]);
    assert.equal(deps.console, []);

    clock.now = new Date('2026-01-02T04:00:00Z');
    repo.write('config/evals.json', '{"threshold": 0.9}\n');
    const second = await check(deps, {});
    assert.equal(second.alerts.map((a) => [a.opened, a.open]), [[1, 1]]);
    assert.equal(second.deliveries.map((d) => [d.channel, d.status]), [['console', 'delivered']]);
    assert.is(deps.console.length, 1);
    assert.match(deps.console[0], 'config/evals.json');

    const listed = await listAlerts(deps, {});
    assert.equal(listed.open.map((a) => [a.target, a.severity, a.changes]), [['default', 'high', 2]]);
    assert.equal(listed.recent.map((e) => e.event), ['opened']);

    clock.now = new Date('2026-01-02T05:00:00Z');
    const accepted = await accept(deps, { keys: [], all: true, reason: 'reviewed' });
    assert.is(accepted.resolvedAlerts, 1);
    assert.equal(accepted.deliveries.map((d) => d.status), ['delivered']);
    assert.equal((await listAlerts(deps, {})).open, []);
  } finally {
    repo.cleanup();
  }
});

test('log returns the ledger history newest first, filtered by kind', async () => {
  const { repo, deps } = await initialised();
  try {
    repo.write('src/utils.py', 'def helper():\n    return 2\n');
    await check(deps, {});
    const reports = await log(deps, { kind: 'report' });
    assert.equal(reports.entries.map((e) => [e.kind, e.target, e.status]), [['report', 'default', 'drift']]);
    const everything = await log(deps, {});
    assert.equal(everything.entries.map((e) => e.kind).slice(0, 2), ['report', 'snapshot']);
    assert.ok(everything.entries.some((e) => e.kind === 'accept'));
  } finally {
    repo.cleanup();
  }
});

test('checkWithMetrics writes the metrics file after a check, and still after a check that fails', async () => {
  const repo = seedProject();
  const deps = depsFor(repo);
  try {
    const failed = await driftFailure(checkWithMetrics(deps, { metricsFile: 'before.prom' }));
    assert.is(failed.code, 'NOT_INITIALIZED');
    assert.ok(existsSync(path.join(repo.dir, 'before.prom')), 'metrics written although the check failed');
    assert.match(readFileSync(path.join(repo.dir, 'before.prom'), 'utf8'), /driftctl_ledger_commits_total 0/);

    await init(deps, {});
    repo.write('src/main.py', 'print("changed")\n');
    const { result, metricsError } = await checkWithMetrics(deps, { metricsFile: 'after.prom' });
    assert.is(result.status, 'drift');
    assert.is(metricsError, null);
    assert.match(readFileSync(path.join(repo.dir, 'after.prom'), 'utf8'), /target="default"/);
  } finally {
    repo.cleanup();
  }
});

test.run();
