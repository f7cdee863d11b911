import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertFsckClean, assertLedgerConsistent, expectCode, inRepo, ledgerLog, oneJson } from '../helpers/e2e.js';
import { BIN, cli, makeRepo, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * `driftctl daemon` as a real process: a target scheduled every second is checked repeatedly,
 * runs never overlap, and SIGTERM during a run lets that run finish (its report lands) before the
 * process exits 0 with a consistent ledger. Bad schedules are config errors naming the field.
 */

function project(config: string, files = 200): () => TempRepo {
  const tree: Record<string, string> = { 'driftctl.yml': config };
  for (let i = 0; i < files; i++) tree[`data/d${i % 10}/f${i}.txt`] = `file ${i}\n`;
  return () => makeRepo(tree);
}

const EVERY_SECOND = `version: 1
schedule: "* * * * * *"
timezone: UTC
sources:
  - kind: files
    watch: ["data/**"]
`;

interface DaemonEvent {
  event: string;
  target?: string;
  started?: string;
  ended?: string;
  verdict?: string;
  report?: string | null;
}

test(
  'daemon: every-second schedule, ≥2 reports, SIGTERM mid-run: that run finishes, exit 0, fsck clean, ledger consistent, no overlapping runs',
  inRepo(project(EVERY_SECOND), async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const child = spawn(process.execPath, [BIN, 'daemon', '--json'], { cwd: repo.dir, env: TEST_ENV });
    let stdout = '';
    let stderr = '';
    const events: DaemonEvent[] = [];
    let signalled = false;
    let runsAtSignal = -1;
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      const lines = stderr.split('\n');
      stderr = lines.pop() as string;
      for (const line of lines) {
        if (!line.trim()) continue;
        const event = JSON.parse(line) as DaemonEvent;
        events.push(event);
        const runs = events.filter((e) => e.event === 'run').length;
        // Once two reports are on the ledger, signal as soon as the next run has started.
        if (!signalled && event.event === 'started' && runs >= 2) {
          signalled = true;
          runsAtSignal = runs;
          child.kill('SIGTERM');
        }
      }
      if (events.some((e) => e.event === 'run' && e.verdict === 'error')) child.kill('SIGKILL');
    });
    const code = await exited;
    clearTimeout(timeout);
    assert.ok(signalled, `the daemon was signalled; events:\n${events.map((e) => JSON.stringify(e)).join('\n')}\n${stderr}`);
    assert.is(code, 0, `exit code; stderr tail: ${stderr}`);

    const runs = events.filter((e) => e.event === 'run');
    const started = events.filter((e) => e.event === 'started');
    assert.ok(runs.every((r) => r.verdict === 'clean'), JSON.stringify(runs));
    assert.is(started.length, runs.length, 'every run that started finished');
    assert.is(runs.length, runsAtSignal + 1, 'the run in progress at SIGTERM finished, and no other started');
    const stopping = events.findIndex((e) => e.event === 'stopping');
    assert.ok(stopping >= 0 && stopping < events.lastIndexOf(runs[runs.length - 1]), 'the last run ended after the daemon began stopping');
    for (let i = 1; i < runs.length; i++) {
      assert.ok(Date.parse(runs[i].started as string) >= Date.parse(runs[i - 1].ended as string), `run ${i} starts after run ${i - 1} ended`);
    }
    const summary = oneJson({ code: 0, stdout, stderr: '', json: () => JSON.parse(stdout) });
    assert.is(summary.runs, runs.length);

    assertFsckClean(repo, 'after SIGTERM');
    const head = assertLedgerConsistent(repo, 'after SIGTERM');
    assert.is(head.report.id, runs[runs.length - 1].report, 'the last run’s report is the tip');
    const reports = ledgerLog(repo).filter((c) => c.trailers['Drift-Kind'] === 'report');
    // Record change, not repetition: the first run recorded its report; the later runs found the
    // same observation and verdict and wrote nothing (the next heartbeat is due after 1h).
    assert.is(reports.length, 1, 'one report commit, from the first run');
    assert.ok(runs.every((r) => r.report === runs[0].report), 'every run names the one recorded report');
  }),
);

test(
  'daemon --once: checks every scheduled target once; exit code as for check',
  inRepo(project(EVERY_SECOND, 5), async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const clean = await cli(repo.dir, ['daemon', '--once', '--json']);
    expectCode(clean, 0, 'daemon --once');
    assert.equal(oneJson(clean), { targets: ['default'], runs: 1, verdicts: { clean: 1, drift: 0, error: 0 } });
    repo.write('data/d0/f0.txt', 'changed\n');
    const drift = await cli(repo.dir, ['daemon', '--once']);
    expectCode(drift, 2, 'daemon --once on drift');
    assert.match(drift.stderr, /Z target default: drift, 1 change \(highest low\), \d+\.\d\d s\n/);
  }),
);

test(
  'a bad cron expression is a config error naming targets[0].schedule (exit 1); so is an unknown time zone',
  inRepo(project('version: 1\ntargets:\n  - name: web\n    schedule: "61 * * * *"\n    timezone: Mars/Olympus\n    sources: [ { kind: files, watch: ["data/**"] } ]\n', 1), async (repo) => {
    const run = await cli(repo.dir, ['daemon']);
    expectCode(run, 1, 'daemon');
    assert.match(run.stderr, /driftctl\.yml:4: targets\[0\]\.schedule: is not a valid cron expression \(got "61 \* \* \* \*": 61 is a invalid expression for minute\)/);
    assert.match(run.stderr, /driftctl\.yml:5: targets\[0\]\.timezone: is not a known IANA time zone \(got "Mars\/Olympus"/);
  }),
);

test(
  'schedule errors: wrong field count; top-level schedule with targets; no schedule at all',
  inRepo(project('version: 1\nschedule: "* * *"\nsources: [ { kind: files, watch: ["data/**"] } ]\n', 1), async (repo) => {
    const fields = await cli(repo.dir, ['daemon']);
    expectCode(fields, 1, 'daemon');
    assert.match(fields.stderr, /: schedule: must have 5 fields .* or 6 .*, got 3/);
    repo.write('driftctl.yml', 'version: 1\nschedule: "* * * * *"\ntargets:\n  - name: web\n    sources: [ { kind: files, watch: ["data/**"] } ]\n');
    const misplaced = await cli(repo.dir, ['daemon']);
    expectCode(misplaced, 1, 'daemon');
    assert.match(misplaced.stderr, /: schedule: belongs to the default target/);
    repo.write('driftctl.yml', 'version: 1\nsources: [ { kind: files, watch: ["data/**"] } ]\n');
    const none = await cli(repo.dir, ['daemon', '--json']);
    expectCode(none, 1, 'daemon');
    assert.is(oneJson(none).error.code, 'NO_SCHEDULE');
  }),
);

test.run();
