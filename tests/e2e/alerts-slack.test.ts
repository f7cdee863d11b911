import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, assertSlackPayload, at, bodyJson, commitsOfKind, run, runJson, slackTexts } from '../helpers/alerts.js';
import { inRepo, oneJson } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';
import type { TempRepo } from '../helpers/repo.js';

/**
 * Slack payloads as the receiver gets them: the exact Block Kit structure, escaping of awkward
 * file names (quotes, backslashes, <>&, emoji, newlines), graceful degradation of a big drift
 * within Slack's limits, template overrides, and template errors naming the file and line.
 */

const receiver = useReceiver(test);

const SLACK = `channels:
  - name: slack
    kind: slack
    webhook_env: SLACK_URL
    timeout: 2s
    retries: 0`;
const env = (): Record<string, string> => ({ SLACK_URL: `${receiver.url}/hooks/slack` });

async function initialised(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, env(), at(0));
  await run(repo, ['check'], 0, env(), at(1));
}

function onlyPayload(): any {
  assert.is(receiver.received.length, 1, 'exactly one Slack request');
  return assertSlackPayload(bodyJson(receiver.received[0]));
}

test(
  'exact payload structure: text, header, fields section, changes section, context with report link and labels',
  inRepo(
    alertProject(
      alertConfig(`report_url: "https://git.example.test/ops/blob/{branch}/{path}?id={id}"\n${SLACK}`, {
        targets: `- name: web-01\n  labels: { env: prod, pack: base }\n  sources: [ { name: etc, kind: files, root: etc, watch: ["**/*"] } ]`,
        severity: `severity:\n  default: low\n  rules:\n    - name: core-config\n      match: "*.conf"\n      severity: high\n`,
      }),
      { 'etc/nginx.conf': 'worker_processes 1;\n', 'etc/motd': 'hi\n' },
    ),
    async (repo) => {
      await initialised(repo);
      repo.write('etc/nginx.conf', 'worker_processes 4;\n');
      const result = await runJson(repo, ['check'], 2, env(), at(2));
      const payload = onlyPayload();
      const alertId = alertRecords(repo, 'web-01')[0].alert;
      const reportId = result.reports[0].id;
      assert.equal(Object.keys(payload).sort(), ['blocks', 'text']);
      assert.is(payload.text, '🟠 Drift detected: web-01 (etc): 1 change, highest high');
      assert.equal(
        payload.blocks.map((b: any) => b.type),
        ['header', 'section', 'section', 'context'],
      );
      const [header, facts, changes, context] = payload.blocks;
      assert.equal(header, { type: 'header', text: { type: 'plain_text', emoji: true, text: '🟠 Drift detected: web-01 (etc)' } });
      assert.equal(facts, {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Target*\nweb-01' },
          { type: 'mrkdwn', text: '*Severity*\nHIGH' },
          { type: 'mrkdwn', text: '*Source*\netc' },
          { type: 'mrkdwn', text: '*Changes*\n1 (0 added, 0 removed, 1 changed)' },
        ],
      });
      assert.equal(changes, { type: 'section', text: { type: 'mrkdwn', text: '🟠 `nginx.conf` changed _(core-config)_' } });
      assert.is(context.elements.length, 1);
      assert.is(context.elements[0].type, 'mrkdwn');
      assert.is(
        context.elements[0].text,
        `report <https://git.example.test/ops/blob/drift-ledger/targets/web-01/records/2026/03/01/08/${reportId}.report.json?id=${reportId}|${reportId}> · alert ${alertId} · opened 0 seconds ago · env=prod · pack=base`,
      );

      // The resolution: a ✅ header, what was resolved and why, and the changes that were open.
      repo.write('etc/nginx.conf', 'worker_processes 1;\n');
      await run(repo, ['check'], 0, env(), at(3));
      const resolved = assertSlackPayload(bodyJson(receiver.received[1]));
      assert.is(resolved.text, '✅ Drift resolved: web-01 (etc): 1 change (highest high) reverted: back to the baseline');
      assert.equal(resolved.blocks.map((b: any) => b.type), ['header', 'section', 'section', 'context']);
      assert.is(resolved.blocks[0].text.text, '✅ Drift resolved: web-01 (etc)');
      assert.equal(resolved.blocks[1].fields[3], { type: 'mrkdwn', text: '*Resolved*\n1 change reverted: back to the baseline' });
      assert.is(resolved.blocks[2].text.text, '🟠 `nginx.conf` changed _(core-config)_');
      assert.match(resolved.blocks[3].elements[0].text, / · opened 1 hour ago · /, resolved.blocks[3].elements[0].text);
    },
  ),
);

const AWKWARD = {
  'data/say "hi".txt': 'q\n',
  'data/back\\slash.txt': 'b\n',
  'data/<script> & co.txt': 'lt\n',
  'data/rocket 🚀 ünïcødé.txt': 'e\n',
  'data/line\nbreak.txt': 'n\n',
  'data/tab\there.txt': 't\n',
  'data/`tick`*bold*_it_.txt': 'md\n',
};

test(
  'escaping: quotes, backslashes, <>&, emoji, newlines in file names give valid JSON, with <>& escaped for Slack',
  inRepo(alertProject(alertConfig(SLACK)), async (repo) => {
    await initialised(repo);
    for (const [file, content] of Object.entries(AWKWARD)) repo.write(file, content);
    await run(repo, ['check'], 2, env(), at(2));
    const raw = receiver.received[0]?.body ?? '';
    const payload = onlyPayload();
    assert.is(JSON.stringify(JSON.parse(raw)), raw, 'one compact JSON document');
    const list = payload.blocks.find((b: any) => b.type === 'section' && b.text)?.text.text as string;
    assert.ok(list, 'a section lists the changes');
    const lines = list.split('\n');
    assert.is(lines.length, Object.keys(AWKWARD).length, `one line per change (a newline in a name does not break the list):\n${list}`);
    assert.ok(lines.every((l) => / added$/.test(l)), list);
    assert.ok(list.includes('`data/say "hi".txt`'), 'quotes kept');
    assert.ok(list.includes('`data/back\\slash.txt`'), 'backslash kept');
    assert.ok(list.includes('`data/&lt;script&gt; &amp; co.txt`'), `<>& escaped: ${list}`);
    assert.ok(list.includes('`data/rocket 🚀 ünïcødé.txt`'), 'emoji and accents kept');
    assert.ok(list.includes('`data/line\\nbreak.txt`'), 'newline shown as \\n');
    assert.ok(list.includes('`data/tab\\there.txt`'), 'tab shown as \\t');
    for (const text of slackTexts(payload).split('\n')) {
      const withoutLinks = text.replace(/<https?:[^|>]+\|[^>]*>/g, '');
      assert.not.match(withoutLinks, /[<>]/, `no raw < or > outside links: ${text}`);
      assert.not.match(withoutLinks, /&(?!amp;|lt;|gt;)/, `no raw &: ${text}`);
    }
    assert.match(payload.blocks[1].fields[3].text, /7 \(7 added, 0 removed, 0 changed\)/);
  }),
);

test(
  'a big drift (300 changed files) degrades to "… and N more" within Slack limits, never truncated JSON',
  inRepo(
    alertProject(alertConfig(SLACK), Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`data/generated/some-rather-long-directory-name/file-${String(i).padStart(3, '0')}.json`, `{"v": ${i}}\n`]))),
    async (repo) => {
      await initialised(repo);
      for (let i = 0; i < 300; i++) repo.write(`data/generated/some-rather-long-directory-name/file-${String(i).padStart(3, '0')}.json`, `{"v": ${i + 1}}\n`);
      const result = await runJson(repo, ['check'], 2, env(), at(2));
      assert.is(result.reports[0].summary.total, 300);
      const raw = receiver.received[0]?.body ?? '';
      const payload = onlyPayload();
      assert.ok(Buffer.byteLength(raw) <= 40_000, `payload ${Buffer.byteLength(raw)} bytes`);
      assert.ok(payload.blocks.length <= 50);
      const list = payload.blocks.find((b: any) => b.type === 'section' && b.text)?.text.text as string;
      assert.ok(list.length <= 3000, `section text ${list.length} chars`);
      const listed = list.split('\n').filter((l) => l.includes('`data/generated/'));
      const more = /… and (\d+) more$/.exec(list);
      assert.ok(more, `ends with "… and N more":\n${list.slice(-200)}`);
      assert.ok(listed.length > 0, 'the first changes are listed');
      assert.is(listed.length + Number(more?.[1]), 300, 'listed + more = every change');
      assert.match(payload.blocks[1].fields[3].text, /^\*Changes\*\n300 \(0 added, 0 removed, 300 changed\)$/);
      assert.match(payload.text, /300 changes/);
      // The alert record keeps every change.
      assert.is(alertRecords(repo)[0].changes.length, 300);

      // The report was evaluated by check: `alert --dry-run` has nothing more to send.
      const dry = await runJson(repo, ['alert', '--dry-run'], 0, env(), at(3));
      assert.is(dry.payloads.length, 0, 'the report was already evaluated by check');
    },
  ),
);

test(
  'many awkward long names together still fit: every tier yields valid JSON under the limits',
  inRepo(alertProject(alertConfig(SLACK)), async (repo) => {
    await initialised(repo);
    const long = '<&>"\\🚀'.repeat(20);
    for (let i = 0; i < 60; i++) repo.write(`data/${String(i).padStart(2, '0')}${long}.txt`, `${i}\n`);
    await run(repo, ['check'], 2, env(), at(2));
    const payload = onlyPayload();
    const list = payload.blocks.find((b: any) => b.type === 'section' && b.text)?.text.text as string | undefined;
    const shownAll = slackTexts(payload);
    assert.match(shownAll, /60 \(60 added, 0 removed, 0 changed\)/);
    assert.ok(list, 'the first changes are still listed');
    assert.ok((list as string).length <= 3000);
    const more = /… and (\d+) more$/.exec(list as string);
    assert.ok(more, (list as string).slice(-100));
    const listed = (list as string).split('\n').filter((l) => l.includes('&lt;&amp;&gt;"\\🚀'));
    assert.ok(listed.length > 0);
    assert.is(listed.length + Number(more?.[1]), 60);
  }),
);

test(
  'template override: alerts.templates/slack.hbs is used for the payload (and by alert --dry-run)',
  inRepo(
    alertProject(alertConfig(`templates: tpl\n${SLACK}`), {
      'tpl/slack.hbs': `{
  "text": {{#jsonText}}[custom] {{event}} {{target.name}}: {{summary.total}} change(s){{/jsonText}},
  "blocks": [
    { "type": "section", "text": { "type": "mrkdwn", "text": {{#jsonText}}{{#each changes}}• {{slackText (printable key)}} ({{severity}}){{nl}}{{/each}}{{/jsonText}} } }
  ]
}
`,
    }),
    async (repo) => {
      await initialised(repo);
      repo.write('prompts/user.txt', 'Q: {question}\n');
      repo.write('data/a&b.txt', 'x\n');
      const dry = await runJson(repo, ['alert', '--dry-run'], 0, env(), at(1.5));
      assert.equal(dry.payloads, [], 'no report with this drift yet');
      await run(repo, ['check', '--no-alert'], 2, env(), at(2));
      const preview = await run(repo, ['alert', '--dry-run'], 0, env(), at(2.5));
      assert.match(preview.stdout, /--- slack channel "slack": opened \S+\n\{\n {2}"text": "\[custom\] opened default: 2 change\(s\)"/);
      assert.is(receiver.received.length, 0, '--dry-run sends nothing');
      assert.is(commitsOfKind(repo, 'alert').length, 0, '--dry-run writes nothing');

      await run(repo, ['alert'], 0, env(), at(3));
      const payload = onlyPayload();
      assert.equal(payload, {
        text: '[custom] opened default: 2 change(s)',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '• prompts/user.txt (medium)\n• data/a&amp;b.txt (low)' } }],
      });
    },
  ),
);

async function failingWith(repo: TempRepo, template: string): Promise<string[]> {
  repo.write('tpl/slack.hbs', template);
  const lines: string[] = [];
  for (const command of [['check'], ['alert'], ['digest', '--dry-run']]) {
    const result = await run(repo, [...command, '--json'], 1, env(), at(2));
    const doc = oneJson(result);
    assert.is(doc.error.code, 'CONFIG_INVALID', command.join(' '));
    lines.push(...result.stderr.split('\n').filter(Boolean));
  }
  assert.is(receiver.received.length, 0);
  return lines;
}

test(
  'a broken template: exit 1 with an error naming the template file and line; nothing is sent',
  inRepo(alertProject(alertConfig(`templates: tpl\n${SLACK}`), { 'tpl/.keep': '' }), async (repo) => {
    await initialised(repo);
    repo.write('prompts/user.txt', 'Q: {question}\n');
    await run(repo, ['check'], 2, env(), at(1.5));
    receiver.received.length = 0;
    let lines = await failingWith(repo, '{\n  "text": {{#jsonText}}{{headline}}{{/jsonText}},\n  "blocks": [\n    {{#each changes}}\n    {{/if}}\n  ]\n}\n');
    assert.ok(lines.every((l) => /^driftctl: error: \S*tpl\/slack\.hbs:[45]: template error: each doesn't match if/.test(l)), lines.join('\n'));
    lines = await failingWith(repo, '{\n  "text": {{#jsonText}}{{headline}}{{/jsonText}},\n  "blocks": [\n    { "type": "section", "text": {{json {{ }} }\n  ]\n}\n');
    assert.ok(lines.every((l) => /^driftctl: error: \S*tpl\/slack\.hbs:4: template error: Parse error on line 4/.test(l)), lines.join('\n'));
  }),
);

test(
  'a template using an unknown field: exit 1 naming the file and line; one producing bad JSON: exit 1 naming the file',
  inRepo(alertProject(alertConfig(`templates: tpl\n${SLACK}`), { 'tpl/.keep': '' }), async (repo) => {
    await initialised(repo);
    let lines = await failingWith(repo, '{\n  "text": {{#jsonText}}{{headline}}{{/jsonText}},\n  "blocks": [],\n  "extra": {{json alert.machine_name}}\n}\n');
    assert.ok(lines.every((l) => /^driftctl: error: \S*tpl\/slack\.hbs:4: template error: "machine_name" not defined/.test(l)), lines.join('\n'));

    // Valid Handlebars, invalid JSON (a raw string): caught when the payload is rendered.
    repo.write('tpl/slack.hbs', '{\n  "text": {{headline}},\n  "blocks": []\n}\n');
    repo.write('prompts/user.txt', 'Q: {question}\n');
    const result = await run(repo, ['check'], 1, env(), at(2));
    assert.match(result.stderr, /driftctl: error: \S*tpl\/slack\.hbs: does not render valid JSON/);
    assert.is(receiver.received.length, 0);

    // An unknown template file name is reported too.
    repo.write('tpl/slack.hbs', '{ "text": {{json headline}}, "blocks": [] }\n');
    repo.write('tpl/slak.hbs', 'typo\n');
    const typo = await run(repo, ['alert'], 1, env(), at(3));
    assert.match(typo.stderr, /tpl\/slak\.hbs: unknown template name \(known: console\.hbs, file\.hbs, slack\.hbs/);
  }),
);

test.run();
