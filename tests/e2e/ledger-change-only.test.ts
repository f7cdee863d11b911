import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, at, run, runJson } from '../helpers/alerts.js';
import { TEST_ENV } from '../helpers/repo.js';
import { assertFsckClean, assertLedgerConsistent, commitCount, inRepo, ledgerLog, ledgerPaths, showJson } from '../helpers/e2e.js';

/**
 * Record change, not repetition (issue 10): a check is one commit holding its snapshot, report,
 * alert events and outbox changes; a check that finds the same observation and verdict writes
 * nothing, except at most one heartbeat per target per `ledger.heartbeat`; records sit in hour
 * partitions; `verify --max-gap` and `log` show the gaps between checks.
 */

const FILE_CHANNEL = 'channels:\n  - kind: file\n    path: .drift/alerts.jsonl';

function project(heartbeat = ''): ReturnType<typeof alertProject> {
  const config = alertConfig(FILE_CHANNEL).replace('ledger:\n  branch: drift-ledger\n', `ledger:\n  branch: drift-ledger\n${heartbeat ? `  heartbeat: ${heartbeat}\n` : ''}`);
  return alertProject(config);
}

test(
  'a check is one commit (snapshot, report, alert events together) in hour partitions; an unchanged check writes nothing; heartbeats carry the count',
  inRepo(project(), async (repo) => {
    await run(repo, ['init'], 0, {}, at(0));
    await run(repo, ['check'], 0, {}, at(0.1));
    repo.write('prompts/system.txt', 'You are a pirate.\n');
    // First check with drift after the first check: report + alert opened, one commit.
    let before = commitCount(repo);
    const drift = await runJson(repo, ['check'], 2, {}, at(1.25));
    assert.is(commitCount(repo) - before, 1, 'one commit for the whole check');
    const [commit] = ledgerLog(repo);
    assert.is(commit.trailers['Drift-Kind'], 'report', 'the report names the commit');
    assert.is(commit.trailers['Drift-Status'], 'drift');
    const kinds = repo.git('log', '-1', '--format=%(trailers:key=Drift-Kind,valueonly)', 'drift-ledger').split('\n').filter(Boolean);
    assert.equal(kinds.sort(), ['alert', 'report', 'snapshot'], 'snapshot, report and alert operations share the commit');
    const report = drift.reports[0];
    assert.ok(ledgerPaths(repo).includes(`targets/default/records/2026/03/01/07/${report.id}.report.json`), 'records are partitioned by hour');
    assert.is(drift.unchanged.length, 0);
    const shown = await runJson(repo, ['show', commit.oid], 0, {}, at(1.25));
    assert.equal(shown.records.map((r: any) => r.kind), ['snapshot', 'report', 'alert'], 'show lists every operation of the check commit');

    // The same drift again, minutes later: nothing new to record, still exit 2, nothing written.
    before = commitCount(repo);
    const tip = ledgerLog(repo)[0].oid;
    for (const minutes of [5, 10, 15]) {
      const again = await runJson(repo, ['check'], 2, {}, at(1.25 + minutes / 60));
      assert.equal(again.unchanged, ['default']);
      assert.is(again.reports[0].id, report.id, 'the verdict is the recorded report');
      assert.equal(again.heartbeats, []);
    }
    assert.is(commitCount(repo), before, 'unchanged checks write no commit');
    const human = await run(repo, ['check'], 2, {}, at(1.25 + 20 / 60));
    assert.match(human.stdout, new RegExp(`unchanged since ${at(1.25).replace(/\./g, '\\.')}: nothing new recorded\n`));
    assert.is(commitCount(repo), before);
    assert.is(ledgerLog(repo)[0].oid, tip);

    // An hour after the last record: one heartbeat, counting the checks since it.
    const beat = await runJson(repo, ['check'], 2, {}, at(2.3));
    assert.equal(beat.heartbeats, ['default']);
    assert.is(commitCount(repo), before + 1);
    const heartbeat = showJson(repo, 'targets/default/heartbeat.json');
    assert.equal([heartbeat.kind, heartbeat.checks, heartbeat.since, heartbeat.last.report], ['heartbeat', 5, at(1.25), report.id]);
    assert.is(heartbeat.last.tree, showJson(repo, 'targets/default/head.json').snapshot.tree);
    assert.is(ledgerLog(repo)[0].trailers['Drift-Kind'], 'heartbeat');
    assert.is(ledgerLog(repo)[0].trailers['Drift-Checks'], '5');
    // Plain git still answers "which checks found drift" with the grouped commits.
    assert.is(repo.git('log', 'drift-ledger', '--grep', 'Drift-Status: drift', '--format=%H').trim(), commit.oid);

    assertFsckClean(repo, 'after heartbeats');
    assertLedgerConsistent(repo, 'after heartbeats');
    const verified = await runJson(repo, ['verify'], 0, {}, at(2.4));
    assert.is(verified.status, 'PASS', JSON.stringify(verified.checks));
    const gaps = verified.checks.find((c: any) => c.id === 'gaps');
    assert.is(gaps.status, 'SKIP');
  }),
);

test(
  'verify --max-gap fails on a target left unchecked longer than allowed; log lists heartbeats and gaps',
  inRepo(project('30m'), async (repo) => {
    await run(repo, ['init'], 0, {}, at(0));
    await run(repo, ['check'], 0, {}, at(0.1));
    await run(repo, ['check'], 0, {}, at(0.7)); // heartbeat (30m interval)
    await run(repo, ['check'], 0, {}, at(0.8)); // nothing
    await run(repo, ['check'], 0, {}, at(4)); // heartbeat after a 3h20m silence
    const passing = await runJson(repo, ['verify', '--max-gap', '4h'], 0, {}, at(4.1));
    assert.is(passing.checks.find((c: any) => c.id === 'gaps').status, 'PASS');
    const failing = await runJson(repo, ['verify', '--max-gap', '2h'], 1, {}, at(4.1));
    const gaps = failing.checks.find((c: any) => c.id === 'gaps');
    assert.is(gaps.status, 'FAIL');
    assert.equal(gaps.problems, [`target "default" was not checked for 3h18m, from ${at(0.7)} to ${at(4)} (--max-gap 2h)`]);
    // Until now counts too: the target has not been checked since 4h.
    const stale = await runJson(repo, ['verify', '--max-gap', '2h'], 1, {}, at(7));
    assert.is(stale.checks.find((c: any) => c.id === 'gaps').problems.length, 2);
    const bad = await runJson(repo, ['verify', '--max-gap', 'soon'], 1, {}, at(4.1));
    assert.is(bad.error.code, 'BAD_OPTION');

    const log = await runJson(repo, ['log'], 0, {}, at(4.1));
    assert.equal(log.entries.map((e: any) => e.kind).slice(0, 4), ['heartbeat', 'heartbeat', 'report', 'snapshot']);
    assert.is(log.entries[0].status, '2 unchanged', 'the heartbeat counts the checks it stands for');
    assert.equal(log.gaps.map((g: any) => [g.target, g.from, g.to]), [['default', at(0.7), at(4)]]);
    const human = await run(repo, ['log'], 0, {}, at(4.1));
    assert.match(human.stdout, /gap: target default unchecked for 3h18m/);
  }),
);


test(
  'verify continues from the last verified point (only new commits), --full checks everything; a tampered new commit is still caught',
  inRepo(project(), async (repo) => {
    await run(repo, ['init'], 0, {}, at(0));
    await run(repo, ['check'], 0, {}, at(0.1));
    const first = await runJson(repo, ['verify'], 0, {}, at(0.2));
    assert.equal([first.status, first.mode], ['PASS', 'full']);
    const total = first.commits;
    repo.write('prompts/system.txt', 'You are a pirate.\n');
    await run(repo, ['check'], 2, {}, at(1));
    const next = await runJson(repo, ['verify'], 0, {}, at(1.1));
    assert.equal([next.status, next.mode, next.commits], ['PASS', 'incremental', 1], JSON.stringify(next.checks));
    assert.match(next.checks.find((c: any) => c.id === 'reproducible').summary, /^1 reports recomputed/);
    const same = await runJson(repo, ['verify'], 0, {}, at(1.1));
    assert.equal([same.mode, same.commits], ['incremental', 0]);
    const full = await runJson(repo, ['verify', '--full'], 0, {}, at(1.1));
    assert.equal([full.mode, full.commits], ['full', total + 1]);

    // A commit that rewrites an existing report on top of the verified tip.
    const reportPath = ledgerPaths(repo).find((p) => p.endsWith('.report.json') && showJson(repo, p).status === 'drift') as string;
    const tampered = repo.git('show', `drift-ledger:${reportPath}`).replace('"drift"', '"clean"');
    const commit = tamperCommit(repo, reportPath, tampered);
    repo.git('update-ref', 'refs/heads/drift-ledger', commit);
    const caught = await runJson(repo, ['verify'], 1, {}, at(1.2));
    assert.equal([caught.status, caught.mode, caught.commits], ['FAIL', 'incremental', 1]);
    assert.is(caught.checks.find((c: any) => c.id === 'append-only').status, 'FAIL');
    assert.is(caught.checks.find((c: any) => c.id === 'continuity').status, 'FAIL');
  }),
);

/** A commit on top of the ledger that sets `filepath` to `content` (through a temporary index). */
function tamperCommit(repo: Parameters<Parameters<typeof inRepo>[1]>[0], filepath: string, content: string): string {
  const env = { ...TEST_ENV, GIT_INDEX_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'driftctl-idx-')), 'index') };
  const git = (args: string[], input?: string): string => execFileSync('git', args, { cwd: repo.dir, env, encoding: 'utf8', ...(input !== undefined ? { input } : {}) }).trim();
  git(['read-tree', 'drift-ledger']);
  const blob = git(['hash-object', '-w', '--stdin'], content);
  git(['update-index', '--add', '--cacheinfo', `100644,${blob},${filepath}`]);
  return git(['commit-tree', git(['write-tree']), '-p', 'drift-ledger', '-m', 'tidy up']);
}

test.run();
