import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSlackChannel, slackProblem } from '../../src/channels/slack-channel.js';
import type { Channel, Payload } from '../../src/channels/channel.js';
import type { ChannelConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { sampleNotice, templateSamples } from '../../src/render/samples.js';
import { createTemplateEnv } from '../../src/render/template-env.js';
import type { Change } from '../../src/drift/report.js';

const env = createTemplateEnv(undefined, templateSamples());
const slackAlert = (...args: Parameters<Channel['renderAlert']>): Payload => createSlackChannel(slackConfig).renderAlert(...args) as Payload;
const slackConfig: ChannelConfig = { name: 'slack', kind: 'slack', minSeverity: 'info', events: ['opened', 'updated', 'reminded', 'resolved'], urlEnv: 'X', timeoutMs: 1000, retries: 0 };

test('the Slack payload is valid JSON for awkward file names, with Slack escaping', () => {
  const payload = slackAlert(sampleNotice('opened'), env, '2026-01-02T03:04:05.000Z');
  const body = JSON.parse(payload.body);
  assert.is(body.blocks[0].type, 'header');
  const list = body.blocks.find((b: { type: string; text?: { text: string } }) => b.type === 'section' && b.text)?.text.text as string;
  assert.ok(list.includes('config/"models" \\ &lt;prod&gt; &amp; co 🚀.yaml'), list);
  assert.ok(list.includes('prompts/line\\nbreak.txt'), 'newline in a file name is shown escaped');
  assert.is(slackProblem(payload.body), undefined);
});

test('a large drift degrades to "… and N more" within Slack limits', () => {
  const many: Change[] = Array.from({ length: 400 }, (_, i) => ({
    source: 'files',
    key: `config/service-${i}/a-rather-long-directory-name/settings-file-${i}.yaml`,
    change: 'changed',
    severity: 'high',
    rule: 'config/**',
    before: { type: 'file', sha256: 'a'.repeat(64), size: 1 },
    after: { type: 'file', sha256: 'b'.repeat(64), size: 2 },
  }));
  const payload = slackAlert({ ...sampleNotice('opened'), changes: many }, env, '2026-01-02T03:04:05.000Z');
  assert.is(slackProblem(payload.body), undefined);
  const text = JSON.stringify(JSON.parse(payload.body));
  assert.match(text, /… and \d+ more/);
});

test('user templates override built-ins by name; errors name the file and line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-templates-'));
  try {
    writeFileSync(path.join(dir, 'console.hbs'), 'ALERT {{target.name}} {{summary.total}}\n');
    const custom = createTemplateEnv(dir, templateSamples());
    assert.is(custom.render('console', templateSamples().console as object), 'ALERT web 2\n');
    writeFileSync(path.join(dir, 'console.hbs'), 'line one\n{{#each changes}}\n{{key}\n');
    try {
      createTemplateEnv(dir, templateSamples());
      assert.unreachable('broken template accepted');
    } catch (error) {
      assert.instance(error, ConfigError);
      assert.match((error as ConfigError).issues[0].file, /console\.hbs:3$/);
    }
    writeFileSync(path.join(dir, 'console.hbs'), '{{target.nmae}}\n');
    try {
      createTemplateEnv(dir, templateSamples());
      assert.unreachable('unknown field accepted');
    } catch (error) {
      assert.match((error as ConfigError).issues[0].message, /nmae/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
