import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, REPO_ROOT, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, ledgerTip, manifestEntries, oneJson, showJson } from '../helpers/e2e.js';

/**
 * Seed 002's fleet (machines with assigned compliance packs, checked separately, disabled machines
 * skipped, an offline machine an error for that machine only) and seed 003's server mode (docker
 * images over ssh), through an inventory file and packs. Hosts are folders reached through a
 * fake ssh (tests/fixtures/command/fake-ssh.sh) running a fake docker; "unreachable" fails like
 * ssh does.
 */
const FAKE_SSH = path.join(REPO_ROOT, 'tests/fixtures/command/fake-ssh.sh');
const FAKE_DOCKER = path.join(REPO_ROOT, 'tests/fixtures/fake-docker.mjs');

const CONFIG = `version: 1
inventory:
  file: hosts.yml
  exec: [${FAKE_SSH}, "{address}", --]
packs:
  - name: images
    labels: { role: app }
    sources:
      - kind: command
        argv: [${FAKE_DOCKER}, image, ls, --format, json]
        env: [FAKE_SSH_ROOT, FAKE_DOCKER_STATE]
        parse: jsonl
        key: "{Repository}:{Tag}"
        value: ID
  - name: sshd
    sources:
      - kind: command
        command: "cat sshd_config"
        shell: true
        env: [FAKE_SSH_ROOT]
        parse: lines
        key: '^(?<key>\\S+)\\s+(?<value>.*)$'
severity:
  rules:
    - match: "PermitRootLogin"
      severity: critical
`;

const HOSTS = `hosts:
  - name: web1
    labels: { role: app, env: prod }
    packs: [sshd]
  - name: web2
    labels: { role: app, env: staging }
  - name: db1
    address: unreachable.db1
    labels: { role: app, env: prod }
  - name: old1
    enabled: false
    labels: { role: app }
`;

const image = (repository: string, tag: string, id: string): object => ({ Repository: repository, Tag: tag, ID: id, CreatedAt: '2026-01-01 00:00:00 +0000 UTC', Size: '10MB' });

function fleet(): TempRepo {
  const repo = makeRepo({ 'driftctl.yml': CONFIG, 'hosts.yml': HOSTS });
  for (const host of ['web1', 'web2', 'old1']) mkdirSync(path.join(repo.dir, 'hosts', host), { recursive: true });
  setImages(repo, 'web1', [image('nginx', '1.27', 'sha256:n1'), image('app', 'v1', 'sha256:a1')]);
  setImages(repo, 'web2', [image('nginx', '1.27', 'sha256:n1')]);
  repo.write('hosts/web1/sshd_config', 'PermitRootLogin no\nPasswordAuthentication no\n');
  return repo;
}

function setImages(repo: TempRepo, host: string, images: object[]): void {
  writeFileSync(path.join(repo.dir, 'hosts', host, 'images.json'), JSON.stringify(images));
}

const env = (repo: TempRepo): Record<string, string> => ({ FAKE_SSH_ROOT: path.join(repo.dir, 'hosts'), FAKE_DOCKER_STATE: 'images.json', DRIFTCTL_NOW: '2026-03-01T06:00:00Z' });

test(
  'inventory × packs: one target per host and pack, disabled skipped, an unreachable host fails alone',
  inRepo(fleet, async (repo) => {
    const init = await cli(repo.dir, ['init', '--json'], env(repo));
    // db1 cannot be reached: init records the others and fails for db1 only.
    expectCode(init, 1, 'init with an unreachable host');
    const first = await cli(repo.dir, ['check', '--json', '--target', 'web1', '--target', 'web2'], env(repo));
    expectCode(first, 0, 'clean check of the reachable hosts');
    assert.equal(oneJson(first).reports.map((r: any) => [r.target, r.status]), [
      ['web1.images', 'clean'],
      ['web1.sshd', 'clean'],
      ['web2.images', 'clean'],
    ]);

    setImages(repo, 'web2', [image('nginx', '1.28', 'sha256:n2')]);
    repo.write('hosts/web1/sshd_config', 'PermitRootLogin yes\nPasswordAuthentication no\n');
    const run = await cli(repo.dir, ['check', '--json'], env(repo));
    expectCode(run, 1, 'check with an unreachable host is an error');
    const result = oneJson(run);
    assert.equal(
      result.reports.map((r: any) => [r.target, r.status, r.summary.highest]),
      [
        ['web1.images', 'clean', 'none'],
        ['web1.sshd', 'drift', 'critical'],
        ['web2.images', 'drift', 'low'],
      ],
    );
    assert.equal(result.skipped, [{ target: 'old1.images', reason: 'disabled (enabled: false)' }]);
    assert.equal(result.failures.length, 1);
    assert.is(result.failures[0].target, 'db1.images');
    assert.match(result.failures[0].message, /ssh: connect to host unreachable\.db1 port 22: Connection refused/);
    const sshd = result.reports.find((r: any) => r.target === 'web1.sshd');
    assert.equal(
      sshd.changes.map((c: any) => [c.key, c.change, c.severity, c.fields]),
      [['PermitRootLogin', 'changed', 'critical', [{ path: '', change: 'changed', before: 'no', after: 'yes', severity: 'critical', rule: 'PermitRootLogin' }]]],
    );
    const web2 = result.reports.find((r: any) => r.target === 'web2.images');
    assert.equal(
      web2.changes.map((c: any) => [c.key, c.change]),
      [
        ['nginx:1.27', 'removed'],
        ['nginx:1.28', 'added'],
      ],
    );
    // Each host × pack has its own baseline and labels in the ledger.
    assert.equal([...manifestEntries(repo, 'baseline', 'web1.images').keys()].sort(), ['command:app:v1', 'command:nginx:1.27']);
    assert.equal(showJson(repo, 'targets/web2.images/head.json').report.status, 'drift');

    // The text summary names every target's verdict.
    const text = await cli(repo.dir, ['check', '--label', 'env=prod'], env(repo));
    expectCode(text, 1, 'prod hosts: web1 drift, db1 unreachable');
    assert.match(text.stdout, /^target web1\.images: clean/m);
    assert.match(text.stdout, /^target web1\.sshd: DRIFT/m);
    assert.match(text.stdout, /^target db1\.images: ERROR, not checked: .*Connection refused/m);
    assert.not.match(text.stdout, /web2/);
    assert.match(text.stdout, /^3 targets: 1 clean, 1 drift, 1 error$/m);
    const hostOnly = await cli(repo.dir, ['check', '--json', '--target', 'web2'], env(repo));
    expectCode(hostOnly, 2, 'a host name selects all its packs');
    assert.equal(oneJson(hostOnly).reports.map((r: any) => r.target), ['web2.images']);
    const ambiguous = await cli(repo.dir, ['accept', '--all', '--reason', 'x', '--target', 'web1'], env(repo));
    expectCode(ambiguous, 1, 'accept needs one target');
    assert.match(ambiguous.stderr, /"web1" is a fleet host with several targets \(web1\.images, web1\.sshd\): choose one with --target HOST\.PACK/);
    const accepted = await cli(repo.dir, ['accept', '--all', '--reason', 'approved', '--target', 'web1.sshd', '--json'], env(repo));
    expectCode(accepted, 0, 'accept one host × pack');
    const none = await cli(repo.dir, ['check', '--label', 'env=qa'], env(repo));
    expectCode(none, 1, 'a label that selects nothing');
    assert.match(none.stderr, /--label env=qa selects no target \(values of "env": prod, staging\)/);
  }),
);

test(
  'inventory mistakes are config errors naming the inventory file and the field',
  inRepo(
    () => makeRepo({ 'driftctl.yml': CONFIG, 'hosts.yml': 'hosts:\n  - name: web1\n    packs: [cis]\n  - name: "bad name"\n' }),
    async (repo) => {
      const run = await cli(repo.dir, ['check'], env(repo));
      expectCode(run, 1, 'bad inventory');
      assert.match(run.stderr, /^driftctl: error: hosts\.yml: hosts\[1\]\.name: "bad name" is not a valid name \(1 to 64 characters/m);
      assert.is(ledgerTip(repo), undefined, 'nothing written');
    },
  ),
);

test(
  'unknown pack on a host names the known packs',
  inRepo(
    () => makeRepo({ 'driftctl.yml': CONFIG, 'hosts.yml': 'hosts:\n  - name: web1\n    packs: [cis]\n' }),
    async (repo) => {
      const run = await cli(repo.dir, ['check'], env(repo));
      expectCode(run, 1, 'unknown pack');
      assert.match(run.stderr, /^driftctl: error: hosts\.yml: hosts\[0\]\.packs\[0\]: unknown pack "cis" \(known: images, sshd\)$/m);
    },
  ),
);

test(
  'hosts are observed concurrently, and recorded in order',
  inRepo(
    () => {
      const repo = makeRepo({
        'driftctl.yml': `version: 1
inventory: { file: hosts.yml, exec: [${FAKE_SSH}, "{host}", --] }
packs:
  - name: probe
    labels: { role: app }
    sources:
      - kind: command
        command: 'echo "start $FAKE_SSH_HOST" >> ../order.log; sleep 1; echo "end $FAKE_SSH_HOST" >> ../order.log; echo ok'
        shell: true
        env: [FAKE_SSH_ROOT]
        parse: text
`,
        'hosts.yml': ['a1', 'a2', 'a3'].map((h) => `- { name: ${h}, labels: { role: app } }`).join('\n'),
      });
      for (const host of ['a1', 'a2', 'a3']) mkdirSync(path.join(repo.dir, 'hosts', host), { recursive: true });
      return repo;
    },
    async (repo) => {
      const run = await cli(repo.dir, ['init', '--json'], env(repo));
      expectCode(run, 0, 'init');
      assert.equal(oneJson(run).targets.map((t: any) => t.target), ['a1.probe', 'a2.probe', 'a3.probe']);
      const order = readFileSync(path.join(repo.dir, 'hosts/order.log'), 'utf8').trim().split('\n');
      assert.is(order.length, 6);
      assert.ok(order.indexOf('start a2') < order.indexOf('end a1') && order.indexOf('start a3') < order.indexOf('end a1'), `overlapping runs expected:\n${order.join('\n')}`);
    },
  ),
);

test.run();
