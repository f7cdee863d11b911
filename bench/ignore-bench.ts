/**
 * Ignore-list benchmark (issue 15): does listing a tree with 50,000 ignore rules cost about what it
 * costs with 50? Prints both medians and the ratio against the target "<= 5x" (indexing 50,000
 * rules is a fixed cost of a few hundred ms; testing each rule per path would be minutes).
 *
 *   npm run bench:ignore -- [--files 5000] [--runs 3]
 *
 * Builds one tree (`--files` files in 100 directories, plus ignored `buildN/` directories) under
 * bench/.work/ignore/ and times the files source's listing (`listFiles`, in this process) with
 * 50 rules (`build0/**` … `build49/**`, matched by the `ignore` package one by one) and with
 * 50,000 rules (indexed by literal segment). Runs alternate so that load hits both alike.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FilesSourceConfig } from '../src/config/config.js';
import { listFiles } from '../src/sources/files-source.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = path.join(ROOT, 'bench', '.work', 'ignore');
const TARGET_RATIO = 5;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const files = option('files', 5000);
const runs = option('runs', 3);
rmSync(WORK, { recursive: true, force: true });
for (let i = 0; i < files; i++) {
  const dir = path.join(WORK, 'src', `d${i % 100}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `f${i}.txt`), `${i}\n`);
}
for (let i = 0; i < 20; i++) {
  mkdirSync(path.join(WORK, `build${i * 7}`), { recursive: true });
  writeFileSync(path.join(WORK, `build${i * 7}`, 'out.bin'), 'x');
}

const config = (rules: number): FilesSourceConfig => ({
  name: 'files',
  kind: 'files',
  root: WORK,
  watch: ['**'],
  ignore: Array.from({ length: rules }, (_, i) => `build${i}/**`),
  driftignore: [],
  structured: [],
  groups: [],
  ignoreFields: [],
});

const small = config(50);
const large = config(50_000);
const times: { small: number[]; large: number[] } = { small: [], large: [] };
let listed = 0;
for (let run = 0; run < runs; run++) {
  for (const [name, cfg] of [['small', small], ['large', large]] as const) {
    const started = performance.now();
    const found = await listFiles(cfg);
    times[name].push(performance.now() - started);
    listed = found.length;
  }
}
const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
const ratio = median(times.large) / median(times.small);
console.log(`files listed: ${listed} (of ${files} + 20 ignored)`);
console.log(`50 rules:     ${times.small.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(times.small).toFixed(0)})`);
console.log(`50,000 rules: ${times.large.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(times.large).toFixed(0)})`);
console.log(`ratio 50,000 / 50 rules: ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x): ${ratio <= TARGET_RATIO ? 'PASS' : 'FAIL'}`);
rmSync(WORK, { recursive: true, force: true });
