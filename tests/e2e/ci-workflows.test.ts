import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { bodyJson } from '../helpers/alerts.js';
import { expectCode, inRepo, LEDGER, oneJson } from '../helpers/e2e.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { startReceiver } from '../helpers/http-receiver.js';
import { BIN, cli, makeRepo, SEED_CONFIG, SEED_FILES, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { TOOL_VERSION } from '../../src/version.js';

/**
 * `driftctl ci github|gitlab` for every ledger and secret layout the README documents: the files
 * are checked structurally (parsed YAML: every secret driftctl reads is in the check step's env from
 * `secrets.<same name>`, actions pinned by commit, driftctl installed rather than `npm ci`), and
 * their shell steps are run against loopback git servers, the way the CI runner would run them.
 */

const TOKEN = 'tok-ci-7d1e9a5c3b';

function withRemote(url: string, extra = ''): string {
  return SEED_CONFIG.replace('  branch: drift-ledger\n', `  branch: drift-ledger\n  remote: ${url}\n${extra}`);
}

const EVERYTHING = `${withRemote('https://github.com/acme/ops-ledger.git', '  token_env: LEDGER_TOKEN\n  username_env: LEDGER_USER\n')}alerts:
  channels:
    - { name: ops-slack, kind: slack, webhook_env: SLACK_WEBHOOK_URL, min_severity: high }
    - { name: hook, kind: webhook, url_env: DRIFT_WEBHOOK_URL, secret_env: DRIFT_WEBHOOK_SECRET }
github:
  owner: acme
  repo: ops-ledger
targets: null
`.replace('targets: null\n', '');

const WITH_SOURCES = `${EVERYTHING}`.replace(
  'sources:\n',
  `sources:
  - { kind: http, name: svc, url: "https://api.example.test/x", parse: json, headers_env: { Authorization: SVC_TOKEN } }
  - { kind: command, name: images, argv: [docker, image, ls], parse: lines, env: [DOCKER_HOST] }
`,
);

async function generate(repo: TempRepo, provider: 'github' | 'gitlab', args: string[] = []): Promise<{ text: string; doc: any; result: any }> {
  // GitHub: the inline steps (`--inline`); the default, which uses the action, is tests/e2e/ci-action.
  const run = await cli(repo.dir, ['ci', provider, '--json', ...(provider === 'github' ? ['--inline'] : []), ...args]);
  expectCode(run, 0, `ci ${provider}`);
  const result = oneJson(run);
  const text = readFileSync(result.file, 'utf8');
  return { text, doc: parse(text), result };
}

/** Structural rules every generated workflow keeps. */
function assertWorkflowBasics(text: string, doc: any): any[] {
  const steps: any[] = doc.jobs.check.steps;
  assert.not.match(text, /npm ci\b/, 'never `npm ci` of the watched repository');
  const install = steps.find((s) => s.name === 'Install driftctl');
  assert.is(install.run, `npm install --global --no-audit --no-fund driftctl@${TOOL_VERSION}`);
  for (const step of steps.filter((s) => s.uses)) {
    assert.match(step.uses, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `pinned by commit: ${step.uses}`);
    assert.match(text, new RegExp(`uses: ${step.uses.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} # v\\d+\\.\\d+\\.\\d+\\n`), `the tag as a comment after ${step.uses}`);
  }
  // Every secret reference is `NAME: ${{ secrets.NAME }}` in the check step's env, nowhere else.
  const check = steps.find((s) => s.name === 'driftctl check');
  for (const [name, value] of Object.entries(check.env as Record<string, string>)) {
    if (/secrets\./.test(value)) assert.is(value, `\${{ secrets.${name} }}`, `env ${name}`);
  }
  const references = [...text.matchAll(/\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]);
  assert.equal(references.sort(), Object.keys(check.env).filter((k) => /secrets\./.test(check.env[k])).sort(), 'secrets appear only in the check step env');
  assert.is(check.env.FAIL_ON_DRIFT, 'false');
  assert.ok(check.env.GIT_AUTHOR_NAME && check.env.GIT_AUTHOR_EMAIL, 'an identity for ledger commits');
  return steps;
}

const secretsOf = (step: any): string[] => Object.keys(step.env).filter((k) => /secrets\./.test(step.env[k])).sort();

test(
  'ci github, same-repo ledger: full history, the ledger branch tracked and pushed with the job token, contents: write only, no secrets',
  inRepo(seedProject, async (repo) => {
    const { text, doc, result } = await generate(repo, 'github');
    assert.equal([result.ledger, result.secrets], ['same-repo', []]);
    const steps = assertWorkflowBasics(text, doc);
    assert.equal(doc.permissions, { contents: 'write' });
    assert.equal(steps[0].with, { 'fetch-depth': 0 });
    assert.equal(secretsOf(steps.find((s) => s.name === 'driftctl check')), []);
    assert.ok(steps.some((s) => s.name === 'Track the ledger branch'));
    assert.is(steps.at(-1).run, `git push origin ${LEDGER}`);
  }),
);

test(
  'ci github, separate ledger repository with a token secret, Slack and signed webhook, GitHub accept PRs, an HTTP header secret: each secret from secrets.<name>; driftctl pulls and pushes the ledger itself',
  inRepo(() => makeRepo({ ...SEED_FILES, 'driftctl.yml': WITH_SOURCES }), async (repo) => {
    const { text, doc, result } = await generate(repo, 'github');
    assert.is(result.ledger, 'remote');
    const steps = assertWorkflowBasics(text, doc);
    const check = steps.find((s) => s.name === 'driftctl check');
    assert.equal(secretsOf(check), ['DRIFT_WEBHOOK_SECRET', 'DRIFT_WEBHOOK_URL', 'GITHUB_TOKEN', 'LEDGER_TOKEN', 'LEDGER_USER', 'SLACK_WEBHOOK_URL', 'SVC_TOKEN']);
    assert.match(check.run, /^driftctl pull\ncode=0\ndriftctl check \|\| code=\$\?\n/);
    assert.not.ok(steps.some((s) => /git push|Track the ledger/.test(`${s.run ?? ''}${s.name ?? ''}`)), 'no git push of the watched repository');
    assert.equal(doc.permissions, { contents: 'read', 'pull-requests': 'write' });
    assert.match(text, /# Secrets to create \(Settings > Secrets and variables > Actions\): DRIFT_WEBHOOK_SECRET, DRIFT_WEBHOOK_URL, LEDGER_TOKEN, LEDGER_USER, SLACK_WEBHOOK_URL, SVC_TOKEN/);
    assert.match(text, /# Sources also read DOCKER_HOST from the environment/);
  }),
);

const PAGING = `${SEED_CONFIG}alerts:
  channels:
    - { name: mail, kind: email, host: smtp.example.test, user_env: SMTP_USER, password_env: SMTP_PASSWORD, from: "driftctl <drift@example.test>", to: [ops@example.test] }
    - { name: text, kind: sms, account_sid_env: TWILIO_SID, auth_token_env: TWILIO_TOKEN, from: "+15550001111", to: ["+15550002222"] }
    - { name: pager, kind: pagerduty, routing_key_env: PD_ROUTING_KEY }
`;

test(
  'ci github/gitlab, email, sms and pagerduty channels: the SMTP login, the SMS account SID and token and the routing key are each mapped from secrets.<name>',
  inRepo(() => makeRepo({ ...SEED_FILES, 'driftctl.yml': PAGING }), async (repo) => {
    const { text, doc, result } = await generate(repo, 'github');
    const expected = ['PD_ROUTING_KEY', 'SMTP_PASSWORD', 'SMTP_USER', 'TWILIO_SID', 'TWILIO_TOKEN'];
    assert.equal([result.ledger, result.secrets], ['same-repo', expected]);
    const steps = assertWorkflowBasics(text, doc);
    assert.equal(secretsOf(steps.find((s) => s.name === 'driftctl check')), expected);
    const gitlab = await generate(repo, 'gitlab', ['--force']);
    assert.equal(gitlab.result.secrets, expected);
  }),
);

test(
  'ci github/gitlab --config: the config path is passed to every driftctl command; a ledger kept only in ledger.path is refused (it would vanish with the runner)',
  inRepo(() => makeRepo({ ...SEED_FILES, 'ops/drift.yml': SEED_CONFIG, 'local.yml': SEED_CONFIG.replace('  branch: drift-ledger\n', '  branch: drift-ledger\n  path: ../audit.git\n') }), async (repo) => {
    const github = await generate(repo, 'github', ['--config', 'ops/drift.yml']);
    assert.match(github.doc.jobs.check.steps.find((s: any) => s.name === 'driftctl check').run, /driftctl check --config ops\/drift\.yml \|\| code=\$\?/);
    const gitlab = await generate(repo, 'gitlab', ['--config', 'ops/drift.yml']);
    assert.ok(gitlab.doc['driftctl-check'].script.includes('driftctl check --config ops/drift.yml || code=$?'));
    const refused = await cli(repo.dir, ['ci', 'github', '--config', 'local.yml', '--force', '--json']);
    expectCode(refused, 1, 'ci github with a local-only ledger.path');
    assert.is(oneJson(refused).error.code, 'CI_LEDGER_NOT_SHARED');
    assert.match(oneJson(refused).error.message, /^local\.yml: ledger\.path keeps the ledger in .*audit\.git, on the CI runner's disk, .*: set ledger\.remote/);
  }),
);

test(
  'ci gitlab: same-repo pushes with DRIFTCTL_PUSH_TOKEN; a separate ledger repository lists its token and the channel secrets as CI/CD variables and pushes nothing itself',
  inRepo(() => makeRepo({ ...SEED_FILES, 'driftctl.yml': SEED_CONFIG, 'remote.yml': WITH_SOURCES }), async (repo) => {
    const same = await generate(repo, 'gitlab');
    const job = same.doc['driftctl-check'];
    assert.not.match(same.text, /npm ci\b/);
    assert.ok(job.before_script.includes(`npm install --global --no-audit --no-fund driftctl@${TOOL_VERSION}`));
    assert.is(job.variables.GIT_DEPTH, '0');
    assert.match(same.text, /masked CI\/CD variables: DRIFTCTL_PUSH_TOKEN/);
    assert.ok(job.script.some((l: string) => l.startsWith('git push "${CI_SERVER_PROTOCOL}://oauth2:${DRIFTCTL_PUSH_TOKEN}@')));
    const remote = await generate(repo, 'gitlab', ['--config', 'remote.yml', '--output', 'remote-ci.yml']);
    const rjob = remote.doc['driftctl-check'];
    assert.match(remote.text, /masked CI\/CD variables: DRIFT_WEBHOOK_SECRET, DRIFT_WEBHOOK_URL, GITHUB_TOKEN, LEDGER_TOKEN, LEDGER_USER, SLACK_WEBHOOK_URL, SVC_TOKEN\./);
    assert.not.match(remote.text, /DRIFTCTL_PUSH_TOKEN|git push|GIT_DEPTH/);
    assert.equal(rjob.script.slice(0, 3), ['driftctl pull --config remote.yml', 'code=0', 'driftctl check --config remote.yml || code=$?']);
  }),
);

// ---------------------------------------------------------------------------------------------
// Running the generated steps

/** A directory with a `driftctl` command that runs this checkout's bin/driftctl (standing in for the installed package). */
function shim(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-shim-'));
  writeFileSync(path.join(dir, 'driftctl'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path.join(dir, 'driftctl'), 0o755);
  return dir;
}

/** Runs one shell script as the runner would (bash -eo pipefail), without blocking the loopback servers. */
function sh(cwd: string, script: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** `${{ secrets.X }}` → secrets[X] (unset secrets are empty, as on GitHub). */
function resolveEnv(env: Record<string, string> | undefined, secrets: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env ?? {})) out[key] = String(value).replace(/\$\{\{\s*secrets\.(\w+)\s*\}\}/g, (_m, name: string) => secrets[name] ?? '');
  return out;
}

/** Runs every `run` step of the workflow except the package install, in order; returns each result. */
async function runWorkflow(doc: any, cwd: string, secrets: Record<string, string>, shimDir: string): Promise<{ name: string; code: number; output: string }[]> {
  const results: { name: string; code: number; output: string }[] = [];
  for (const step of doc.jobs.check.steps) {
    if (!step.run || step.name === 'Install driftctl') continue;
    const env = { ...TEST_ENV, PATH: `${shimDir}:${TEST_ENV.PATH}`, ...resolveEnv(step.env, secrets) };
    const result = await sh(cwd, step.run, env);
    results.push({ name: step.name ?? step.run, ...result });
    if (result.code !== 0) break;
  }
  return results;
}

function gitIn(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: TEST_ENV });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')}: ${err}`))));
  });
}

async function withServer(options: { token?: string }, body: (server: GitServer) => Promise<void>): Promise<void> {
  const server = await startGitServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('ci github, same-repo ledger: the generated steps, run against a loopback git server, record the drift and push the ledger branch; FAIL_ON_DRIFT fails on drift', () =>
  withServer({}, async (server) => {
    const bare = server.createRepo('watched', 'main');
    const dev = seedProject();
    const shimDir = shim();
    const runner = mkdtempSync(path.join(tmpdir(), 'driftctl-runner-'));
    try {
      expectCode(await cli(dev.dir, ['init']), 0, 'init');
      const { doc } = await generate(dev, 'github');
      dev.git('add', '-A');
      dev.git('commit', '-qm', 'project and workflow');
      await gitIn(dev.dir, 'push', '-q', `${server.url}/watched.git`, 'main', LEDGER);
      dev.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
      dev.git('commit', '-qam', 'new model');
      await gitIn(dev.dir, 'push', '-q', `${server.url}/watched.git`, 'main');
      const before = (await gitIn(bare, 'rev-parse', LEDGER)).trim();

      // actions/checkout with fetch-depth: 0: a full clone, the default branch checked out.
      await gitIn(runner, 'clone', '-q', `${server.url}/watched.git`, 'work');
      const work = path.join(runner, 'work');
      const results = await runWorkflow(doc, work, {}, shimDir);
      assert.equal(results.map((r) => [r.name, r.code]), [
        ['Track the ledger branch', 0],
        ['driftctl check', 0],
        ['Push the ledger branch', 0],
      ], results.map((r) => r.output).join('\n'));
      assert.match(results[1].output, /drift found and recorded on the ledger/);
      const after = (await gitIn(bare, 'rev-parse', LEDGER)).trim();
      assert.not.equal(after, before, 'the ledger branch moved on the server');
      assert.match(await gitIn(bare, 'log', '-1', '--format=%B', '--grep=Drift-Kind: report', LEDGER), /Drift-Status: drift/);

      const strict = (await generate(dev, 'github', ['--force', '--fail-on-drift'])).doc;
      const failing = await runWorkflow(strict, work, {}, shimDir);
      assert.equal(failing.map((r) => [r.name, r.code]), [['Track the ledger branch', 0], ['driftctl check', 2]]);
    } finally {
      dev.cleanup();
      rmSync(shimDir, { recursive: true, force: true });
      rmSync(runner, { recursive: true, force: true });
    }
  }),
);

test('ci github, separate ledger repository: the generated check step, with the secrets GitHub would map, pulls and pushes the ledger with the token and alerts through the Slack secret', () =>
  withServer({ token: TOKEN }, async (server) => {
    const bare = server.createRepo('ledger');
    const receiver = await startReceiver();
    const config = `${withRemote(`${server.url}/ledger.git`, '  token_env: LEDGER_TOKEN\n')}alerts:\n  channels:\n    - { name: ops-slack, kind: slack, webhook_env: SLACK_WEBHOOK_URL, timeout: 2s, retries: 0 }\n`;
    const dev = makeRepo({ ...SEED_FILES, 'driftctl.yml': config });
    const shimDir = shim();
    const runner = mkdtempSync(path.join(tmpdir(), 'driftctl-runner-'));
    try {
      expectCode(await cli(dev.dir, ['init'], { LEDGER_TOKEN: TOKEN }), 0, 'init');
      const { doc } = await generate(dev, 'github');
      dev.git('add', '-A');
      dev.git('commit', '-qm', 'project');
      const secrets = { LEDGER_TOKEN: TOKEN, SLACK_WEBHOOK_URL: `${receiver.url}/slack` };

      await gitIn(runner, 'clone', '-q', dev.dir, 'work');
      const work = path.join(runner, 'work');
      const first = await runWorkflow(doc, work, secrets, shimDir);
      assert.equal(first.map((r) => [r.name, r.code]), [['driftctl check', 0]], first.map((r) => r.output).join('\n'));
      const tip1 = (await gitIn(bare, 'rev-parse', LEDGER)).trim();

      // A new commit of the watched repository, a new (fresh) runner: drift, an alert to Slack.
      dev.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
      dev.git('commit', '-qam', 'new model');
      rmSync(work, { recursive: true, force: true });
      await gitIn(runner, 'clone', '-q', dev.dir, 'work');
      const second = await runWorkflow(doc, work, secrets, shimDir);
      assert.equal(second.map((r) => [r.name, r.code]), [['driftctl check', 0]], second.map((r) => r.output).join('\n'));
      assert.match(second[0].output, /drift found and recorded on the ledger/);
      assert.not.match(second[0].output, new RegExp(TOKEN));
      const tip2 = (await gitIn(bare, 'rev-parse', LEDGER)).trim();
      assert.not.equal(tip2, tip1, 'the ledger repository received the report');
      assert.match(await gitIn(bare, 'log', '-1', '--format=%B', '--grep=Drift-Kind: report', LEDGER), /Drift-Status: drift/);
      assert.is(receiver.received.length, 1, 'the Slack secret reached driftctl');
      assert.match(bodyJson(receiver.received[0]).text, /Drift detected/);

      // Without the token secret, the step fails (exit 1) naming the variable, not the token.
      rmSync(work, { recursive: true, force: true });
      await gitIn(runner, 'clone', '-q', dev.dir, 'work');
      const missing = await runWorkflow(doc, work, { SLACK_WEBHOOK_URL: secrets.SLACK_WEBHOOK_URL }, shimDir);
      assert.is(missing[0].code, 1);
      assert.match(missing[0].output, /LEDGER_TOKEN/);
    } finally {
      await receiver.close();
      dev.cleanup();
      rmSync(shimDir, { recursive: true, force: true });
      rmSync(runner, { recursive: true, force: true });
    }
  }),
);

test('ci gitlab, same-repo ledger: before_script and script, run against a loopback git server with the CI variables, push the ledger with DRIFTCTL_PUSH_TOKEN', () =>
  withServer({ token: TOKEN }, async (server) => {
    const bare = server.createRepo('acme/watched', 'main');
    const dev = seedProject();
    const shimDir = shim();
    const runner = mkdtempSync(path.join(tmpdir(), 'driftctl-runner-'));
    try {
      expectCode(await cli(dev.dir, ['init']), 0, 'init');
      const { doc } = await generate(dev, 'gitlab');
      const auth = `http://oauth2:${TOKEN}@${server.url.replace(/^http:\/\//, '')}/acme/watched.git`;
      dev.git('add', '-A');
      dev.git('commit', '-qm', 'project');
      dev.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
      dev.git('commit', '-qam', 'new model');
      await gitIn(dev.dir, 'push', '-q', auth, 'main', LEDGER);
      const before = (await gitIn(bare, 'rev-parse', LEDGER)).trim();
      await gitIn(runner, 'clone', '-q', auth, 'work');
      const work = path.join(runner, 'work');
      const job = doc['driftctl-check'];
      const { port } = new URL(server.url);
      const env = {
        ...TEST_ENV,
        PATH: `${shimDir}:${TEST_ENV.PATH}`,
        CI_SERVER_PROTOCOL: 'http',
        CI_SERVER_HOST: '127.0.0.1',
        CI_SERVER_PORT: port,
        CI_PROJECT_PATH: 'acme/watched',
        DRIFTCTL_PUSH_TOKEN: TOKEN,
        ...Object.fromEntries(Object.entries(job.variables as Record<string, string>).map(([k, v]) => [k, String(v).replace('$CI_SERVER_HOST', '127.0.0.1')])),
      };
      const lines = [...job.before_script.filter((l: string) => !l.startsWith('npm install')), ...job.script];
      const result = await sh(work, lines.join('\n'), env);
      assert.is(result.code, 0, result.output);
      assert.match(result.output, /drift found and recorded on the ledger/);
      assert.not.equal((await gitIn(bare, 'rev-parse', LEDGER)).trim(), before, 'the ledger branch moved on the server');
    } finally {
      dev.cleanup();
      rmSync(shimDir, { recursive: true, force: true });
      rmSync(runner, { recursive: true, force: true });
    }
  }),
);

test.run();
