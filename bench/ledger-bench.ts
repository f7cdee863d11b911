import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { accept } from '../src/ops/accept.js';
import { check } from '../src/ops/check.js';
import { init } from '../src/ops/init.js';
import { log } from '../src/ops/log.js';
import { verify } from '../src/ops/verify.js';
import type { OpDeps } from '../src/session/deps.js';
import { GIT_ENV, prng } from './shared.js';

/**
 * A year of checks of one target (npm run bench:ledger), written through the real ledger writer:
 * the `check` and `accept` operations in process, one check every 5 minutes of a simulated clock,
 * 1% of them finding a new change, an accept every week, a 100-file target, the ledger in its own
 * bare repository. Then: the ledger's size on disk (packed by driftctl itself), a clone, `log`
 * queries, `verify` after one new check, and `verify --full` (commits per second).
 *
 * A full year is 105,120 checks (`--year`, about an hour); `--days=N` (default 14, the quick mode)
 * writes N days and the year figures are extrapolated from the measured rate and growth, and printed
 * as such. `--work=DIR` puts the repositories elsewhere than bench/.work/ledger (a long run beside
 * quick ones). Progress goes to stderr every 1,000 checks. `--stop-file=PATH`: creating PATH during
 * the run ends the writing at the next whole day, and everything is measured on the days written.
 * `--reuse` (with the same --work) writes nothing and measures the ledger an earlier run left again.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'driftctl');
const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const WORK = path.resolve(option('work') ?? path.join(ROOT, 'bench', '.work', 'ledger'));
const YEAR = 105_120;
const DAYS = process.argv.includes('--year') ? 365 : Number(option('days') ?? 14);
const PLANNED = Math.round(DAYS * 288);
// A long run can be cut short: once this file exists the writing stops (at a whole day) and the
// figures are measured on what was written, labelled with the days actually written.
const STOP_FILE = option('stop-file');
let CHECKS = PLANNED;
const FILES = 100;
const START = Date.parse('2026-01-01T00:00:00Z');

const project = path.join(WORK, 'project');
const ledgerRepo = path.join(WORK, 'ledger.git');
// --reuse: measure the ledger an earlier run left in --work again (say on a quieter machine), writing nothing first.
const REUSE = process.argv.includes('--reuse') && existsSync(path.join(ledgerRepo, 'refs', 'heads', 'drift-ledger'));
if (!REUSE) {
rmSync(WORK, { recursive: true, force: true });
mkdirSync(project, { recursive: true });
execFileSync('git', ['init', '-q', '--bare', ledgerRepo], { env: { ...process.env, ...GIT_ENV } });
}
const random = prng(2026);
for (let i = 0; i < FILES && !REUSE; i++) {
  mkdirSync(path.join(project, `dir${i % 10}`), { recursive: true });
  writeFileSync(path.join(project, `dir${i % 10}`, `file${i}.yaml`), `key: ${i}\nvalue: ${random()}\n`);
}
if (!REUSE) writeFileSync(
  path.join(project, 'driftctl.yml'),
  'version: 1\nledger:\n  path: ../ledger.git\nsources:\n  - kind: files\n    watch: ["dir*/**"]\nseverity:\n  default: medium\n',
);

let clock = START;
const deps: OpDeps = { cwd: project, env: { ...process.env, ...GIT_ENV }, now: () => new Date(clock), lockTimeoutMs: 10_000 };
const quiet: OpDeps = { ...deps, warn: () => {} };

const cpu0 = process.cpuUsage();
const wall0 = process.hrtime.bigint();
if (!REUSE) await init(quiet, {});
let drifts = 0;
let accepts = 0;
let pending = false;
if (REUSE) {
  // The simulated clock goes on after the ledger's last commit; the checks are counted back from its heartbeats and records.
  clock = Number(execFileSync('git', ['--git-dir', ledgerRepo, 'log', '-1', '--format=%ct', 'drift-ledger']).toString().trim()) * 1000 + 300_000;
  CHECKS = Math.round((clock - START) / 300_000) - 1;
  process.stderr.write(`  --reuse: measuring the ledger in ${ledgerRepo} again (about ${CHECKS} checks), nothing written first\n`);
}
for (let i = 1; i <= PLANNED && !REUSE; i++) {
  if (STOP_FILE && i % 288 === 1 && i > 1 && existsSync(STOP_FILE)) {
    CHECKS = i - 1;
    process.stderr.write(`  ${STOP_FILE} exists: stopped after ${CHECKS} checks (${CHECKS / 288} days)\n`);
    break;
  }
  clock = START + i * 300_000;
  if (i % 100 === 0) {
    const n = Math.floor(random() * FILES);
    writeFileSync(path.join(project, `dir${n % 10}`, `file${n}.yaml`), `key: ${n}\nvalue: ${random()}\n`);
    drifts++;
    pending = true;
  }
  await check(quiet, { alert: false });
  if (i % 2016 === 0 && pending) {
    clock += 1000;
    await accept(quiet, { keys: [], all: true, reason: `weekly review ${i / 2016}` });
    accepts++;
    pending = false;
  }
  if (i % 1000 === 0) {
    const seconds = Number(process.hrtime.bigint() - wall0) / 1e9;
    const used = process.cpuUsage(cpu0);
    process.stderr.write(`  ${i}/${PLANNED} checks (day ${(i / 288).toFixed(1)}): ${seconds.toFixed(0)} s wall, ${((used.user + used.system) / 1e3 / i).toFixed(1)} ms CPU per check, ${drifts} changes, ${accepts} accepts\n`);
  }
}
const writeSeconds = Number(process.hrtime.bigint() - wall0) / 1e9;
const cpu = process.cpuUsage(cpu0);

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const s = statSync(file);
    total += s.isDirectory() ? dirBytes(file) : s.size;
  }
  return total;
}
const commits = Number(execFileSync('git', ['--git-dir', ledgerRepo, 'rev-list', '--count', 'drift-ledger']).toString().trim());
const counts = Object.fromEntries(
  execFileSync('git', ['--git-dir', ledgerRepo, 'count-objects', '-v'])
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.split(': ') as [string, string]),
);
const objectsBytes = dirBytes(path.join(ledgerRepo, 'objects'));

function timed(args: string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: project, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, DRIFTCTL_NOW: new Date(clock).toISOString() }, maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0 && run.status !== 2) throw new Error(`driftctl ${args.join(' ')}: exit ${run.status}\n${run.stderr}`);
  return seconds;
}
async function inProcess(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const cloneDir = path.join(WORK, 'clone.git');
rmSync(cloneDir, { recursive: true, force: true });
const cloneStarted = process.hrtime.bigint();
execFileSync('git', ['clone', '-q', '--bare', '--single-branch', '--branch', 'drift-ledger', `file://${ledgerRepo}`, cloneDir]);
const cloneSeconds = Number(process.hrtime.bigint() - cloneStarted) / 1e9;
// Reference: what git itself makes of the same history (the clone's single pack, and a full repack of it).
const packKiB = (gitdir: string): number => Number(/size-pack: (\d+)/.exec(execFileSync('git', ['--git-dir', gitdir, 'count-objects', '-v']).toString())?.[1] ?? NaN);
const clonePackKiB = packKiB(cloneDir);
execFileSync('git', ['--git-dir', cloneDir, 'repack', '-adfq', '--window=250', '--depth=50']);
const repackedKiB = packKiB(cloneDir);

timed(['log', '--limit', '50', '--json']); // builds the commit index
const log50 = timed(['log', '--limit', '50', '--json']);
const logDrift = timed(['log', '--status', 'drift', '--limit', '100000', '--json']);
const log50op = await inProcess(() => log(quiet, { limit: 50 }));
const logDriftOp = await inProcess(() => log(quiet, { status: 'drift', limit: 100_000 }));
const full = await inProcess(() => verify(quiet, { full: true }));
const fullCli = timed(['verify', '--full', '--json']);
clock += 300_000;
writeFileSync(path.join(project, 'dir0', 'file0.yaml'), 'key: 0\nvalue: changed at the end\n');
await check(quiet, { alert: false });
const incremental = await inProcess(() => verify(quiet, {}));
clock += 300_000;
writeFileSync(path.join(project, 'dir0', 'file0.yaml'), 'key: 0\nvalue: changed again\n');
await check(quiet, { alert: false });
const incrementalCli = timed(['verify', '--json']);
const nodeStart = (() => {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, [BIN, '--version']);
  return Number(process.hrtime.bigint() - started) / 1e9;
})();

const scale = YEAR / CHECKS;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const lines = [
  `ledger bench: ${CHECKS} checks (${(CHECKS / 288).toFixed(1)} days at 5-minute intervals${CHECKS < YEAR ? `; a year is ${YEAR}: figures marked "year≈" are extrapolated ×${scale.toFixed(1)}` : ''}), ${FILES}-file target, ${REUSE ? 'changes and accepts as the earlier run wrote them' : `${drifts} with a new change, ${accepts} accepts`}`,
  REUSE ? '  writing: not measured (--reuse: the ledger of an earlier run; checks counted from its last commit time, changes and accepts not counted)' : `  writing: ${writeSeconds.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU, ${(CHECKS / writeSeconds).toFixed(0)} checks/s (in process)${CHECKS < YEAR ? `; year≈ ${((writeSeconds * scale) / 60).toFixed(0)} min` : ''}`,
  `  ledger: ${commits} commits (${(commits / CHECKS).toFixed(3)} per check), objects ${mb(objectsBytes)} on disk (${counts['count']} loose, ${counts['packs']} packs, ${counts['size-pack']} KiB packed)${CHECKS < YEAR ? `; year≈ ${mb(objectsBytes * scale)} (target ≤ 50 MB)` : ' (target ≤ 50 MB)'}`,
  `  reference: git's own pack of the same history: ${clonePackKiB} KiB as cloned, ${repackedKiB} KiB after git repack -adf --window=250 --depth=50`,
  `  clone (git clone --bare --single-branch, file://): ${cloneSeconds.toFixed(2)} s`,
  `  log --limit 50 (warm): ${log50.toFixed(2)} s CLI, ${log50op.toFixed(3)} s in process (target < 1 s)`,
  `  log --status drift (whole history): ${logDrift.toFixed(2)} s CLI, ${logDriftOp.toFixed(3)} s in process (target < 1 s)`,
  `  verify after one new check: ${incrementalCli.toFixed(2)} s CLI, ${incremental.toFixed(3)} s in process (target ≤ 0.5 s); driftctl --version alone: ${nodeStart.toFixed(2)} s`,
  `  verify --full: ${full.toFixed(2)} s in process = ${(commits / full).toFixed(0)} commits/s, ${fullCli.toFixed(2)} s CLI (target ≥ 1,000 commits/s)${CHECKS < YEAR ? `; year≈ ${(full * scale).toFixed(1)} s` : ''}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
