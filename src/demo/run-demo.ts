import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built-in example (`npm run demo`): a scratch repository with prompts, configs and code;
 * `driftctl init`; a few edits; `driftctl check` with its report; the ledger read with plain git;
 * then an accept and a clean check. Every step runs the real CLI, as a user would.
 * `--keep` keeps the scratch repository; `--dir PATH` uses (and empties) PATH instead of a temp dir.
 */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/driftctl');

const args = process.argv.slice(2);
const keep = args.includes('--keep') || args.includes('--dir');
const dirArg = args.indexOf('--dir');
const dir = dirArg >= 0 ? path.resolve(args[dirArg + 1]) : mkdtempSync(path.join(tmpdir(), 'driftctl-demo-'));
if (dirArg >= 0) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'Demo User',
  GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'demo@example.com',
  GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'Demo User',
  GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'demo@example.com',
};

function write(file: string, content: string): void {
  const abs = path.join(dir, file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, content);
}

function banner(text: string): void {
  process.stdout.write(`\n\u001b[1m== ${text}\u001b[0m\n`);
}

function run(command: string, argv: string[], expect: number[] = [0]): number {
  const shown = command === process.execPath ? ['driftctl', ...argv.slice(1)] : [command, ...argv];
  process.stdout.write(`\n$ ${shown.join(' ')}\n`);
  const result = spawnSync(command, argv, { cwd: dir, env, stdio: 'inherit' });
  const code = result.status ?? 1;
  if (!expect.includes(code)) {
    process.stderr.write(`demo: "${shown.join(' ')}" exited with ${code}, expected ${expect.join(' or ')}\n`);
    process.exit(1);
  }
  if (command === process.execPath) process.stdout.write(`(exit ${code})\n`);
  return code;
}

const driftctl = (argv: string[], expect?: number[]): number => run(process.execPath, [BIN, ...argv], expect);

banner(`A scratch project in ${dir}`);
write('driftctl.yml', `version: 1
ledger:
  branch: drift-ledger
sources:
  - name: files
    kind: files
    root: .
    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml", "config/**/*.json", "models/**/*"]
    ignore: ["**/__pycache__/**", "*.md", "tests/**"]
    structured: ["config/**/*.yaml", "config/**/*.json"]   # compared field by field
    ignore_fields: ["/generated_at"]
    capture: ["prompts/**", "config/**"]               # keep their text in the ledger: changes show as diffs
severity:
  default: low
  rules:
    - name: model names
      match: "config/models.yaml#/models/*/name"
      severity: critical
    - match: "config/**"
      severity: high
    - match: "prompts/**"
      change: [changed]
      severity: medium
`);
write('src/main.py', 'from utils import answer\n\nprint(answer("hello"))\n');
write('src/utils.py', 'def answer(question):\n    return "42"\n');
write('prompts/system.txt', 'You are a careful assistant. Cite your sources.\n');
write('prompts/user.txt', 'Question: {question}\n');
write('config/models.yaml', 'generated_at: 2026-01-01T00:00:00Z\nnode_count: 3\nmodels:\n  primary:\n    name: gpt-4o\n    temperature: 0.2\n');
write('config/evals.json', '{"threshold": 0.8}\n');
write('models/classifier.onnx', 'binary-model-weights-v1\n');
write('README.md', '# demo project\n');
run('git', ['init', '-q', '-b', 'main']);
run('git', ['add', '-A']);
run('git', ['commit', '-q', '-m', 'demo project']);

banner('Record the baseline');
driftctl(['init']);

banner('Nothing changed yet: check is clean');
driftctl(['check'], [0]);

banner('Someone edits the model config (and its volatile generated_at) and a prompt, adds code, removes a model, touches the README');
write('config/models.yaml', '# regenerated\ngenerated_at: 2026-02-01T00:00:00Z\nnode_count: 5\nmodels:\n  primary:\n    name: gpt-4.1\n    temperature: 0.7\n  fallback:\n    name: gpt-4o-mini\n');
write('prompts/system.txt', 'You are a careful assistant.\n');
write('src/retry.py', 'def retry(fn):\n    return fn()\n');
rmSync(path.join(dir, 'models/classifier.onnx'));
write('README.md', '# demo project\n\nNow with more words (ignored).\n');

banner('check: the drift report (exit 2 means drift)');
driftctl(['check'], [2]);

banner('The ledger, read with plain git');
run('git', ['log', '--format=%h %s%n        %(trailers:key=Drift-Kind,key=Drift-Status,key=Drift-Severity,separator=%x2C )', 'drift-ledger']);
run('git', ['ls-tree', '-r', '--name-only', 'drift-ledger']);
run('git', ['status', '--short']);

banner('Accept the prompt change only, with a reason; the config change stays open');
driftctl(['accept', 'prompts/system.txt', '--reason', 'shorter system prompt approved in review']);
driftctl(['diff'], [2]);

banner('Accept the rest; the next check is clean');
driftctl(['accept', '--all', '--reason', 'gpt-4.1 rollout approved']);
driftctl(['check'], [0]);
driftctl(['log']);

banner('An auditor checks the whole history: schemas, append-only records, reproducible reports, hash chains');
driftctl(['verify']);
driftctl(['blame', 'config/models.yaml']);

if (keep) process.stdout.write(`\nThe demo repository is kept at ${dir}\n`);
else rmSync(dir, { recursive: true, force: true });
process.stdout.write('\ndemo finished\n');
