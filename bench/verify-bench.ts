import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { accept } from '../src/ops/accept.js';
import { check } from '../src/ops/check.js';
import { init } from '../src/ops/init.js';
import { verify, type VerifyResult } from '../src/ops/verify.js';
import type { OpDeps } from '../src/session/deps.js';
import { GIT_ENV, prng } from './shared.js';

/**
 * `verify --full` speed (npm run bench:verify), in commits per second, beside what git itself
 * takes over the same ledger in the same run: reading every object once (`git rev-list --objects
 * | git cat-file --batch`, the floor for any full check), `git log -p` over the branch, and
 * `git fsck`. Two ledgers, written through the real `check` and `accept` operations and kept in
 * bench/.work/verify/ between runs (`--fresh` writes them again):
 * - quiet: the ledger bench's recipe (a 100-file target checked every 5 minutes, 1% of checks
 *   with a new change, an accept a week) for `--days=N` days (default 7);
 * - busy: `--busy=N` checks (default 2,000) of which every one records a change, with alerts,
 *   and an accept every 50 checks: at least N commits.
 * `--only=quiet` or `--only=busy` measures one of them; `--as-is` measures a ledger whose writing
 * was interrupted as far as it got. Each ledger is verified `--runs=R` times in process (best and median reported, with the CPU
 * time of this process), once without git on PATH (the isomorphic-git fallback), and once through
 * the CLI; the runs with and without git must give the same findings.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'driftctl');
const WORK = path.join(ROOT, 'bench', '.work', 'verify');
const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const DAYS = arg('days', 7);
const BUSY = arg('busy', 2000);
const RUNS = arg('runs', 3);
const FRESH = process.argv.includes('--fresh');
const AS_IS = process.argv.includes('--as-is');
const FILES = 100;
const START = Date.parse('2026-01-01T00:00:00Z');

interface BenchLedger {
  name: string;
  project: string;
  gitdir: string;
  /** The simulated clock after the last check (verify's "now"). */
  end: number;
}

/** Writes (or reuses) a ledger: `checks` checks 5 minutes apart; `changeEvery`: a file changes before every n-th check. */
async function writeLedger(name: string, checks: number, changeEvery: number, acceptEvery: number, alerts: boolean): Promise<BenchLedger> {
  const dir = path.join(WORK, `${name}-${checks}`);
  const project = path.join(dir, 'project');
  const gitdir = path.join(dir, 'ledger.git');
  const marker = path.join(dir, 'written.json');
  if (!FRESH && existsSync(marker)) return { name, project, gitdir, end: (JSON.parse(readFileSync(marker, 'utf8')) as { end: number }).end };
  // --as-is: measure a ledger whose writing was interrupted, as far as it got.
  if (AS_IS && existsSync(gitdir)) return { name: `${name} (interrupted)`, project, gitdir, end: Date.now() };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', gitdir], { env: { ...process.env, ...GIT_ENV } });
  const random = prng(2026);
  const writeFile = (n: number): void => {
    mkdirSync(path.join(project, `dir${n % 10}`), { recursive: true });
    writeFileSync(path.join(project, `dir${n % 10}`, `file${n}.yaml`), `key: ${n}\nvalue: ${random()}\n`);
  };
  for (let i = 0; i < FILES; i++) writeFile(i);
  const alerting = alerts ? 'alerts:\n  channels:\n    - kind: file\n      path: ../alerts.jsonl\n' : '';
  writeFileSync(path.join(project, 'driftctl.yml'), `version: 1\nledger:\n  path: ../ledger.git\nsources:\n  - kind: files\n    watch: ["dir*/**"]\nseverity:\n  default: medium\n${alerting}`);
  let clock = START;
  const deps: OpDeps = { cwd: project, env: { ...process.env, ...GIT_ENV }, now: () => new Date(clock), lockTimeoutMs: 10_000, warn: () => {} };
  const started = process.hrtime.bigint();
  await init(deps, {});
  let pending = false;
  for (let i = 1; i <= checks; i++) {
    clock = START + i * 300_000;
    if (i % changeEvery === 0) {
      writeFile(Math.floor(random() * FILES));
      pending = true;
    }
    await check(deps, { alert: alerts, content: false });
    if (i % acceptEvery === 0 && pending) {
      clock += 1000;
      await accept(deps, { keys: [], all: true, reason: `review ${i / acceptEvery}` });
      pending = false;
    }
    if (i % 500 === 0) process.stderr.write(`  ${name}: ${i}/${checks} checks\n`);
  }
  process.stderr.write(`  ${name}: written in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s\n`);
  writeFileSync(marker, JSON.stringify({ end: clock }));
  return { name, project, gitdir, end: clock };
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** Wall time of a shell pipeline over the ledger (the git references). */
function shell(script: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${script}: exit ${run.status}\n${run.stderr}`);
  return seconds(started);
}

async function verifyOnce(ledger: BenchLedger): Promise<{ wall: number; cpu: number; result: VerifyResult }> {
  const deps: OpDeps = { cwd: ledger.project, env: { ...process.env, ...GIT_ENV }, now: () => new Date(ledger.end), lockTimeoutMs: 10_000, warn: () => {} };
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await verify(deps, { full: true });
  const wall = seconds(started);
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6, result };
}

/** Runs `fn` with no git on PATH: the store falls back to isomorphic-git. */
async function withoutGit<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = mkdtempSync(path.join(tmpdir(), 'driftctl-no-git-'));
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

const findings = (r: VerifyResult): string => JSON.stringify({ status: r.status, commits: r.commits, checks: r.checks });

async function measure(ledger: BenchLedger): Promise<string[]> {
  const git = `git --git-dir '${ledger.gitdir}'`;
  const commits = Number(execFileSync('git', ['--git-dir', ledger.gitdir, 'rev-list', '--count', 'drift-ledger']).toString().trim());
  const objects = Number(execFileSync('sh', ['-c', `${git} rev-list --objects drift-ledger | wc -l`]).toString().trim());
  const readAll = Math.min(...[1, 2, 3].map(() => shell(`${git} rev-list --objects --no-object-names drift-ledger | ${git} cat-file --batch --buffer > /dev/null`)));
  const logP = Math.min(...[1, 2].map(() => shell(`${git} log -p --raw drift-ledger > /dev/null`)));
  const fsck = shell(`${git} fsck --no-dangling --no-progress`);
  const runs: { wall: number; cpu: number; result: VerifyResult }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await verifyOnce(ledger));
  const byWall = [...runs].sort((a, b) => a.wall - b.wall);
  const best = byWall[0];
  const median = byWall[Math.floor(byWall.length / 2)];
  const noGit = await withoutGit(() => verifyOnce(ledger));
  const cliStarted = process.hrtime.bigint();
  const cli = spawnSync(process.execPath, [BIN, 'verify', '--full', '--json'], { cwd: ledger.project, env: { ...process.env, ...GIT_ENV, DRIFTCTL_NOW: new Date(ledger.end).toISOString() }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const cliWall = seconds(cliStarted);
  if (cli.status !== 0) throw new Error(`driftctl verify --full: exit ${cli.status}\n${cli.stdout}\n${cli.stderr}`);
  const same = runs.every((r) => findings(r.result) === findings(best.result)) && findings(noGit.result) === findings(best.result);
  const rate = (s: number): string => `${(commits / s).toFixed(0)} commits/s`;
  return [
    `${ledger.name}: ${commits} commits, ${objects} objects (${ledger.gitdir})`,
    `  verify --full, in process: best ${best.wall.toFixed(3)} s = ${rate(best.wall)}, median ${median.wall.toFixed(3)} s = ${rate(median.wall)} (${RUNS} runs; CPU of this process ${best.cpu.toFixed(3)} s in the best) (target ≥ 1,000 commits/s); status ${best.result.status}`,
  `  verify --full without git on PATH (isomorphic-git): ${noGit.wall.toFixed(3)} s = ${rate(noGit.wall)}, ${(noGit.wall / best.wall).toFixed(1)}× the best run with git; same findings in every run: ${same ? 'yes' : 'NO'}`,
    `  verify --full --json, CLI (Node start-up included): ${cliWall.toFixed(2)} s`,
    `  git, same ledger: read every object once (rev-list --objects | cat-file --batch) ${readAll.toFixed(3)} s; log -p --raw ${logP.toFixed(3)} s; fsck ${fsck.toFixed(3)} s; verify --full best = ${(best.wall / readAll).toFixed(1)}× reading every object, ${(best.wall / logP).toFixed(1)}× log -p`,
  ];
}

const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const ledgers: BenchLedger[] = [];
if (ONLY !== 'busy') ledgers.push(await writeLedger('quiet', Math.round(DAYS * 288), 100, 2016, false));
if (ONLY !== 'quiet') ledgers.push(await writeLedger('busy', BUSY, 1, 50, true));
const lines: string[] = [`verify bench (load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}):`];
for (const ledger of ledgers) lines.push(...(await measure(ledger)));
process.stdout.write(`${lines.join('\n')}\n`);
if (lines.some((l) => l.includes('same findings in every run: NO'))) process.exitCode = 1;
