import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFileName } from '../../src/sources/file-names.js';
import { cli, makeRepo, seedProject, SEED_CONFIG, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, oneJson, tryGit } from '../helpers/e2e.js';
import { prng } from '../../bench/shared.js';

/**
 * Fuzzing (issue 15) with a fixed seed, bounded by a case count and a time budget (a loaded
 * machine runs fewer cases; no assertion depends on time): random configs never give an internal
 * error, and random file names are all recorded, each under a key that gives its bytes back.
 * FUZZ_SEED=<n> replays another sequence.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x15_f0_22);
const BUDGET_MS = 15_000;

function assertFsck(repo: TempRepo, what: string): void {
  const r = tryGit(repo, 'fsck', '--strict', '--no-progress');
  assert.is(r.status, 0, `git fsck --strict (${what}): ${r.stdout}${r.stderr}`);
}

async function assertVerifyPasses(repo: TempRepo, what: string): Promise<void> {
  const run = await cli(repo.dir, ['verify', '--json']);
  const result = oneJson<{ status: string; checks: { problems: string[] }[] }>(run);
  assert.is(result.status, 'PASS', `verify (${what}): ${result.checks.flatMap((c) => c.problems).join('\n')}`);
}

/** YAML fragments that configs are made of, to splice into the seed config. */
const TOKENS = [
  '\n', ': ', '- ', '[', ']', '{', '}', ',', '"', "'", '&a ', '*a', '<<: *a', '!!binary ', '!!str', '~', 'null', '-1', '1e400', '0x10',
  '\t', '#', '|', '>', '? ', '---\n', '...\n', 'version: 2', 'sources: []', 'kind: command', 'kind: nope', 'watch: 5', 'ignore: [""]',
  'severity: critical', 'match: "a#/b~2"', 'match: "#"', 'branch: ""', 'branch: main', 'root: ../..', 'exec: [ssh, "-oX"]', '\u0000', '\uFFFD', '\u202E',
];

/** A config: the seed config cut, spliced, with bytes flipped, or random bytes (never a `/`, so no root can leave the repository). */
function randomConfig(rand: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const mode = rand();
  if (mode < 0.15) return Buffer.from(Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256)).filter((b) => b !== 0x2f));
  let text = SEED_CONFIG;
  const edits = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (text.length + 1));
    const kind = rand();
    if (kind < 0.4) text = text.slice(0, at) + pick(TOKENS) + text.slice(at);
    else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 20));
    else if (kind < 0.85) text = text.slice(0, at);
    else text = text.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x7f)).replace('/', '.') + text.slice(at + 1);
  }
  return Buffer.from(text);
}

test(
  'fuzz: random configs are a clean error (or a valid config), never an internal error; the ledger stays intact',
  inRepo(seedProject, async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const rand = prng(SEED);
    const started = Date.now();
    let cases = 0;
    for (; cases < 400 && Date.now() - started < BUDGET_MS; cases++) {
      const config = randomConfig(rand);
      writeFileSync(path.join(repo.dir, 'fuzz.yml'), config);
      // `log` loads and validates the whole config and opens the ledger, but observes nothing.
      const run = await cli(repo.dir, ['log', '--limit', '1', '--config', 'fuzz.yml']);
      const shown = `case ${cases} (FUZZ_SEED=${SEED}), config:\n${config.toString('utf8')}\n`;
      assert.ok(run.code === 0 || run.code === 1, `${shown}exit ${run.code}\n${run.stderr}`);
      if (run.code === 1) {
        assert.match(run.stderr, /^driftctl: error: /, shown + run.stderr);
        assert.not.match(run.stderr, /internal error/, shown + run.stderr);
      }
    }
    assert.ok(cases > 0);
    assertFsck(repo, 'after config fuzzing');
    await assertVerifyPasses(repo, 'after config fuzzing');
  }),
);

/** A random file name: 1-12 bytes, none of them "/" or NUL, never "." or "..". */
function randomName(rand: () => number): Buffer {
  for (;;) {
    const bytes = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => {
      // Mostly awkward bytes: controls, newlines, high bytes; some plain letters and dots.
      const r = rand();
      if (r < 0.3) return 0x61 + Math.floor(rand() * 26);
      if (r < 0.4) return 0x2e;
      return 1 + Math.floor(rand() * 255);
    }).filter((b) => b !== 0x2f);
    const name = Buffer.from(bytes);
    const text = name.toString('latin1');
    if (bytes.length > 0 && text !== '.' && text !== '..' && text.toLowerCase() !== '.git') return name;
  }
}

test(
  'fuzz: files with random byte names are all recorded under keys that give their names back, and their drift is seen',
  inRepo(
    () => makeRepo({ 'driftctl.yml': 'version: 1\nsources:\n  - name: files\n    kind: files\n    watch: ["src/**"]\n' }),
    async (repo) => {
      const rand = prng(SEED ^ 0x5eed);
      const src = Buffer.from(path.join(repo.dir, 'src/'));
      // Names as root-relative byte strings (latin1 keeps one char per byte).
      for (let i = 0; i < 60; i++) {
        const dir = rand() < 0.3 ? Buffer.concat([randomName(rand), Buffer.from('/')]) : Buffer.alloc(0);
        const rel = Buffer.concat([dir, randomName(rand)]);
        const full = Buffer.concat([src, rel]);
        try {
          if (dir.length > 0) mkdirSync(Buffer.concat([src, dir]), { recursive: true });
          writeFileSync(full, `file ${i}\n`);
        } catch {
          // A name already taken by a directory (or the reverse): skip it.
        }
      }
      // What exists on disk (a later name may have replaced an earlier one's kind).
      const onDisk = new Set<string>();
      const walk = (dir: Buffer, rel: string): void => {
        for (const d of readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })) {
          const child = `${rel}${d.name.toString('latin1')}`;
          if (d.isDirectory()) walk(Buffer.concat([dir, Buffer.from('/'), d.name]), `${child}/`);
          else onDisk.add(child);
        }
      };
      walk(Buffer.from(path.join(repo.dir, 'src')), 'src/');
      const run = await cli(repo.dir, ['init', '--json']);
      expectCode(run, 0, `init (FUZZ_SEED=${SEED})`);
      assert.is(oneJson(run).targets[0].entries, onDisk.size, 'every file is an entry');
      assertFsck(repo, 'random names');
      for (const rel of onDisk) appendFileSync(Buffer.concat([Buffer.from(`${repo.dir}/`), Buffer.from(rel, 'latin1')]), 'changed\n');
      const check = await cli(repo.dir, ['check', '--json']);
      expectCode(check, 2, 'check after changing every file');
      const keys = oneJson(check).reports[0].changes.map((c: { key: string }) => encodeFileName(c.key).toString('latin1')).sort();
      assert.equal(keys, [...onDisk].sort(), 'each change names its file, and the key gives the name back');
      assertFsck(repo, 'random names after check');
      await assertVerifyPasses(repo, 'random names');
    },
  ),
);

test.run();
