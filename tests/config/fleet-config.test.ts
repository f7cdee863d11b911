import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandSourceConfig } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-fleet-'));
const file = path.join(dir, 'driftctl.yml');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const PACKS = `packs:
  - name: cis
    labels: { os: linux }
    schedule: "0 6 * * *"
    timezone: Europe/Paris
    sources:
      - kind: command
        argv: [sha256sum, /etc/ssh/sshd_config, "{host}.conf"]
        parse: lines
  - name: images
    sources:
      - { kind: command, argv: [docker, image, ls, --format, json], parse: jsonl, key: "{Repository}:{Tag}" }
`;

function issues(text: string): string[] {
  try {
    parseConfig(text, file);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

test('inventory hosts × packs: names, labels, exec with {host}/{address}, schedules, disabled hosts', () => {
  writeFileSync(
    path.join(dir, 'hosts.yml'),
    `- { name: web1, address: 10.0.0.1, labels: { os: linux, env: prod }, packs: [images] }
- { name: mac1, labels: { os: darwin }, packs: [images], exec: [ssh, -p, "2222", "{address}", --] }
- { name: old1, labels: { os: linux }, enabled: false }
`,
  );
  const config = parseConfig(`version: 1\ninventory: { file: hosts.yml, exec: [ssh, "{address}", --] }\n${PACKS}targets:\n  - name: ci\n    schedule: "*/5 * * * *"\n    packs: [images]\n    sources: [{ kind: files, watch: ["**"] }]\n`, file);
  assert.equal(
    config.targets.map((t) => [t.name, t.enabled, t.labels, t.schedule ?? null, t.timezone ?? null]),
    [
      ['ci', true, {}, '*/5 * * * *', null],
      ['ci.images', true, { host: 'ci', pack: 'images' }, '*/5 * * * *', null],
      ['web1.cis', true, { os: 'linux', env: 'prod', host: 'web1', pack: 'cis' }, '0 6 * * *', 'Europe/Paris'],
      ['web1.images', true, { os: 'linux', env: 'prod', host: 'web1', pack: 'images' }, null, null],
      ['mac1.images', true, { os: 'darwin', host: 'mac1', pack: 'images' }, null, null],
      ['old1.cis', false, { os: 'linux', host: 'old1', pack: 'cis' }, '0 6 * * *', 'Europe/Paris'],
    ],
  );
  const process = (name: string) => (config.targets.find((t) => t.name === name)?.sources[0] as CommandSourceConfig).process;
  // For ssh, option parsing ends before the host (a "--" after it moves in front of it).
  assert.equal(process('web1.cis').exec, ['ssh', '--', '10.0.0.1']);
  assert.equal(process('web1.cis').argv, ['sha256sum', '/etc/ssh/sshd_config', 'web1.conf']);
  assert.equal(process('mac1.images').exec, ['ssh', '-p', '2222', '--', 'mac1']);
  assert.equal(process('ci.images').exec, [], 'configured targets run packs locally');
  assert.is(process('web1.cis').timeoutMs, 60_000);
});

test('fleet mistakes are reported together, each naming its field', () => {
  writeFileSync(path.join(dir, 'hosts.yml'), 'hosts:\n  - { name: web1, labels: { os: linux } }\n  - { name: web1.cis, packs: [images] }\n');
  const found = issues(
    `version: 1\ninventory: { file: hosts.yml, exec: [ssh, "{address}", --] }\n${PACKS}  - name: local\n    labels: { os: linux }\n    sources: [{ kind: files, watch: ["**"] }]\n  - name: cis\n    sources: [{ kind: metrics, thresholds: ["load1 > 4"] }]\ntargets:\n  - name: web1.cis\n    sources: [{ kind: files, watch: ["**"] }]\n  - name: lonely\n`,
  );
  assert.equal(found, [
    'packs[3].name: duplicate pack name "cis"',
    'targets[1].sources: is required (list what to watch, or give the target "packs")',
    'inventory: target name "web1.cis" (hosts.yml host web1 × pack cis) is already used by targets[0]: rename one of them',
    "packs[2].sources[0].kind: a files source reads this machine's disk and cannot run on a remote host: use a command source (e.g. argv: [sha256sum, /etc/ssh/sshd_config], parse: lines)",
  ]);
});

test.run();
