import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { cli, makeRepo, SEED_FILES, TEST_ENV, type CliRun, type TempRepo } from './repo.js';
import { expectCode, LEDGER, ledgerLog, ledgerPaths, oneJson, showJson, tryGit } from './e2e.js';
import type { Received } from './http-receiver.js';

/**
 * Helpers for the alert end-to-end tests: a project whose config has an `alerts:` section, a
 * fixed clock per command, and ways to read alert records, the outbox and Slack payloads back
 * with plain git.
 */

export const T0 = '2026-03-01T06:00:00.000Z';

/** `base` moved by `hours` (and minutes), as an ISO time for DRIFTCTL_NOW. */
export function at(hours: number, base = T0): string {
  return new Date(Date.parse(base) + hours * 3_600_000).toISOString();
}

/** The seed's sample project (the same files as `seedProject`). */
export const PROJECT_FILES: Record<string, string> = SEED_FILES;

const SEVERITY = `severity:
  default: low
  rules:
    - match: "config/**"
      severity: high
    - match: "prompts/**"
      severity: medium
`;

/** Indents a YAML fragment by `n` spaces. */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((line) => (line.trim() === '' ? line : pad + line))
    .join('\n');
}

/**
 * A config with the seed's sources (one target, "default") or the given `targets:` block, the
 * seed's severity rules (or `severity`), and `alerts:` holding `alertsYaml`.
 */
export function alertConfig(alertsYaml: string, options: { targets?: string; severity?: string; watch?: string } = {}): string {
  const watch = options.watch ?? '["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml", "config/**/*.json", "data/**/*"]';
  const sources = options.targets
    ? `targets:\n${indent(options.targets.trimEnd(), 2)}\n`
    : `sources:\n  - name: files\n    kind: files\n    root: .\n    watch: ${watch}\n    ignore: ["*.md"]\n`;
  return `version: 1\nledger:\n  branch: ${LEDGER}\n${sources}${options.severity ?? SEVERITY}alerts:\n${indent(alertsYaml.trimEnd(), 2)}\n`;
}

/** A repository holding the seed's sample files plus `files`, with `config` as driftctl.yml. */
export function alertProject(config: string, files: Record<string, string> = {}): () => TempRepo {
  return () => makeRepo({ 'driftctl.yml': config, ...PROJECT_FILES, ...files });
}

/** Runs the CLI at a fixed time (DRIFTCTL_NOW) with extra environment. */
export async function run(repo: TempRepo, args: string[], code: number, env: Record<string, string> = {}, now = T0): Promise<CliRun> {
  const result = await cli(repo.dir, args, { DRIFTCTL_NOW: now, ...env });
  expectCode(result, code, args.join(' '));
  return result;
}

/** Runs a `--json` command and returns its document. */
export async function runJson<T = any>(repo: TempRepo, args: string[], code: number, env: Record<string, string> = {}, now = T0): Promise<T> {
  return oneJson<T>(await run(repo, [...args, '--json'], code, env, now));
}

/** Every alert event record on the ledger branch, oldest first (ids sort by time). */
export function alertRecords(repo: TempRepo, target = 'default'): any[] {
  const paths = ledgerPaths(repo).filter((p) => p.startsWith(`targets/${target}/records/`) && p.endsWith('.alert.json'));
  for (const p of paths) assert.match(p, /^targets\/[^/]+\/records\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{8}T\d{9}Z-[0-9a-f]{6}\.alert\.json$/, `alert record path ${p}`);
  return paths.map((p) => showJson(repo, p)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The target's alerts.json on the ledger, or undefined. */
export function alertsState(repo: TempRepo, target = 'default'): any {
  const r = tryGit(repo, 'show', `${LEDGER}:targets/${target}/alerts.json`);
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

/** Paths under outbox/ on the ledger branch (`git ls-tree drift-ledger outbox/`). */
export function outboxFiles(repo: TempRepo): string[] {
  return repo.git('ls-tree', '-r', '--name-only', LEDGER, 'outbox/').split('\n').filter(Boolean);
}

/** Ledger commits with a trailer `Drift-Kind: <kind>` (alone, or among the operations of a check commit), newest first. */
export function commitsOfKind(repo: TempRepo, kind: string): ReturnType<typeof ledgerLog> {
  return ledgerLog(repo).filter((c) => c.kinds.includes(kind));
}

/** Parses a received request body as JSON (failing the test with the body when it is not). */
export function bodyJson(request: Received): any {
  try {
    return JSON.parse(request.body);
  } catch (error) {
    assert.unreachable(`request body is not valid JSON (${(error as Error).message}):\n${request.body.slice(0, 2000)}`);
    throw error;
  }
}

/**
 * Asserts a Slack incoming-webhook payload is well formed: a `text` fallback and Block Kit blocks
 * within Slack's limits. Returns it.
 */
export function assertSlackPayload(payload: any, what = 'slack payload'): any {
  assert.type(payload.text, 'string', `${what}: text`);
  assert.ok(payload.text.length > 0 && payload.text.length <= 3000, `${what}: text length ${payload.text.length}`);
  assert.ok(Array.isArray(payload.blocks), `${what}: blocks is an array`);
  assert.ok(payload.blocks.length >= 1 && payload.blocks.length <= 50, `${what}: ${payload.blocks.length} blocks`);
  for (const [i, block] of payload.blocks.entries()) {
    assert.ok(['header', 'section', 'context', 'divider', 'actions'].includes(block.type), `${what}: block ${i} type ${block.type}`);
    if (block.type === 'header') {
      assert.is(block.text.type, 'plain_text', `${what}: header text is plain_text`);
      assert.ok(block.text.text.length <= 150, `${what}: header ≤ 150 chars`);
    }
    if (block.type === 'section') {
      assert.ok(block.text || block.fields, `${what}: section ${i} has text or fields`);
      if (block.text) {
        assert.is(block.text.type, 'mrkdwn', `${what}: section ${i} text type`);
        assert.ok(block.text.text.length <= 3000, `${what}: section ${i} text ${block.text.text.length} chars`);
      }
      for (const field of block.fields ?? []) {
        assert.ok(['mrkdwn', 'plain_text'].includes(field.type), `${what}: field type`);
        assert.ok(field.text.length <= 2000, `${what}: field length`);
      }
      assert.ok((block.fields ?? []).length <= 10, `${what}: ≤ 10 fields`);
    }
    if (block.type === 'context') {
      assert.ok(Array.isArray(block.elements) && block.elements.length >= 1 && block.elements.length <= 10, `${what}: context elements`);
    }
  }
  return payload;
}

/** All the text a Slack payload shows (top-level text, every block text, field and element). */
export function slackTexts(payload: any): string {
  const out: string[] = [payload.text ?? ''];
  for (const block of payload.blocks ?? []) {
    if (block.text?.text) out.push(block.text.text);
    for (const f of block.fields ?? []) out.push(f.text);
    for (const e of block.elements ?? []) if (e.text) out.push(e.text);
  }
  return out.join('\n');
}

/**
 * Everything the ledger repository holds, as text: `git log -p` of the ledger branch with full
 * commit messages, every object of the repository (`cat-file --batch-all-objects`), every ref,
 * and every file under .git/driftctl (caches, lock) and .git itself that is not an object.
 */
export function everythingStored(repo: TempRepo): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: repo.dir, env: TEST_ENV, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const parts = [
    git('log', '-p', '--format=fuller', '--binary', LEDGER),
    git('cat-file', '--batch-all-objects', '--batch', '--unordered'),
    git('for-each-ref'),
  ];
  const gitdir = path.join(repo.dir, '.git');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (full === path.join(gitdir, 'objects')) continue;
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) parts.push(readFileSync(full).toString('latin1'));
    }
  };
  if (existsSync(gitdir)) walk(gitdir);
  return parts.join('\n');
}

/** Expects `run` to have printed nothing that contains any of `secrets`. */
export function assertNoSecret(text: string, secrets: string[], where: string): void {
  for (const secret of secrets) assert.not.ok(text.includes(secret), `${where} contains the secret ${JSON.stringify(secret)}`);
}
