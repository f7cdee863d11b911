import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseYaml } from '../../src/yaml/yaml.js';
import { RECORD_ID } from '../helpers/e2e.js';
import { startGitServer } from '../helpers/git-server.js';
import { BIN, REPO_ROOT, SEED_CONFIG, SEED_FILES, TEST_ENV } from '../helpers/repo.js';

/**
 * action.yml run the way a GitHub runner runs a composite action: each step's `run` in bash with
 * its `env` (the `${{ inputs.* }}` and `${{ github.action_path }}` expressions substituted), the
 * GITHUB_* variables a runner sets, GITHUB_OUTPUT read back into the action's outputs; on a checkout
 * cloned from a loopback git smart-HTTP remote, as actions/checkout leaves it. Every process is
 * spawned asynchronously: the git server answers from this same event loop.
 */

function exec(command: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

interface ActionYaml {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: { id?: string; shell: string; env?: Record<string, string>; run: string }[] };
}

const ACTION = parseYaml(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionYaml;

async function runAction(workspace: string, binDir: string, inputs: Record<string, string>, stepEnv: Record<string, string> = {}): Promise<{ code: number; outputs: Record<string, string>; log: string }> {
  const temp = mkdtempSync(path.join(tmpdir(), 'driftctl-runner-temp-'));
  const stepOutputs: Record<string, Record<string, string>> = {};
  const values = Object.fromEntries(Object.entries(ACTION.inputs).map(([name, input]) => [name, inputs[name] ?? input.default ?? '']));
  const expand = (text: string): string =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
      if (expression === 'github.action_path') return REPO_ROOT;
      const input = /^inputs\.([\w-]+)$/.exec(expression);
      if (input) return values[input[1]] ?? '';
      const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expression);
      if (output) return stepOutputs[output[1]]?.[output[2]] ?? '';
      throw new Error(`the test runner does not evaluate \${{ ${expression} }}`);
    });
  let log = '';
  let code = 0;
  try {
    assert.is(ACTION.runs.using, 'composite');
    for (const [i, step] of ACTION.runs.steps.entries()) {
      assert.is(step.shell, 'bash');
      const outputFile = path.join(temp, `output-${i}`);
      writeFileSync(outputFile, '');
      const env = {
        ...TEST_ENV,
        PATH: `${binDir}:${process.env.PATH}`,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: outputFile,
        GITHUB_ACTION_PATH: REPO_ROOT,
        GITHUB_REPOSITORY: 'acme/ops',
        GITHUB_EVENT_NAME: 'schedule',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: '0'.repeat(40),
        GITHUB_RUN_ID: '1',
        RUNNER_TEMP: temp,
        ...stepEnv,
        ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v))])),
      };
      const r = await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', expand(step.run)], { cwd: workspace, env });
      log += r.stdout + r.stderr;
      if (step.id) stepOutputs[step.id] = Object.fromEntries(readFileSync(outputFile, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      if (r.status !== 0) {
        code = r.status ?? -1;
        break;
      }
    }
    const outputs = Object.fromEntries(Object.entries(ACTION.outputs).map(([name, output]) => [name, expand(output.value)]));
    return { code, outputs, log };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await exec('git', args, { cwd, env: TEST_ENV });
  assert.is(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

test('action.yml: init then scheduled checks on fresh checkouts fetch the ledger, push it, and expose status/highest/report-id', async () => {
  const server = await startGitServer();
  const work = mkdtempSync(path.join(tmpdir(), 'driftctl-action-'));
  try {
    const binDir = path.join(work, 'bin');
    mkdirSync(binDir);
    symlinkSync(BIN, path.join(binDir, 'driftctl'));
    server.createRepo('ops', 'main');
    const remote = `${server.url}/ops.git`;

    const seed = path.join(work, 'seed');
    mkdirSync(seed);
    await git(seed, 'init', '-q', '-b', 'main');
    for (const [file, content] of Object.entries({ 'driftctl.yml': SEED_CONFIG, ...SEED_FILES })) {
      mkdirSync(path.dirname(path.join(seed, file)), { recursive: true });
      writeFileSync(path.join(seed, file), content);
    }
    await git(seed, 'add', '-A');
    await git(seed, 'commit', '-q', '-m', 'seed');
    await git(seed, 'remote', 'add', 'origin', remote);
    await git(seed, 'push', '-q', 'origin', 'main');

    const checkout = async (name: string): Promise<string> => {
      const dir = path.join(work, name);
      await git(work, 'clone', '-q', remote, dir);
      return dir;
    };

    // First run: init, pushed.
    const first = await runAction(await checkout('run1'), binDir, { command: 'init' });
    assert.is(first.code, 0, first.log);
    const initTip = (await git(seed, 'ls-remote', remote, 'refs/heads/drift-ledger')).split('\t')[0];
    assert.match(initTip, /^[0-9a-f]{40}$/);

    // A later run on a fresh checkout: clean; the ledger fetched first, so the check extends it.
    const clean = await runAction(await checkout('run2'), binDir, {});
    assert.is(clean.code, 0, clean.log);
    assert.equal({ status: clean.outputs.status, highest: clean.outputs.highest }, { status: 'clean', highest: 'none' });
    assert.match(clean.outputs['report-id'], RECORD_ID);
    const cleanTip = (await git(seed, 'ls-remote', remote, 'refs/heads/drift-ledger')).split('\t')[0];
    assert.is.not(cleanTip, initTip);
    await git(seed, 'fetch', '-q', 'origin', 'drift-ledger');
    await git(seed, 'merge-base', '--is-ancestor', initTip, cleanTip); // exit 0: the check extended the fetched ledger

    // Drift: recorded and pushed; the step passes unless fail-on-drift.
    const drifted = await checkout('run3');
    writeFileSync(path.join(drifted, 'config/models.yaml'), 'models:\n  primary:\n    name: gpt-4.1\n');
    const drift = await runAction(drifted, binDir, {});
    assert.is(drift.code, 0, drift.log);
    assert.equal({ status: drift.outputs.status, highest: drift.outputs.highest }, { status: 'drift', highest: 'high' });
    assert.match(drift.outputs['report-id'], RECORD_ID);
    const driftTip = (await git(seed, 'ls-remote', remote, 'refs/heads/drift-ledger')).split('\t')[0];
    assert.is(driftTip, await git(drifted, 'rev-parse', 'refs/heads/drift-ledger'));
    assert.match(drift.log, 'drift found and recorded');

    const failing = await checkout('run4');
    writeFileSync(path.join(failing, 'config/models.yaml'), 'models:\n  primary:\n    name: gpt-4.1\n');
    const failed = await runAction(failing, binDir, { 'fail-on-drift': 'true', 'push-ledger': 'false' });
    assert.is(failed.code, 2, failed.log);
    assert.is(failed.outputs.status, 'drift');
    assert.is((await git(seed, 'ls-remote', remote, 'refs/heads/drift-ledger')).split('\t')[0], driftTip, 'push-ledger: false pushes nothing');

    // An error (a config that does not exist) fails the step with status error.
    const broken = await runAction(await checkout('run5'), binDir, { config: 'missing.yml' });
    assert.is(broken.code, 1, broken.log);
    assert.is(broken.outputs.status, 'error');
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('the workflow "ci github" writes for ledger.remote: its action step (inputs and secrets as GitHub maps them) pulls the ledger, records drift there with the token, pushes nothing to the watched repository', async () => {
  const TOKEN = 'tok-action-4c2e8b1d9f';
  const watched = await startGitServer();
  const ledgerServer = await startGitServer({ token: TOKEN });
  const work = mkdtempSync(path.join(tmpdir(), 'driftctl-action-remote-'));
  try {
    const binDir = path.join(work, 'bin');
    mkdirSync(binDir);
    symlinkSync(BIN, path.join(binDir, 'driftctl'));
    watched.createRepo('ops', 'main');
    const ledgerBare = ledgerServer.createRepo('ledger');
    const remote = `${watched.url}/ops.git`;
    const config = SEED_CONFIG.replace('  branch: drift-ledger\n', `  branch: drift-ledger\n  remote: ${ledgerServer.url}/ledger.git\n  token_env: LEDGER_TOKEN\n`);

    const seed = path.join(work, 'seed');
    mkdirSync(seed);
    await git(seed, 'init', '-q', '-b', 'main');
    for (const [file, content] of Object.entries({ 'driftctl.yml': config, ...SEED_FILES })) {
      mkdirSync(path.dirname(path.join(seed, file)), { recursive: true });
      writeFileSync(path.join(seed, file), content);
    }
    const init = await exec(BIN, ['init'], { cwd: seed, env: { ...TEST_ENV, LEDGER_TOKEN: TOKEN } });
    assert.is(init.status, 0, init.stderr);
    const generated = await exec(BIN, ['ci', 'github', '--json'], { cwd: seed, env: TEST_ENV });
    assert.is(generated.status, 0, generated.stderr);
    const workflow = parseYaml(readFileSync(path.join(seed, '.github/workflows/driftctl.yml'), 'utf8')) as any;
    const step = (workflow.jobs.check.steps as any[]).find((s) => typeof s.uses === 'string' && s.uses.startsWith('driftctl/driftctl@'));
    assert.ok(step, 'the workflow uses the action');
    const secrets: Record<string, string> = { LEDGER_TOKEN: TOKEN };
    const stepEnv = Object.fromEntries(
      Object.entries(step.env as Record<string, string>).map(([name, value]) => [name, String(value).replace(/^\$\{\{\s*secrets\.(\w+)\s*\}\}$/, (_, secret: string) => secrets[secret] ?? '')]),
    );
    await git(seed, 'add', '-A');
    await git(seed, 'commit', '-q', '-m', 'seed');
    await git(seed, 'remote', 'add', 'origin', remote);
    await git(seed, 'push', '-q', 'origin', 'main');
    const initTip = (await git(ledgerBare, 'rev-parse', 'refs/heads/drift-ledger')).trim();

    const checkout = path.join(work, 'run1');
    await git(work, 'clone', '-q', remote, checkout);
    writeFileSync(path.join(checkout, 'config/models.yaml'), 'models:\n  primary:\n    name: gpt-4.1\n');
    const drift = await runAction(checkout, binDir, step.with as Record<string, string>, stepEnv);
    assert.is(drift.code, 0, drift.log);
    assert.equal({ status: drift.outputs.status, highest: drift.outputs.highest }, { status: 'drift', highest: 'high' });
    assert.match(drift.outputs['report-id'], RECORD_ID);
    assert.not.match(drift.log, TOKEN);
    const tip = (await git(ledgerBare, 'rev-parse', 'refs/heads/drift-ledger')).trim();
    assert.is.not(tip, initTip, 'the ledger repository received the report');
    await git(ledgerBare, 'merge-base', '--is-ancestor', initTip, tip);
    assert.is((await git(seed, 'ls-remote', remote, 'refs/heads/drift-ledger')).trim(), '', 'no ledger branch pushed to the watched repository');

    // Without the secret the step fails (exit 1), naming the variable.
    const bare = path.join(work, 'run2');
    await git(work, 'clone', '-q', remote, bare);
    const missing = await runAction(bare, binDir, step.with as Record<string, string>, { ...stepEnv, LEDGER_TOKEN: '' });
    assert.is(missing.code, 1, missing.log);
    assert.match(missing.log, 'LEDGER_TOKEN');
  } finally {
    await watched.close();
    await ledgerServer.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
