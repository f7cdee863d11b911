import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject, spawnCli, type TempRepo } from '../helpers/repo.js';
import { assertFsckClean, assertLedgerConsistent, expectCode, inRepo, ledgerLog, ledgerTip, oneJson, recordPathOf } from '../helpers/e2e.js';

/** Several driftctl processes on one ledger: the lock serialises them; stale locks are taken over. */

function lockFile(repo: TempRepo): string {
  return path.join(repo.dir, '.git', 'driftctl', 'lock');
}

function writeLock(repo: TempRepo, pid: number, host = hostname()): void {
  mkdirSync(path.dirname(lockFile(repo)), { recursive: true });
  writeFileSync(lockFile(repo), JSON.stringify({ pid, host, command: 'check', since: new Date().toISOString() }));
}

async function initialised(files = 0): Promise<TempRepo> {
  const repo = seedProject();
  try {
    for (let i = 0; i < files; i++) repo.write(`src/pkg${i % 10}/mod${i}.py`, `x = ${i}\n`);
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
  } catch (error) {
    repo.cleanup();
    throw error;
  }
  return repo;
}

/** Enough files that a check takes a while, so that concurrent runs overlap. */
const biggerProject = (): Promise<TempRepo> => initialised(300);

/** A live process to own a lock: `sleep`, killed when the test ends. */
function sleeper(): ChildProcess {
  return spawn('sleep', ['60'], { stdio: 'ignore' });
}

function assertLinear(repo: TempRepo): void {
  const log = ledgerLog(repo);
  log.forEach((commit, i) => {
    if (i === log.length - 1) assert.equal(commit.parents, [], 'the first ledger commit has no parent');
    else assert.equal(commit.parents, [log[i + 1].oid], `commit ${commit.oid} has exactly the previous commit as parent`);
  });
  assert.is(repoMerges(repo), '', 'no merge commits');
}

function repoMerges(repo: TempRepo): string {
  return repo.git('rev-list', '--merges', 'drift-ledger').trim();
}

test(
  'two checks started at once: both succeed, the ledger has both reports in a linear history',
  inRepo(biggerProject, async (repo) => {
    repo.write('config/models.yaml', 'models: {}\n');
    const [a, b] = await Promise.all([spawnCli(repo.dir, ['check', '--json']), spawnCli(repo.dir, ['check', '--json'])]);
    expectCode(a, 2, 'first check');
    expectCode(b, 2, 'second check');
    // The lock orders them: the second finds the same observation and verdict, and records nothing new.
    const ids = [oneJson(a).reports[0].id, oneJson(b).reports[0].id];
    assert.is(ids[0], ids[1], 'both name the one recorded report');
    assert.equal([...oneJson(a).unchanged, ...oneJson(b).unchanged], ['default'], 'exactly one of them found nothing new');
    assert.is(JSON.parse(repo.git('show', `drift-ledger:${recordPathOf(repo, ids[0], 'report')}`)).status, 'drift');
    const reports = ledgerLog(repo).filter((c) => c.trailers['Drift-Kind'] === 'report');
    assert.equal(reports.map((c) => c.trailers['Drift-Record']), [ids[0]]);
    assertLinear(repo);
    // One of them ran on top of the other: their tips are both on the branch, and one is the tip.
    const tips = [oneJson(a).tip, oneJson(b).tip];
    assert.ok(tips.includes(ledgerTip(repo) as string));
    assert.ok(!existsSync(lockFile(repo)), 'the lock is released');
    assertFsckClean(repo, 'after concurrent checks');
    assertLedgerConsistent(repo, 'after concurrent checks');
  }),
);

test(
  'three writers at once (check, snapshot, accept): all succeed, nothing is lost, history stays linear',
  inRepo(biggerProject, async (repo) => {
    repo.write('prompts/system.txt', 'changed\n');
    expectCode(await cli(repo.dir, ['check']), 2, 'check');
    const runs = await Promise.all([
      spawnCli(repo.dir, ['check', '--json']),
      spawnCli(repo.dir, ['snapshot', '--json']),
      spawnCli(repo.dir, ['accept', 'prompts/system.txt', '--reason', 'concurrent accept', '--json']),
    ]);
    for (const run of runs) assert.ok([0, 2].includes(run.code), `exit ${run.code}: ${run.stderr}`);
    assert.is(oneJson(runs[2]).status, 'accepted');
    const kinds = ledgerLog(repo).flatMap((c) => c.kinds);
    // The concurrent check records a report only when it ran after the accept (a new verdict);
    // before it, it found what the first check recorded and wrote nothing.
    const reports = kinds.filter((k) => k === 'report').length;
    assert.ok(reports === 1 || reports === 2, kinds.join(' '));
    assert.equal(oneJson(runs[0]).unchanged, reports === 1 ? ['default'] : [], kinds.join(' '));
    assert.is(kinds.filter((k) => k === 'snapshot').length, reports + 2, kinds.join(' '));
    assert.is(kinds.filter((k) => k === 'accept').length, 2, kinds.join(' '));
    assertLinear(repo);
    assertFsckClean(repo, 'after three writers');
    assertLedgerConsistent(repo, 'after three writers');
  }),
);

test(
  'a lock held by a live process: --lock-timeout 0 fails at once with LEDGER_LOCKED, a timeout waits, nothing is written',
  inRepo(initialised, async (repo) => {
    const holder = sleeper();
    try {
      writeLock(repo, holder.pid as number);
      const tip = ledgerTip(repo);
      let run = await cli(repo.dir, ['check', '--lock-timeout', '0', '--json']);
      expectCode(run, 1, 'check while locked');
      const { error } = oneJson(run);
      assert.is(error.code, 'LEDGER_LOCKED');
      assert.is(error.data.holder.pid, holder.pid);
      assert.match(error.message, new RegExp(`locked by driftctl check \\(pid ${holder.pid} on `));
      assert.match(error.message, /raise --lock-timeout/);

      const started = Date.now();
      run = await cli(repo.dir, ['accept', '--all', '--reason', 'x', '--lock-timeout', '1']);
      expectCode(run, 1, 'accept while locked');
      assert.match(run.stderr, /driftctl: error: the ledger in .* is locked by driftctl check/);
      assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms for a 1 s timeout`);

      const other = await cli(repo.dir, ['snapshot', '--lock-timeout', '0', '--json']);
      assert.is(oneJson(other).error.code, 'LEDGER_LOCKED');
      assert.is(ledgerTip(repo), tip, 'nothing was written');
      assert.is(JSON.parse(readFileSync(lockFile(repo), 'utf8')).pid, holder.pid, 'the holder keeps its lock');
      // Readers do not need the lock.
      expectCode(await cli(repo.dir, ['diff']), 0, 'diff while locked');
      expectCode(await cli(repo.dir, ['status']), 0, 'status while locked');
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((resolve) => holder.once('exit', resolve));
    // Now its owner is dead: the next writer takes the lock over.
    expectCode(await cli(repo.dir, ['check', '--lock-timeout', '0']), 0, 'check after the holder died');
    assert.ok(!existsSync(lockFile(repo)));
  }),
);

test(
  'a stale lock from a dead pid is taken over; a lock from another host is not',
  inRepo(initialised, async (repo) => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    writeLock(repo, dead.pid as number);
    const run = await cli(repo.dir, ['check', '--lock-timeout', '0', '--json']);
    expectCode(run, 0, 'check over a stale lock');
    assert.is(oneJson(run).reports[0].status, 'clean');
    assert.ok(!existsSync(lockFile(repo)), 'the taken-over lock is released');

    // A pid on another machine cannot be checked, so it is respected.
    writeLock(repo, dead.pid as number, `elsewhere-${hostname()}`);
    const blocked = await cli(repo.dir, ['check', '--lock-timeout', '0', '--json']);
    expectCode(blocked, 1, 'check with a lock from another host');
    assert.is(oneJson(blocked).error.code, 'LEDGER_LOCKED');
  }),
);

test.run();
