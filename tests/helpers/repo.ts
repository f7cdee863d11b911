import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';

/** Repository root (tests run from dist/tests/..., so go up to the checkout). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(REPO_ROOT, 'bin', 'driftctl');

/** A fixed author and clock so commits are reproducible. */
export const TEST_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.test',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
  HOME: tmpdir(),
  PATH: process.env.PATH ?? '/usr/bin:/bin',
};

export interface TempRepo {
  dir: string;
  write(file: string, content: string | Buffer): void;
  remove(file: string): void;
  git(...args: string[]): string;
  cleanup(): void;
}

/** A fresh git repository in a temporary directory, optionally with files. */
export function makeRepo(files: Record<string, string | Buffer> = {}): TempRepo {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-test-'));
  const repo: TempRepo = {
    dir,
    write(file, content) {
      const abs = path.join(dir, file);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    },
    remove(file) {
      rmSync(path.join(dir, file), { recursive: true, force: true });
    },
    git(...args) {
      return execFileSync('git', args, { cwd: dir, env: TEST_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  repo.git('init', '-q', '-b', 'main');
  for (const [file, content] of Object.entries(files)) repo.write(file, content);
  return repo;
}

/** The seed's sample project: code, prompts, configs and an ignored README. */
export const SEED_CONFIG = `version: 1
ledger:
  branch: drift-ledger
sources:
  - name: files
    kind: files
    root: .
    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml", "config/**/*.json", "models/**/*"]
    ignore: ["**/__pycache__/**", "*.md", "tests/**"]
severity:
  default: low
  rules:
    - match: "config/**"
      severity: high
    - match: "prompts/**"
      severity: medium
`;

export const SEED_FILES: Record<string, string> = {
  'src/main.py': 'print("hello")\n',
  'src/utils.py': 'def helper():\n    return 1\n',
  'prompts/system.txt': 'You are a helpful assistant.\n',
  'prompts/user.txt': 'Answer the question: {question}\n',
  'config/models.yaml': 'models:\n  primary:\n    name: gpt-4o\n',
  'config/evals.json': '{"threshold": 0.8}\n',
  'README.md': '# test project\n',
};

export function seedProject(config = SEED_CONFIG): TempRepo {
  return makeRepo({ 'driftctl.yml': config, ...SEED_FILES });
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/** Runs the CLI in this process (fast); the environment is the fixed test environment plus `env`. */
export async function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    env: { ...TEST_ENV, ...env },
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

/** Runs bin/driftctl as a real process. */
export function spawnCli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return spawnCliWith(cwd, args, { env });
}

/** Runs bin/driftctl as a real process with extra spawn options (for example another uid). */
export function spawnCliWith(cwd: string, args: string[], options: { uid?: number; gid?: number; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...TEST_ENV, ...options.env }, uid: options.uid, gid: options.gid });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}
