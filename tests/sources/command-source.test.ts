import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandSourceConfig, ProcessSpec } from '../../src/config/config.js';
import { contentHash } from '../../src/drift/manifest.js';
import { DriftError } from '../../src/errors.js';
import { createCommandSource } from '../../src/sources/command-source.js';
import { createSource } from '../../src/sources/registry.js';
import type { SourceContext } from '../../src/sources/source.js';
import { REPO_ROOT } from '../helpers/repo.js';

const FAKE_DOCKER = path.join(REPO_ROOT, 'tests/fixtures/fake-docker.mjs');
const FAKE_SSH = path.join(REPO_ROOT, 'tests/fixtures/command/fake-ssh.sh');
const DOCKER_ARGV = [FAKE_DOCKER, 'image', 'ls', '--format', 'json'];

const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-command-'));
const stateFile = path.join(dir, 'images.json');

const NGINX = { Repository: 'nginx', Tag: '1.27', ID: 'sha256:aaa111', CreatedAt: '2024-05-01 10:00:00 +0000 UTC', Size: '187MB' };
const REDIS = { Repository: 'redis', Tag: '7', ID: 'sha256:bbb222', CreatedAt: '2024-04-01 09:00:00 +0000 UTC', Size: '117MB' };

function setImages(...images: object[]): void {
  writeFileSync(stateFile, JSON.stringify(images));
}

function context(env: NodeJS.ProcessEnv = {}): SourceContext {
  return { cacheDir: dir, env: { PATH: process.env.PATH, FAKE_DOCKER_STATE: stateFile, ...env }, now: new Date('2026-01-02T03:04:05Z') };
}

function images(overrides: Partial<CommandSourceConfig> = {}, spec: Partial<ProcessSpec> = {}): CommandSourceConfig {
  return {
    kind: 'command',
    name: 'images',
    ignoreFields: [],
    parse: 'jsonl',
    key: '{Repository}:{Tag}',
    value: 'ID',
    process: { argv: DOCKER_ARGV, shell: false, cwd: dir, timeoutMs: 10_000, env: ['FAKE_DOCKER_STATE', 'FAKE_DOCKER_MODE', 'FAKE_DOCKER_PIDFILE'], exec: [], ...spec },
    ...overrides,
  };
}

async function failure(config: CommandSourceConfig, env: NodeJS.ProcessEnv = {}): Promise<DriftError> {
  try {
    await createCommandSource(config).observe(context(env));
  } catch (error) {
    assert.instance(error, DriftError);
    assert.is((error as DriftError).code, 'SOURCE_FAILED');
    assert.is((error as DriftError).data.source, config.name);
    return error as DriftError;
  }
  throw new Error('expected SOURCE_FAILED');
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('docker image ls: entries keyed repository:tag with the image id as content', async () => {
  setImages(NGINX, REDIS);
  const source = await createSource(images());
  assert.is(source.kind, 'command');
  const { entries, stats } = await source.observe(context());
  assert.equal([...entries.keys()], ['nginx:1.27', 'redis:7']);
  assert.equal(entries.get('nginx:1.27'), { type: 'value', sha256: contentHash('sha256:aaa111'), content: 'sha256:aaa111' });
  assert.equal(stats, { entries: 2, hashed: 2, reused: 0, errors: 0 });

  setImages({ ...NGINX, ID: 'sha256:ccc333' }, REDIS);
  const after = await source.observe(context());
  assert.is(after.entries.get('nginx:1.27')?.content, 'sha256:ccc333');
  assert.is.not(after.entries.get('nginx:1.27')?.sha256, entries.get('nginx:1.27')?.sha256);
  assert.is(after.entries.get('redis:7')?.sha256, entries.get('redis:7')?.sha256);
});

test('whole records with ignore_fields: CreatedAt changes are not drift', async () => {
  const config = images({ value: undefined, ignoreFields: [{ fields: ['CreatedAt'] }, { keys: ['redis:*'], fields: ['Size', 'VirtualSize'] }] });
  setImages(NGINX, REDIS);
  const before = await createCommandSource(config).observe(context());
  assert.equal(before.entries.get('nginx:1.27')?.content, {
    Containers: 'N/A',
    Digest: '<none>',
    ID: 'sha256:aaa111',
    Repository: 'nginx',
    SharedSize: 'N/A',
    Size: '187MB',
    Tag: '1.27',
    UniqueSize: 'N/A',
    VirtualSize: '187MB',
  });
  assert.equal(Object.keys(before.entries.get('redis:7')?.content as object), ['Containers', 'Digest', 'ID', 'Repository', 'SharedSize', 'Tag', 'UniqueSize']);

  setImages({ ...NGINX, CreatedAt: '2025-01-01 00:00:00 +0000 UTC' }, { ...REDIS, Size: '999MB' });
  const after = await createCommandSource(config).observe(context());
  assert.is(after.entries.get('nginx:1.27')?.sha256, before.entries.get('nginx:1.27')?.sha256);
  assert.is(after.entries.get('redis:7')?.sha256, before.entries.get('redis:7')?.sha256);
});

test('environment allow-list: only listed variables (and PATH, HOME, ...) reach the process', async () => {
  const config = images({ parse: 'text', key: undefined, value: undefined }, { argv: ['sh', '-c', 'echo "listed=${LISTED-unset} other=${OTHER-unset}"'], env: ['LISTED'] });
  const { entries } = await createCommandSource(config).observe(context({ LISTED: 'yes', OTHER: 'secret' }));
  assert.equal([...entries], [['output', { type: 'value', sha256: contentHash('listed=yes other=unset'), content: 'listed=yes other=unset' }]]);
});

test('cwd is honoured (a relative state file resolves against it)', async () => {
  const sub = path.join(dir, 'host-a');
  mkdirSync(sub, { recursive: true });
  writeFileSync(path.join(sub, 'images.json'), JSON.stringify([REDIS]));
  const { entries } = await createCommandSource(images({}, { cwd: sub })).observe(context({ FAKE_DOCKER_STATE: 'images.json' }));
  assert.equal([...entries.keys()], ['redis:7']);
});

test('non-zero exit is SOURCE_FAILED with the tail of stderr', async () => {
  const error = await failure(images(), { FAKE_DOCKER_MODE: 'fail' });
  assert.match(error.message, /^source "images": \S+fake-docker\.mjs exited with code 1 \(stderr: Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock\. Is the docker daemon running\?\)$/);
});

test('output that is not JSON lines is SOURCE_FAILED naming the line', async () => {
  setImages(NGINX);
  const error = await failure(images(), { FAKE_DOCKER_MODE: 'garbage' });
  assert.match(error.message, /^source "images": stdout is not JSON lines: line 3: /);
});

test('timeout is SOURCE_FAILED and the process is killed', async () => {
  const pidFile = path.join(dir, 'hang.pid');
  const started = Date.now();
  const error = await failure(images({}, { timeoutMs: 500 }), { FAKE_DOCKER_MODE: 'hang', FAKE_DOCKER_PIDFILE: pidFile });
  assert.match(error.message, 'timed out after 500 ms');
  assert.ok(Date.now() - started < 5000);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.throws(() => process.kill(pid, 0), (e: NodeJS.ErrnoException) => e.code === 'ESRCH', 'the hanging process is gone');
});

test('remote prefix: the argv runs behind fake ssh, quoted for the remote shell', async () => {
  const log = path.join(dir, 'ssh.log');
  const config = images({}, { argv: [...DOCKER_ARGV.slice(0, 3), '--format', 'json'], exec: [FAKE_SSH, '-o', 'BatchMode=yes', 'deploy@web1', '--'], env: ['FAKE_DOCKER_STATE', 'FAKE_SSH_LOG'] });
  setImages(NGINX);
  const { entries } = await createCommandSource(config).observe(context({ FAKE_SSH_LOG: log }));
  assert.equal([...entries.keys()], ['nginx:1.27']);
  assert.is(readFileSync(log, 'utf8'), `web1 ${FAKE_DOCKER} image ls --format json\n`);

  const text = images({ parse: 'text', key: undefined, value: undefined }, { argv: ['printf', '%s|%s', "it's", 'a b'], exec: [FAKE_SSH, 'web1', '--'] });
  assert.is((await createCommandSource(text).observe(context())).entries.get('output')?.content, "it's|a b");
});

test('remote prefix: an unreachable host is SOURCE_FAILED with ssh\'s message', async () => {
  const error = await failure(images({}, { exec: [FAKE_SSH, 'unreachable', '--'] }));
  assert.match(error.message, 'exited with code 255 (stderr: ssh: connect to host unreachable port 22: Connection refused)');
});

test('fake ssh with FAKE_SSH_ROOT: each host is a folder, an unknown host does not resolve', async () => {
  const root = path.join(dir, 'fleet');
  mkdirSync(path.join(root, 'web2'), { recursive: true });
  writeFileSync(path.join(root, 'web2', 'images.json'), JSON.stringify([NGINX, REDIS]));
  const config = images({}, { exec: [FAKE_SSH, 'web2', '--'], env: ['FAKE_DOCKER_STATE', 'FAKE_SSH_ROOT'] });
  const env = { FAKE_SSH_ROOT: root, FAKE_DOCKER_STATE: 'images.json' };
  assert.equal([...(await createCommandSource(config).observe(context(env))).entries.keys()], ['nginx:1.27', 'redis:7']);
  const error = await failure(images({}, { exec: [FAKE_SSH, 'web9', '--'], env: ['FAKE_SSH_ROOT'] }), env);
  assert.match(error.message, 'ssh: Could not resolve hostname web9');
});

test('shell: true runs a pipeline (docker table, header dropped, parsed as lines)', async () => {
  setImages(NGINX, REDIS);
  const line = `${FAKE_DOCKER} images | tail -n +2 | awk '{ print $1 ":" $2, $3 }'`;
  const config = images({ parse: 'lines', key: '^(?<key>\\S+) (?<value>\\S+)$', value: undefined }, { shell: true, argv: [line] });
  const { entries } = await createCommandSource(config).observe(context());
  assert.equal(
    [...entries].map(([key, entry]) => [key, entry.content]),
    [
      ['nginx:1.27', 'aaa111'],
      ['redis:7', 'bbb222'],
    ],
  );
});

test.run();
