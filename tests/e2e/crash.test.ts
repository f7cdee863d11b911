import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, cli, makeRepo, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { assertFsckClean, assertLedgerConsistent, expectCode, inRepo, ledgerTip, manifestEntries, oneJson, sha256, tryGit } from '../helpers/e2e.js';

/**
 * Crash safety: `check` (and `init`) killed with SIGKILL at random moments, on a tree big enough
 * (2,000 files) that some kills land while objects and refs are being written. After every kill
 * the repository passes `git fsck`, the ledger tip is a complete state, and the next run succeeds.
 */

const DIRS = 20;
const FILES_PER_DIR = 100;
const ITERATIONS = Number(process.env.DRIFTCTL_CRASH_ITERATIONS ?? 4);

function bigRepo(): TempRepo {
  const repo = makeRepo({ 'driftctl.yml': 'version: 1\nsources:\n  - name: files\n    kind: files\n    watch: ["tree/**"]\n' });
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(repo.dir, 'tree', `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++) writeFileSync(path.join(dir, `f${f}.txt`), `file ${d}/${f}\n`);
  }
  return repo;
}

interface KillPlan {
  /** Kill this long after the start, or after the lock file appears when `afterLock` is set. */
  delayMs: number;
  afterLock?: boolean;
}

interface RunOutcome {
  killed: boolean;
  code: number | null;
  ms: number;
  /** When the process had taken the ledger lock (ms after start), if it got that far. */
  lockedAtMs?: number;
}

/** Starts bin/driftctl and kills it with SIGKILL as planned, unless it has finished by then. */
function runAndKill(cwd: string, args: string[], plan: KillPlan): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const lock = path.join(cwd, '.git', 'driftctl', 'lock');
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: TEST_ENV, stdio: 'ignore' });
    let killed = false;
    let lockedAtMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      killed = child.kill('SIGKILL');
    };
    if (!plan.afterLock) timer = setTimeout(kill, plan.delayMs);
    const poll = setInterval(() => {
      if (lockedAtMs === undefined && existsSync(lock)) {
        lockedAtMs = Date.now() - started;
        if (plan.afterLock) timer = setTimeout(kill, plan.delayMs);
      }
    }, 2);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ killed: killed && signal === 'SIGKILL', code, ms: Date.now() - started, lockedAtMs });
    });
  });
}

/** Random edits, additions and removals, so that every check has new objects to write. */
function mutate(repo: TempRepo, round: number): Map<string, string> {
  const written = new Map<string, string>();
  for (let i = 0; i < 60; i++) {
    const d = Math.floor(Math.random() * DIRS);
    const f = Math.floor(Math.random() * FILES_PER_DIR);
    const key = `tree/d${d}/f${f}.txt`;
    const content = `round ${round} edit ${i} ${Math.random()}\n`;
    repo.write(key, content);
    written.set(key, content);
  }
  const added = `tree/new/r${round}.txt`;
  repo.write(added, `added in round ${round}\n`);
  written.set(added, `added in round ${round}\n`);
  return written;
}

function looseObjects(repo: TempRepo): number {
  const objects = path.join(repo.dir, '.git', 'objects');
  return readdirSync(objects)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .reduce((sum, d) => sum + readdirSync(path.join(objects, d)).length, 0);
}

test(
  'check killed at random moments: git fsck stays clean, the ledger tip is complete, the next check succeeds',
  inRepo(bigRepo, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    // Round 0 is not killed: it measures how long the locked part of a check takes (scanning,
    // hashing, writing objects, moving the ref), so later kills spread over it.
    let lockedSpan = 0;
    const outcomes: string[] = [];
    for (let round = 0; round <= ITERATIONS; round++) {
      const written = mutate(repo, round);
      const tipBefore = ledgerTip(repo);
      const objectsBefore = looseObjects(repo);
      // Some kills early (start-up, config, lock), most while the lock is held.
      const plan: KillPlan =
        round === 0 ? { delayMs: 60_000 } : round % 3 === 1 ? { delayMs: 10 + Math.random() * 390 } : { delayMs: Math.random() * lockedSpan, afterLock: true };
      const delay = plan.delayMs;
      let t = Date.now();
      const phases: string[] = [];
      const phase = (name: string): void => {
        phases.push(`${name} ${Date.now() - t}`);
        t = Date.now();
      };
      const result = await runAndKill(repo.dir, ['check'], plan);
      phase('kill');
      if (round === 0) lockedSpan = Math.max(50, result.ms - (result.lockedAtMs ?? 0));
      const tipAfter = ledgerTip(repo);
      const wroteObjects = looseObjects(repo) > objectsBefore;
      outcomes.push(`${Math.round(delay)}ms${plan.afterLock ? ' after lock' : ''}:${!result.killed ? 'finished' : tipAfter !== tipBefore ? 'killed-after-publish' : wroteObjects ? 'killed-mid-write' : 'killed-before-write'}`);
      const when = `round ${round} (${outcomes[outcomes.length - 1]})`;
      if (!result.killed) assert.is(result.code, 2, `${when}: an unkilled check exits 2`);
      // The ref either stayed or moved forward to a descendant: the ledger only grows.
      assert.is(tryGit(repo, 'merge-base', '--is-ancestor', tipBefore as string, tipAfter as string).status, 0, `${when}: the old tip is an ancestor of the new one`);

      assertFsckClean(repo, `after the kill, ${when}`);
      assertLedgerConsistent(repo, `after the kill, ${when}`);

      phase('verify');
      const next = await cli(repo.dir, ['check', '--json']);
      phase('next');
      assert.ok([0, 2].includes(next.code), `${when}: next check exit ${next.code}\n${next.stderr}`);
      const report = oneJson(next).reports[0];
      assert.is(report.status, 'drift', when);
      assertFsckClean(repo, `after the next check, ${when}`);
      const head = assertLedgerConsistent(repo, `after the next check, ${when}`);
      assert.is(head.report.id, report.id, when);
      // The snapshot holds what is on disk now.
      const entries = manifestEntries(repo, 'latest');
      for (const [key, content] of written) assert.is(entries.get(`files:${key}`)?.sha256, sha256(content), `${when}: ${key}`);
      assert.is(entries.size, DIRS * FILES_PER_DIR + round + 1, when); // tree/new/r0.txt … r<round>.txt
      assert.ok(!existsSync(path.join(repo.dir, '.git', 'driftctl', 'lock')), `${when}: lock released`);
      const tmp = path.join(repo.dir, '.git', 'driftctl', 'tmp');
      assert.equal(existsSync(tmp) ? readdirSync(tmp) : [], [], `${when}: temporary files of the killed writer are gone`);
      phase('verify');
      if (process.env.E2E_TIMING) process.stderr.write(`  round ${round}: ${phases.join(', ')}\n`);
    }
    if (process.env.E2E_TIMING) process.stderr.write(`  crash outcomes (locked span ${lockedSpan} ms): ${outcomes.join(', ')}\n`);
  }),
);

test(
  'init killed at random moments: either no ledger branch or a complete one, and init then finishes the job',
  inRepo(bigRepo, async (repo) => {
    for (let round = 1; round <= 2; round++) {
      const delay = Math.random() * 600;
      const result = await runAndKill(repo.dir, ['init'], { delayMs: delay, afterLock: true });
      const when = `init round ${round} (${Math.round(delay)} ms, ${result.killed ? 'killed' : 'finished'})`;
      assertFsckClean(repo, when);
      const tip = ledgerTip(repo);
      if (tip !== undefined) assertLedgerConsistent(repo, when);
      const again = await cli(repo.dir, ['init', '--json']);
      expectCode(again, 0, `init after ${when}`);
      const doc = oneJson(again);
      assert.is(doc.targets[0].status, tip === undefined ? 'baselined' : 'existing', when);
      assertFsckClean(repo, `after init, ${when}`);
      const head = assertLedgerConsistent(repo, `after init, ${when}`);
      assert.is(head.snapshot.entries, DIRS * FILES_PER_DIR, when);
      // Starting over on purpose: the branch and this machine's record of it both go.
      repo.git('update-ref', '-d', 'refs/heads/drift-ledger');
      rmSync(path.join(repo.dir, '.git', 'driftctl', 'checkpoints'), { force: true });
    }
  }),
);

test(
  'a lock file left empty (killed between creating and writing it) is taken over',
  inRepo(
    () => makeRepo({ 'driftctl.yml': 'version: 1\nsources:\n  - kind: files\n    watch: ["*.txt"]\n', 'a.txt': 'a\n' }),
    async (repo) => {
      expectCode(await cli(repo.dir, ['init']), 0, 'init');
      writeFileSync(path.join(repo.dir, '.git', 'driftctl', 'lock'), '');
      const started = Date.now();
      const run = await cli(repo.dir, ['check', '--json']);
      expectCode(run, 0, 'check over an empty lock file');
      assert.ok(Date.now() - started < 9000, 'taken over well before the default 10 s lock timeout');
      assert.ok(!existsSync(path.join(repo.dir, '.git', 'driftctl', 'lock')));
    },
  ),
);

test.run();
