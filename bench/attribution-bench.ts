/**
 * Attribution benchmark (issue 11): how much does naming who changed each entry add to a check?
 * Target: 20 changed files in a 100,000-commit repository cost < 1 s extra.
 *
 *   npm run bench:attribution -- [--commits 100000] [--files 2000] [--changes 20] [--runs 5] [--reuse]
 *
 * Builds a repository under bench/.work/attribution with `git fast-import` (`--commits` commits,
 * each editing one of `--files` files, one minute apart; the last `--changes` commits each edit
 * one of the changed files), checks it out, and times attributeFileChanges for those changes:
 * the git state of the 20 files plus one `git log` bounded by the baseline's time (the commit
 * before the changes). For scale it also times `git status` in the same tree (the reference) and
 * prints the ratio, and the unbounded case (a baseline older than every commit), where the walk
 * stops once each file has its 5 commits or after the 2 s budget (`--reuse` keeps the repository).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FilesSourceConfig } from '../src/config/config.js';
import type { Change } from '../src/drift/report.js';
import { attributeFileChanges } from '../src/attribution/attribution.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = path.join(ROOT, 'bench', '.work', 'attribution');
const TARGET_MS = 1000;
const T0 = Date.UTC(2024, 0, 1) / 1000;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const commits = option('commits', 100_000);
const files = option('files', 2000);
const changes = option('changes', 20);
const runs = option('runs', 5);
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: WORK };

const fileName = (i: number): string => `src/d${i % 100}/f${i}.txt`;

function build(): void {
  if (process.argv.includes('--reuse') && existsSync(path.join(WORK, '.git'))) {
    console.log(`reusing the repository in ${WORK}`);
    return;
  }
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', WORK], { env });
  const chunks: string[] = [];
  const data = (text: string): string => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let n = 1; n <= commits; n++) {
    const time = T0 + n * 60;
    // The last `changes` commits edit the changed files; every file exists from the first commit.
    const edits = n === 1 ? Array.from({ length: files }, (_, i) => i) : n > commits - changes ? [commits - n] : [(n * 7919) % files];
    const author = n > commits - changes ? `Dev ${n % 3} <dev${n % 3}@example.test>` : `Bot <bot@example.test>`;
    chunks.push(`commit refs/heads/main\nmark :${n}\nauthor ${author} ${time} +0000\ncommitter ${author} ${time} +0000\n${data(`change ${n}`)}`);
    if (n > 1) chunks.push(`from :${n - 1}\n`);
    for (const i of edits) chunks.push(`M 100644 inline ${fileName(i)}\n${data(`file ${i} version ${n}\n`)}`);
    chunks.push('\n');
  }
  const started = performance.now();
  const result = spawnSync('git', ['fast-import', '--quiet'], { cwd: WORK, env, input: chunks.join(''), maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`git fast-import failed: ${result.stderr.toString()}`);
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: WORK, env });
  console.log(`built ${commits} commits over ${files} files in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  build();
  const source: FilesSourceConfig = { name: 'files', kind: 'files', root: WORK, watch: ['**/*'], ignore: [], driftignore: [], structured: [], groups: [], ignoreFields: [] };
  const changed: Change[] = Array.from({ length: changes }, (_, i) => ({
    source: 'files',
    key: fileName(i),
    change: 'changed',
    severity: 'low',
    rule: 'default',
    before: { type: 'file', sha256: 'a'.repeat(64) },
    after: { type: 'file', sha256: 'b'.repeat(64) },
  }));
  const baseline = new Date((T0 + (commits - changes) * 60 + 30) * 1000);
  const time = async (since: Date | undefined): Promise<{ ms: number; named: number }> => {
    const started = performance.now();
    const found = await attributeFileChanges([source], changed, { env, since });
    const ms = performance.now() - started;
    const named = [...found.values()].filter((a, i) => a.state === 'committed' && a.commits?.[0]?.subject === `change ${commits - i}`).length;
    return { ms, named };
  };
  const bounded: number[] = [];
  const status: number[] = [];
  let named = 0;
  for (let r = 0; r < runs; r++) {
    const result = await time(baseline);
    bounded.push(result.ms);
    named = result.named;
    const started = performance.now();
    execFileSync('git', ['status', '--porcelain'], { cwd: WORK, env });
    status.push(performance.now() - started);
  }
  const unbounded = await time(undefined);
  const ms = median(bounded);
  const reference = median(status);
  console.log(`attribution of ${changes} changes, baseline before the last ${changes} commits: ${ms.toFixed(0)} ms median of ${runs} (${named}/${changes} named their commit)`);
  console.log(`reference: git status in the same tree: ${reference.toFixed(0)} ms; ratio ${(ms / reference).toFixed(2)}x`);
  console.log(`unbounded (a baseline older than all ${commits} commits): ${unbounded.ms.toFixed(0)} ms, ${unbounded.named}/${changes} named their last commit`);
  console.log(`target: < ${TARGET_MS} ms extra: ${ms < TARGET_MS ? 'met' : 'NOT met'}`);
  if (named !== changes) process.exitCode = 1;
}

await main();
