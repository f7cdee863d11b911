/**
 * Start-up benchmark: what every driftctl command pays before doing anything, measured as whole
 * processes (user+system CPU and wall clock, via /usr/bin/time), median of --runs runs, beside
 * `node -e 0` and `git status` on the same repository in the same run.
 *
 *   npm run bench:startup -- [--runs 7] [--bin path/to/driftctl] [--reference path/to/other/bin/driftctl]
 *                            [--tree bench/.work/100000/tree] [--keep]
 *
 * The repository has ten files and no alert channels (the issue's "tiny check"). Commands run
 * round-robin, so load on the machine hits all of them alike. Prints every median and the ratios
 * against `node -e 0` (CPU) and the targets: `--version` at most 2x `node -e 0`, `check` at most
 * 0.3 s of CPU. Work directories live under bench/.work/startup/ (git-ignored).
 *
 * --reference runs every driftctl case with a second build too (say a checkout of main), in the
 * same round-robin, so before and after are measured under the same load. --tree adds two cases on
 * an initialised tree with outstanding changes, such as the 100,000-file tree `npm run bench --
 * --sizes 100000 --keep` leaves: `diff baseline latest` (target under 0.3 s wall) and `check`
 * (each run records a report restating the changes; peak RSS target at most 300 MB).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV } from './shared.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = path.join(ROOT, 'bench', '.work', 'startup');

interface Options {
  runs: number;
  bin: string;
  reference?: string;
  tree?: string;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 7, bin: path.join(ROOT, 'bin', 'driftctl'), keep: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') options.runs = Math.max(1, Number(argv[++i]));
    else if (argv[i] === '--bin') options.bin = path.resolve(argv[++i] as string);
    else if (argv[i] === '--reference') options.reference = path.resolve(argv[++i] as string);
    else if (argv[i] === '--tree') options.tree = path.resolve(argv[++i] as string);
    else if (argv[i] === '--keep') options.keep = true;
    else throw new Error(`unknown option ${argv[i]} (known: --runs N, --bin PATH, --reference PATH, --tree DIR, --keep)`);
  }
  return options;
}

interface Sample {
  cpu: number;
  wall: number;
  rssMb: number;
}

/** One whole process under /usr/bin/time: CPU seconds (user+sys), wall seconds, peak RSS. */
function measure(command: string[], cwd: string, okCodes: number[]): Sample {
  const out = path.join(WORK, 'time.out');
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e %M', '-o', out, ...command], { cwd, env: GIT_ENV, encoding: 'utf8' });
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${command.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const [user, sys, wall, rssKb] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { cpu: user! + sys!, wall: wall!, rssMb: rssKb! / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  mkdirSync(WORK, { recursive: true });
  const repo = mkdtempSync(path.join(WORK, 'repo-'));
  try {
    git(repo, 'init', '-q', '-b', 'main');
    for (let i = 0; i < 10; i++) {
      mkdirSync(path.join(repo, `dir${i % 3}`), { recursive: true });
      writeFileSync(path.join(repo, `dir${i % 3}`, `file${i}.txt`), `content ${i}\n`);
    }
    writeFileSync(path.join(repo, 'driftctl.yml'), 'version: 1\nsources:\n  - name: files\n    kind: files\n    root: .\n    watch: ["dir*/**"]\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'seed');
    const bin = options.bin;
    const init = spawnSync(process.execPath, [bin, 'init'], { cwd: repo, env: GIT_ENV, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`init: ${init.stderr}`);

    const builds: { label: string; bin: string }[] = [{ label: '', bin }, ...(options.reference ? [{ label: ' [reference]', bin: options.reference }] : [])];
    const cases: { name: string; command: string[]; ok: number[]; cwd: string }[] = [
      { name: 'node -e 0', command: [process.execPath, '-e', '0'], ok: [0], cwd: repo },
      { name: 'git status', command: ['git', 'status', '--short'], ok: [0], cwd: repo },
    ];
    for (const build of builds) {
      cases.push(
        { name: `driftctl --version${build.label}`, command: [process.execPath, build.bin, '--version'], ok: [0], cwd: repo },
        { name: `driftctl --help${build.label}`, command: [process.execPath, build.bin, '--help'], ok: [0], cwd: repo },
        { name: `driftctl check (10 files)${build.label}`, command: [process.execPath, build.bin, 'check'], ok: [0], cwd: repo },
        { name: `driftctl diff${build.label}`, command: [process.execPath, build.bin, 'diff', 'baseline', 'latest'], ok: [0], cwd: repo },
        { name: `driftctl status${build.label}`, command: [process.execPath, build.bin, 'status'], ok: [0, 2], cwd: repo },
      );
    }
    if (options.tree) {
      cases.push({ name: 'git status (tree)', command: ['git', 'status', '--short'], ok: [0], cwd: options.tree });
      for (const build of builds) {
        cases.push(
          { name: `driftctl diff baseline latest (tree)${build.label}`, command: [process.execPath, build.bin, 'diff', 'baseline', 'latest', '--json'], ok: [0, 2], cwd: options.tree },
          { name: `driftctl check (tree)${build.label}`, command: [process.execPath, build.bin, 'check', '--json'], ok: [0, 2], cwd: options.tree },
        );
      }
    }
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
    for (const c of cases) measure(c.command, c.cwd, c.ok); // warm the file cache
    for (let run = 0; run < options.runs; run++) for (const c of cases) samples.get(c.name)!.push(measure(c.command, c.cwd, c.ok));

    const nodeCpu = median(samples.get('node -e 0')!.map((s) => s.cpu));
    const nodeWall = median(samples.get('node -e 0')!.map((s) => s.wall));
    const gitCpu = median(samples.get('git status')!.map((s) => s.cpu));
    console.log(`startup bench: ${options.runs} runs each, median; bin ${path.relative(process.cwd(), bin) || bin}${options.reference ? `; reference ${options.reference}` : ''}${options.tree ? `; tree ${options.tree}` : ''}; load average ${os.loadavg()[0].toFixed(1)}`);
    console.log('| command | CPU s | wall s | peak RSS MB | CPU ÷ node -e 0 | wall ÷ node -e 0 | CPU ÷ git status |');
    console.log('|---|---|---|---|---|---|---|');
    for (const c of cases) {
      const list = samples.get(c.name)!;
      const cpu = median(list.map((s) => s.cpu));
      const wall = median(list.map((s) => s.wall));
      const rss = median(list.map((s) => s.rssMb));
      console.log(`| ${c.name} | ${cpu.toFixed(2)} | ${wall.toFixed(2)} | ${rss.toFixed(0)} | ${(cpu / Math.max(nodeCpu, 0.01)).toFixed(1)}× | ${(wall / Math.max(nodeWall, 0.01)).toFixed(1)}× | ${(cpu / Math.max(gitCpu, 0.01)).toFixed(0)}× |`);
    }
    const version = median(samples.get('driftctl --version')!.map((s) => s.cpu));
    const check = median(samples.get('driftctl check (10 files)')!.map((s) => s.cpu));
    if (options.tree) {
      const treeDiff = median(samples.get('driftctl diff baseline latest (tree)')!.map((s) => s.wall));
      const treeRss = Math.max(...samples.get('driftctl check (tree)')!.map((s) => s.rssMb));
      console.log(`targets on the tree: diff ${treeDiff.toFixed(2)} s wall (target < 0.30 s): ${treeDiff < 0.3 ? 'met' : 'not met'}; check peak RSS ${treeRss.toFixed(0)} MB (target ≤ 300 MB): ${treeRss <= 300 ? 'met' : 'not met'}`);
    }
    console.log(`targets: --version ${(version / Math.max(nodeCpu, 0.01)).toFixed(1)}× node -e 0 (target ≤ 2×): ${version <= 2 * nodeCpu ? 'met' : 'not met'}; check ${check.toFixed(2)} s CPU (target ≤ 0.30 s): ${check <= 0.3 ? 'met' : 'not met'}`);
  } finally {
    if (!options.keep) rmSync(repo, { recursive: true, force: true });
  }
}

main();
