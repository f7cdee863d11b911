import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandSourceConfig, HttpSourceConfig, KubernetesSourceConfig, MetricsSourceConfig, TerraformSourceConfig } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-sources-'));
const file = path.join(dir, 'driftctl.yml');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const sources = (yaml: string) => parseConfig(`version: 1\nsources:\n${yaml}`, file).targets[0].sources;

function issues(yaml: string): string[] {
  try {
    sources(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.file.replace(/.*\//, '')} ${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

test('each kind is normalised with its defaults and resolved paths', () => {
  const [command, http, terraform, kubernetes, metrics] = sources(`  - { kind: command, argv: [docker, images], parse: lines }
  - { kind: http, url: "https://api.test/x", headers_env: { Authorization: API_TOKEN } }
  - { kind: terraform, dir: infra, env: [AWS_PROFILE] }
  - { kind: kubernetes, desired: { file: chart.yaml } }
  - { kind: metrics, thresholds: ["load1 > 4 for 1m"], readings: r.json }
`) as [CommandSourceConfig, HttpSourceConfig, TerraformSourceConfig, KubernetesSourceConfig, MetricsSourceConfig];
  assert.equal(command.process, { argv: ['docker', 'images'], shell: false, cwd: dir, timeoutMs: 60_000, env: [], exec: [] });
  assert.equal([command.name, command.parse], ['command', 'lines']);
  assert.equal([http.url, http.headersEnv, http.timeoutMs, http.parse], ['https://api.test/x', { Authorization: 'API_TOKEN' }, 30_000, 'json']);
  assert.equal(terraform.process, { argv: ['terraform'], shell: false, cwd: path.join(dir, 'infra'), timeoutMs: 600_000, env: ['AWS_PROFILE'], exec: [] });
  assert.equal(kubernetes.process?.argv, ['kubectl', 'get', 'all', '-A', '-o', 'json']);
  assert.equal(kubernetes.desired, { file: path.join(dir, 'chart.yaml') });
  assert.equal([metrics.disk, metrics.readings, metrics.thresholds[0].text, metrics.thresholds[0].forMs], ['/', path.join(dir, 'r.json'), 'load1 > 4 for 1m', 60_000]);
});

test('mistakes name the field and the fix', () => {
  assert.equal(
    issues(`  - { kind: command, command: "docker ps | wc -l", parse: text }
  - { kind: command, name: c2, argv: [ls], parse: lines, key: "^(\\\\S+)$", items: data }
  - { kind: http, url: "https://api.test", headers: { Authorization: "Bearer abc" } }
  - { kind: command, name: c3, argv: [ls], parse: json, value: "a[0" }
`),
    [
      'driftctl.yml:3 sources[0].command: is a shell command line: set "shell: true" to run it through /bin/sh, or give "argv" as a list',
      'driftctl.yml:4 sources[1].key: with parse: lines, key is a regular expression with a named group (?<key>...)',
      'driftctl.yml:4 sources[1].items: only applies to parse: json or jsonl (this source parses lines)',
      'driftctl.yml:5 sources[2].headers.Authorization: looks like a secret: put it in an environment variable and name it under headers_env (never in the config)',
      'driftctl.yml:6 sources[3].value: unclosed "[" in field pattern a[0 (use a dotted path like data.items or a JSON Pointer like /data/items)',
    ],
  );
  assert.equal(issues('  - { kind: terraform }\n'), ['driftctl.yml:3 sources[0]: needs plan (a file of `terraform show -json` output of a refresh-only plan) or dir (a Terraform directory to run one in)']);
  assert.equal(issues('  - { kind: terraform, plan: p.json, dir: infra }\n'), ['driftctl.yml:3 sources[0]: give either plan or dir, not both']);
  assert.equal(issues('  - { kind: command, parse: json }\n'), ['driftctl.yml:3 sources[0]: needs argv (a list such as [docker, image, ls, --format, json]) or command (a shell line, with shell: true)']);
  assert.equal(issues('  - { kind: kubernetes, file: a.json, argv: [kubectl], desired: {} }\n'), [
    'driftctl.yml:3 sources[0].file: give either file (kubectl output saved to a file) or argv/command (run kubectl), not both',
    'driftctl.yml:3 sources[0].desired: needs exactly one of file (rendered manifests) or argv/command (a rendering command such as helm template)',
  ]);
});

test.run();
