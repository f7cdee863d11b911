/**
 * Fleet benchmark (npm run bench:fleet): N agents check their own targets at the same time against
 * one ledger remote, a real git smart-HTTP server on loopback (`git http-backend` behind the test
 * helper's Node server). Each agent is a directory of its own: a git repository holding its watched
 * files, its config and its local ledger. All agents start together; each runs `driftctl check` as a
 * whole process --checks times in a row, with a file changed before every check but the third (so
 * most checks write a record and one finds nothing new). Then, from the remote:
 *
 *  - records per target on the remote (report records under every ledger ref), against the checks
 *    that found a change, before and after flushing deferred pushes with `driftctl push`;
 *  - deferred runs: a check that warned that its commits are kept on the local branch (every push
 *    race lost), and failed runs (any exit other than 2);
 *  - push attempts per check (POST git-receive-pack requests the server answered during the
 *    checks) and fetches per check (POST git-upload-pack);
 *  - wall time of the whole fleet, per-check wall p50/p95/max and CPU (user+system, /usr/bin/time);
 *  - `git fsck --strict` on the remote, and `driftctl verify` on a fresh `git clone --bare` of it.
 *
 *   npm run bench:fleet -- [--layout=branch|per-target] [--agents=8,64] [--checks=5] [--files=10]
 *                          [--deadline=SECONDS] [--keep]
 *
 * `--deadline` bounds each run's check phase (default 1,200 s): after it no agent starts another
 * check and the checks still running are stopped (SIGTERM, then SIGKILL) and counted as cut off;
 * everything else is measured on what finished. Each run's figures are printed as soon as it ends.
 *
 * `--layout=per-target` sets `ledger.layout: per-target` in every agent's config (one ref per
 * target, refs/heads/drift-ledger/<target>); `branch` (the default) leaves the key out, so every
 * agent writes the one drift-ledger branch. Each agent count is a separate run on a fresh remote,
 * printed side by side, so the cost per agent is visible. Work directories live under
 * bench/.work/fleet/ (git-ignored) and are removed unless --keep.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitServer, type GitServer } from '../tests/helpers/git-server.js';
import { GIT_ENV } from './shared.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'driftctl');
const TOKEN = 'fleet-bench-token';
const BRANCH = 'drift-ledger';

interface Options {
  layout: 'branch' | 'per-target';
  agents: number[];
  checks: number;
  files: number;
  keep: boolean;
  work: string;
  deadline: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { layout: 'branch', agents: [8, 64], checks: 5, files: 10, keep: false, work: path.join(ROOT, 'bench', '.work', 'fleet'), deadline: 1200 };
  for (const arg of argv) {
    const [name, value] = arg.split('=', 2) as [string, string | undefined];
    if (name === '--layout' && (value === 'branch' || value === 'per-target')) options.layout = value;
    else if (name === '--agents' && value && /^\d+(,\d+)*$/.test(value)) options.agents = value.split(',').map(Number);
    else if (name === '--checks' && value && /^\d+$/.test(value)) options.checks = Number(value);
    else if (name === '--files' && value && /^\d+$/.test(value)) options.files = Number(value);
    else if (name === '--work' && value) options.work = path.resolve(value);
    else if (name === '--deadline' && value && /^\d+$/.test(value)) options.deadline = Number(value);
    else if (arg === '--keep') options.keep = true;
    else throw new Error(`unknown or malformed option ${arg} (known: --layout=branch|per-target, --agents=N[,M...], --checks=N, --files=N, --deadline=SECONDS, --work=DIR, --keep)`);
  }
  return options;
}

interface Run {
  agent: string;
  check: number;
  /** Whether a file changed since the previous check (so the check records something). */
  changed: boolean;
  code: number;
  stderr: string;
  wall: number;
  cpu: number;
}

const agentEnv = (home: string): Record<string, string> => ({ ...GIT_ENV, HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', DRIFTCTL_GIT_TOKEN: TOKEN });

/** Running checks, so that a deadline can stop them. */
const running = new Set<ChildProcess>();

/** One driftctl process under /usr/bin/time: exit code, stderr, wall and CPU seconds. */
function driftctl(cwd: string, args: string[], env: Record<string, string>): Promise<Omit<Run, 'agent' | 'check' | 'changed'>> {
  const timeFile = path.join(cwd, '.time.out');
  rmSync(timeFile, { force: true });
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    // Its own process group, so a deadline stops time, node and the git processes it started.
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, BIN, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    running.add(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const [user, system] = (existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
      resolve({ code: code ?? -1, stderr, wall, cpu: (user ?? NaN) + (system ?? NaN) });
    });
  });
}

function git(args: string[], options: { cwd?: string } = {}): { status: number; out: string } {
  const r = spawnSync('git', args, { cwd: options.cwd, env: GIT_ENV, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Runs `jobs` with at most `limit` at a time. */
async function limited<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

const DEFERRED = /kept on the local branch/;

/** Stops every running check: SIGTERM to its process group, SIGKILL 5 s later if still there. */
function stopRunning(): void {
  for (const child of running) {
    const group = -(child.pid as number);
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      // Already gone.
    }
    setTimeout(() => {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // Gone.
      }
    }, 5000).unref();
  }
}

/** Report records on the remote per target, over every ledger ref (the branch, or one ref per target). */
function remoteRecords(bare: string): Map<string, number> {
  const refs = git(['--git-dir', bare, 'for-each-ref', '--format=%(refname)', `refs/heads/${BRANCH}`, `refs/heads/${BRANCH}/`]).out.trim().split('\n').filter(Boolean);
  const seen = new Map<string, Set<string>>();
  for (const ref of refs) {
    for (const file of git(['--git-dir', bare, 'ls-tree', '-r', '--name-only', ref]).out.split('\n')) {
      const m = /^targets\/([^/]+)\/records\/.*\.report\.json$/.exec(file);
      if (!m) continue;
      if (!seen.has(m[1])) seen.set(m[1], new Set());
      (seen.get(m[1]) as Set<string>).add(file);
    }
  }
  return new Map([...seen].map(([target, files]) => [target, files.size]));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

interface Outcome {
  agents: number;
  checks: number;
  initSeconds: number;
  initFailures: number;
  wall: number;
  perCheckWall: { p50: number; p95: number; max: number };
  cpuPerCheck: number;
  pushAttempts: number;
  fetches: number;
  deferred: number;
  failed: string[];
  /** Checks stopped at the deadline, and checks never started because of it. */
  cutOff: number;
  notStarted: number;
  expected: number;
  onRemote: { total: number; targetsComplete: number };
  afterFlush: { total: number; targetsComplete: number; flushed: number };
  fsck: string;
  verify: string;
  load: string;
}

async function fleetRun(options: Options, agents: number): Promise<Outcome> {
  const work = path.join(options.work, `${options.layout}-${agents}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const server: GitServer = await startGitServer({ token: TOKEN });
  try {
    const bare = server.createRepo('fleet');
    const url = `${server.url}/fleet.git`;
    const names = Array.from({ length: agents }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
    const home = path.join(work, 'home');
    mkdirSync(home, { recursive: true });
    const env = agentEnv(home);
    const dirs = names.map((name) => {
      const dir = path.join(work, name);
      mkdirSync(path.join(dir, 'data'), { recursive: true });
      git(['init', '-q', '-b', 'main', dir]);
      for (let f = 0; f < options.files; f++) writeFileSync(path.join(dir, 'data', `file${f}.yaml`), `agent: ${name}\nfile: ${f}\nvalue: 0\n`);
      writeFileSync(
        path.join(dir, 'driftctl.yml'),
        `version: 1\nledger:\n  branch: ${BRANCH}\n${options.layout === 'per-target' ? '  layout: per-target\n' : ''}  remote: ${url}\ntargets:\n  - name: ${name}\n    sources:\n      - kind: files\n        watch: ["data/**"]\n`,
      );
      return dir;
    });

    // Joining the ledger is not what is measured: at most 8 agents initialise at a time.
    const initStarted = process.hrtime.bigint();
    const inits = await limited(
      dirs.map((dir) => () => driftctl(dir, ['init'], env)),
      8,
    );
    const initSeconds = Number(process.hrtime.bigint() - initStarted) / 1e9;
    const initFailures = inits.filter((r) => r.code !== 0);
    for (const [i, r] of inits.entries()) if (r.code !== 0) process.stderr.write(`  init ${names[i]}: exit ${r.code}: ${r.stderr.trim().split('\n').pop()}\n`);
    const initDeferred = inits.filter((r) => DEFERRED.test(r.stderr)).length;
    process.stderr.write(`  ${agents} inits in ${initSeconds.toFixed(1)} s (${initFailures.length} failed, ${initDeferred} deferred their push); checks start\n`);

    const requestsBefore = server.requests.length;
    const started = process.hrtime.bigint();
    let pastDeadline = false;
    let notStarted = 0;
    const deadline = setTimeout(() => {
      pastDeadline = true;
      process.stderr.write(`  deadline (${options.deadline} s): ${running.size} checks still running are stopped\n`);
      stopRunning();
    }, options.deadline * 1000);
    const runs = (
      await Promise.all(
        dirs.map(async (dir, a) => {
          const out: Run[] = [];
          for (let n = 1; n <= options.checks; n++) {
            if (pastDeadline) {
              notStarted++;
              continue;
            }
            const changed = n !== 3;
            if (changed) writeFileSync(path.join(dir, 'data', `file${n % options.files}.yaml`), `agent: ${names[a]}\nfile: ${n % options.files}\nvalue: ${n}\n`);
            out.push({ agent: names[a], check: n, changed, ...(await driftctl(dir, ['check', '--no-alert', '--no-content'], env)) });
          }
          return out;
        }),
      )
    ).flat();
    clearTimeout(deadline);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    // A check the deadline stopped died of a signal (time reports it as exit code > 128 or none).
    const cut = (r: Run): boolean => pastDeadline && r.code !== 2 && r.code !== 0 && r.code !== 1;
    const cutOff = runs.filter(cut).length;
    const finished = runs.filter((r) => !cut(r));
    const served = server.requests.slice(requestsBefore);
    const pushAttempts = served.filter((r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack')).length;
    const fetches = served.filter((r) => r.method === 'POST' && r.path.endsWith('/git-upload-pack')).length;
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');

    const failed = finished.filter((r) => r.code !== 2).map((r) => `${r.agent} check ${r.check}: exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    const deferredRuns = finished.filter((r) => DEFERRED.test(r.stderr));
    // Records each target should have on the remote: one report per check that saw a change and ran.
    const expectedPer = new Map(names.map((name) => [name, finished.filter((r) => r.agent === name && r.changed && r.code === 2).length]));
    const expected = [...expectedPer.values()].reduce((a, b) => a + b, 0);
    const tally = (): { total: number; targetsComplete: number } => {
      const found = remoteRecords(bare);
      return { total: [...found.values()].reduce((a, b) => a + b, 0), targetsComplete: names.filter((n) => (found.get(n) ?? 0) >= (expectedPer.get(n) ?? 0)).length };
    };
    const onRemote = tally();
    // What the next scheduled run would do for a deferred (or stopped) check: push what waits locally.
    const toFlush = [...new Set([...deferredRuns, ...runs.filter(cut)].map((r) => r.agent))];
    for (const name of toFlush) {
      const r = await driftctl(dirs[names.indexOf(name)], ['push'], env);
      if (r.code !== 0) failed.push(`${name} push: exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    }
    const afterFlush = { ...tally(), flushed: toFlush.length };

    const fsck = git(['--git-dir', bare, 'fsck', '--full', '--strict', '--no-progress']);
    const clone = path.join(work, 'verify', 'ledger.git');
    git(['clone', '-q', '--bare', bare, clone]);
    const verifyDir = path.join(work, 'verify', 'auditor');
    mkdirSync(verifyDir, { recursive: true });
    writeFileSync(
      path.join(verifyDir, 'driftctl.yml'),
      `version: 1\nledger:\n  branch: ${BRANCH}\n${options.layout === 'per-target' ? '  layout: per-target\n' : ''}  path: ${clone}\ntargets:\n${names.map((n) => `  - name: ${n}\n    sources: [ { kind: files, watch: ["data/**"] } ]\n`).join('')}`,
    );
    const verify = await driftctl(verifyDir, ['verify'], env);

    const cpu = finished.map((r) => r.cpu).filter(Number.isFinite);
    const walls = finished.map((r) => r.wall);
    return {
      agents,
      checks: finished.length,
      cutOff,
      notStarted,
      initSeconds,
      initFailures: initFailures.length,
      wall,
      perCheckWall: { p50: percentile(walls, 50), p95: percentile(walls, 95), max: Math.max(...walls) },
      cpuPerCheck: cpu.reduce((a, b) => a + b, 0) / cpu.length,
      pushAttempts,
      fetches,
      deferred: deferredRuns.length,
      failed,
      expected,
      onRemote,
      afterFlush,
      fsck: fsck.status === 0 && !/error|missing|broken|warning/i.test(fsck.out) ? 'clean' : `FAILED (exit ${fsck.status}): ${fsck.out.trim().split('\n').slice(0, 3).join(' | ')}`,
      verify: verify.code === 0 ? 'PASS' : `FAIL (exit ${verify.code}): ${verify.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      load,
    };
  } finally {
    await server.close();
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}

const options = parseArgs(process.argv.slice(2));
// The checks run in process groups of their own: stopping the bench stops them too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopRunning();
    process.exit(1);
  });
}
if (!existsSync('/usr/bin/time')) throw new Error('the fleet bench measures CPU per check with /usr/bin/time, which is missing');
const rows: [string, (o: Outcome) => string][] = [
  ['checks finished (agents × checks)', (o) => `${o.checks} of ${o.agents * options.checks}${o.cutOff + o.notStarted > 0 ? ` (${o.cutOff} stopped, ${o.notStarted} not started)` : ''}`],
  ['joining: inits, 8 at a time', (o) => `${o.initSeconds.toFixed(1)} s, ${o.initFailures} failed`],
  ['fleet wall time (all checks)', (o) => `${o.wall.toFixed(1)} s (${(o.wall / o.agents).toFixed(2)} s per agent)`],
  ['wall per check p50 / p95 / max', (o) => `${o.perCheckWall.p50.toFixed(1)} / ${o.perCheckWall.p95.toFixed(1)} / ${o.perCheckWall.max.toFixed(1)} s`],
  ['CPU per check (user+sys)', (o) => `${o.cpuPerCheck.toFixed(2)} s`],
  ['push attempts (per finished check)', (o) => `${o.pushAttempts} (${(o.pushAttempts / o.checks).toFixed(2)})`],
  ['fetches (per check)', (o) => `${o.fetches} (${(o.fetches / o.checks).toFixed(2)})`],
  ['deferred runs (target 0)', (o) => `${o.deferred}`],
  ['failed runs (exit ≠ 2)', (o) => `${o.failed.length}`],
  ['reports on remote / expected', (o) => `${o.onRemote.total} / ${o.expected} (${o.onRemote.targetsComplete}/${o.agents} targets complete)`],
  ['… after `driftctl push` of deferred', (o) => `${o.afterFlush.total} / ${o.expected} (${o.afterFlush.flushed} agents flushed)`],
  ['git fsck --strict on the remote', (o) => o.fsck],
  ['verify on a fresh bare clone', (o) => o.verify],
  ['load average at the end', (o) => o.load],
];
const table = (outcomes: Outcome[]): string[] => {
  const cell = (f: (o: Outcome) => string): string => outcomes.map((o) => f(o).padEnd(34)).join('');
  const lines = [`fleet bench: layout ${options.layout}, ${options.checks} checks per agent (a file changed before every check but the third), ${options.files} files per target, one loopback smart-HTTP remote`];
  lines.push(`${''.padEnd(38)}${cell((o) => `${o.agents} agents`)}`);
  for (const [label, f] of rows) lines.push(`  ${label.padEnd(36)}${cell(f)}`);
  if (outcomes.length > 1) {
    const [a, b] = [outcomes[0], outcomes[outcomes.length - 1]];
    lines.push(
      `  ${b.agents} vs ${a.agents} agents: ${(b.agents / a.agents).toFixed(1)}× the agents took ${(b.wall / a.wall).toFixed(1)}× the wall time, ${(b.cpuPerCheck / a.cpuPerCheck).toFixed(2)}× the CPU per check, ${(b.pushAttempts / b.checks / (a.pushAttempts / a.checks)).toFixed(2)}× the push attempts per check`,
    );
  }
  return lines;
};

const outcomes: Outcome[] = [];
for (const agents of options.agents) {
  process.stderr.write(`fleet bench: ${agents} agents × ${options.checks} checks, layout ${options.layout}...\n`);
  const outcome = await fleetRun(options, agents);
  outcomes.push(outcome);
  for (const line of outcome.failed.slice(0, 10)) process.stderr.write(`  ${line}\n`);
  // Each run as soon as it ends (a long run may not be waited for), then all side by side.
  if (options.agents.length > 1) process.stdout.write(`${table([outcome]).join('\n')}\n\n`);
}
process.stdout.write(`${table(outcomes).join('\n')}\n`);
