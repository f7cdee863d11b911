import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertNoSecret, assertSlackPayload, bodyJson, everythingStored, slackTexts } from '../helpers/alerts.js';
import { expectCode, LEDGER, oneJson } from '../helpers/e2e.js';
import { startGitServer } from '../helpers/git-server.js';
import { startGithubServer } from '../helpers/github-server.js';
import { useReceiver } from '../helpers/http-receiver.js';
import { cli, makeRepo, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * Captured content end to end: a prompt edit shows its exact unified diff in the CLI, in the
 * Slack payload the loopback receiver gets and in the pull request body the GitHub stand-in
 * gets; a secret in a captured config never reaches the ledger or a payload yet its change
 * shows; binary and oversize files fall back to hashes with a note; attribution names the
 * commit and author of a committed change and says "uncommitted" for a work-tree edit.
 */
const receiver = useReceiver(test);

const SECRET = 'hunter2-Sup3rSecret';
const NEW_SECRET = 'correct-horse-battery';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';

const CONFIG = (extra = ''): string => `version: 1
ledger:
  branch: drift-ledger
${extra}sources:
  - name: files
    kind: files
    watch: ["prompts/**", "config/**", "assets/**"]
    capture: ["prompts/**", "config/**", "assets/**"]
    capture_max_bytes: 1KiB
severity:
  default: low
  rules:
    - match: "prompts/**"
      severity: medium
alerts:
  channels:
    - name: slack
      kind: slack
      webhook_env: SLACK_URL
      retries: 0
`;

const PROMPT = 'You are a helpful assistant.\nAnswer briefly.\nCite sources.\n';
const PROMPT_EDITED = 'You are a terse assistant.\nAnswer briefly.\nCite sources.\n';

/** Git with a chosen author and time (the fixed test clock otherwise). */
function gitAs(repo: TempRepo, who: string, date: string, ...args: string[]): string {
  const env = { ...TEST_ENV, GIT_AUTHOR_NAME: who, GIT_AUTHOR_EMAIL: `${who.split(' ')[0].toLowerCase()}@example.test`, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  return execFileSync('git', args, { cwd: repo.dir, env, encoding: 'utf8' });
}

function project(): TempRepo {
  const repo = makeRepo({
    'driftctl.yml': CONFIG(),
    'prompts/system.txt': PROMPT,
    'config/app.ini': `[db]\nhost = db1\npassword = ${SECRET}\naws = ${AWS_KEY}\n`,
    'assets/logo.bin': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]),
    'assets/big.txt': 'x'.repeat(2000),
  });
  repo.git('add', 'prompts');
  repo.git('commit', '-qm', 'prompts');
  return repo;
}

const BASELINE_NOW = { DRIFTCTL_NOW: '2026-01-03T00:00:00Z' };

test('a prompt edit: exact diff in the CLI, --json hunks, --context, --no-content; attribution of a commit', async () => {
  const repo = project();
  try {
    expectCode(await cli(repo.dir, ['init'], BASELINE_NOW), 0, 'init');
    repo.write('prompts/system.txt', PROMPT_EDITED);
    gitAs(repo, 'Bea Writer', '2026-01-04T10:00:00Z', 'commit', '-qam', 'terser system prompt');
    const commit = repo.git('rev-parse', 'HEAD').trim();

    // A snapshot records the content, not who changed it: no attribution yet.
    expectCode(await cli(repo.dir, ['snapshot']), 0, 'snapshot');
    const text = await cli(repo.dir, ['diff']);
    expectCode(text, 2, 'diff');
    const block = text.stdout.slice(text.stdout.indexOf('changed prompts/system.txt'));
    assert.equal(block.split('\n').slice(0, 8), [
      'changed prompts/system.txt',
      '--- a/prompts/system.txt',
      '+++ b/prompts/system.txt',
      '@@ -1,3 +1,3 @@',
      '-You are a helpful assistant.',
      '+You are a terse assistant.',
      ' Answer briefly.',
      ' Cite sources.',
    ]);

    const check = await cli(repo.dir, ['check', '--no-alert', '--context', '0']);
    expectCode(check, 2, 'check');
    assert.ok(
      check.stdout.includes(
        [
          'changed prompts/system.txt',
          `  committed in ${commit.slice(0, 12)} by Bea Writer <bea@example.test> at 2026-01-04T10:00:00.000Z: "terser system prompt"`,
          '--- a/prompts/system.txt',
          '+++ b/prompts/system.txt',
          '@@ -1 +1 @@',
          '-You are a helpful assistant.',
          '+You are a terse assistant.',
        ].join('\n'),
      ),
      check.stdout,
    );

    const json = oneJson(await cli(repo.dir, ['check', '--no-alert', '--json']));
    const change = json.reports[0].changes.find((c: any) => c.key === 'prompts/system.txt');
    assert.equal(change.attribution.state, 'committed');
    assert.equal(change.attribution.commits[0], { oid: commit, author: 'Bea Writer', email: 'bea@example.test', time: '2026-01-04T10:00:00.000Z', subject: 'terser system prompt' });
    assert.equal(change.diff.hunks, [
      { header: '@@ -1,3 +1,3 @@', oldStart: 1, oldLines: 3, newStart: 1, newLines: 3, lines: ['-You are a helpful assistant.', '+You are a terse assistant.', ' Answer briefly.', ' Cite sources.'] },
    ]);
    assert.equal([change.diff.added, change.diff.removed], [1, 1]);

    const hidden = await cli(repo.dir, ['diff', '--no-content']);
    expectCode(hidden, 2, 'diff --no-content');
    assert.not.ok(hidden.stdout.includes('@@'), hidden.stdout);
    assert.not.ok('diff' in oneJson(await cli(repo.dir, ['diff', '--no-content', '--json'])).changes[0]);

    // blame shows the diff of each snapshot and the attribution its check recorded.
    const blame = oneJson(await cli(repo.dir, ['blame', 'prompts/system.txt', '--json']));
    const changed = blame.events.find((e: any) => e.kind === 'snapshot' && e.change === 'changed');
    assert.equal(changed.attribution.commits[0].oid, commit);
    assert.equal(changed.diff.hunks[0].lines.slice(0, 2), ['-You are a helpful assistant.', '+You are a terse assistant.']);
    const shown = await cli(repo.dir, ['show', json.reports[0].id]);
    assert.ok(shown.stdout.includes('+You are a terse assistant.'), shown.stdout);

    // A further edit only in the work tree: uncommitted.
    repo.write('prompts/system.txt', `${PROMPT_EDITED}Never guess.\n`);
    const wt = oneJson(await cli(repo.dir, ['check', '--no-alert', '--json']));
    assert.equal(wt.reports[0].changes.find((c: any) => c.key === 'prompts/system.txt').attribution, { state: 'uncommitted' });
    const words = await cli(repo.dir, ['diff']);
    assert.ok(words.stdout.includes('  uncommitted (only in the work tree)'), words.stdout);
    // A check that observes nothing new records nothing (attribution included), so the staged
    // state is seen with the next content change.
    repo.write('prompts/system.txt', `${PROMPT_EDITED}Never guess.\nBe kind.\n`);
    repo.git('add', 'prompts/system.txt');
    const staged = oneJson(await cli(repo.dir, ['check', '--no-alert', '--json']));
    assert.equal(staged.reports[0].changes.find((c: any) => c.key === 'prompts/system.txt').attribution, { state: 'staged' });
    expectCode(await cli(repo.dir, ['verify']), 0, 'verify keeps recorded attribution');
  } finally {
    repo.cleanup();
  }
});

test('secrets: redacted before storing, never in the ledger or a Slack payload, and a changed secret still shows', async () => {
  const repo = project();
  const env = { SLACK_URL: `${receiver.url}/hooks/slack` };
  try {
    expectCode(await cli(repo.dir, ['init'], { ...env, ...BASELINE_NOW }), 0, 'init');
    expectCode(await cli(repo.dir, ['check'], env), 0, 'first check (alerts start with the next)');
    repo.write('config/app.ini', `[db]\nhost = db1\npassword = ${NEW_SECRET}\naws = ${AWS_KEY}\n`);
    repo.write('prompts/system.txt', PROMPT_EDITED);
    const run = await cli(repo.dir, ['check', '--json'], env);
    expectCode(run, 2, 'check');
    const report = oneJson(run).reports[0];
    const config = report.changes.find((c: any) => c.key === 'config/app.ini');
    assert.ok(config, 'a changed secret is a change');
    assert.is(config.after.redacted, 2);
    const lines = config.diff.hunks.flatMap((h: any) => h.lines);
    assert.is(lines.filter((l: string) => l.startsWith('-')).length, 1);
    assert.match(lines.find((l: string) => l.startsWith('-')), /^-password = \[REDACTED:assignment:[0-9a-f]{8}\]$/);
    assert.match(lines.find((l: string) => l.startsWith('+')), /^\+password = \[REDACTED:assignment:[0-9a-f]{8}\]$/);
    assert.ok(lines.some((l: string) => /^ aws = \[REDACTED:aws-access-key:[0-9a-f]{8}\]$/.test(l)), lines.join('\n'));

    // Slack: the prompt's diff in a code block.
    assert.is(receiver.received.length, 1, 'one Slack request');
    const payload = assertSlackPayload(bodyJson(receiver.received[0]));
    const codeBlocks = payload.blocks.filter((b: any) => b.type === 'section' && b.text?.text.includes('```'));
    const prompt = codeBlocks.find((b: any) => b.text.text.startsWith('`prompts/system.txt`'));
    assert.ok(prompt, JSON.stringify(payload.blocks, null, 2));
    assert.is(prompt.text.text, '`prompts/system.txt`\n```\n@@ -1,3 +1,3 @@\n-You are a helpful assistant.\n+You are a terse assistant.\n Answer briefly.\n Cite sources.\n```');

    const stored = everythingStored(repo);
    const outputs = [run.stdout, run.stderr, receiver.received.map((r) => r.body).join('\n'), slackTexts(payload)].join('\n');
    for (const [where, text] of [['the ledger repository', stored], ['outputs and payloads', outputs]] as const) assertNoSecret(text, [SECRET, NEW_SECRET, AWS_KEY], where);
    // git grep over every ledger commit, as a reader of the pushed ledger would.
    const commits = repo.git('rev-list', LEDGER).trim().split('\n');
    const grep = spawnSync('git', ['grep', '-I', '-c', '-e', SECRET, '-e', NEW_SECRET, '-e', AWS_KEY, ...commits], { cwd: repo.dir, env: TEST_ENV, encoding: 'utf8' });
    assert.equal([grep.status, grep.stdout], [1, ''], 'git grep finds no secret in any ledger commit (exit 1: no match)');
  } finally {
    repo.cleanup();
  }
});

test('Slack: long diffs show their first lines and "… N more lines" with the show command; many of them stay within Block Kit limits', async () => {
  const long = (tag: string): string => Array.from({ length: 40 }, (_, i) => `${tag} line ${i} ${'x'.repeat(60)}`).join('\n') + '\n';
  const files: Record<string, string> = { 'driftctl.yml': CONFIG().replace('capture_max_bytes: 1KiB', 'capture_max_bytes: 64KiB') };
  for (let i = 0; i < 60; i++) files[`prompts/p${String(i).padStart(2, '0')}.txt`] = long('old');
  const repo = makeRepo(files);
  const env = { SLACK_URL: `${receiver.url}/hooks/slack` };
  try {
    expectCode(await cli(repo.dir, ['init'], env), 0, 'init');
    expectCode(await cli(repo.dir, ['check'], env), 0, 'first check');
    repo.write('prompts/p00.txt', long('new'));
    const one = await cli(repo.dir, ['check', '--json'], env);
    expectCode(one, 2, 'check');
    const reportId = oneJson(one).reports[0].id;
    const payload = assertSlackPayload(bodyJson(receiver.received[0]));
    const block = payload.blocks.find((b: any) => b.type === 'section' && b.text?.text.startsWith('`prompts/p00.txt`'));
    const lines = block.text.text.split('\n');
    assert.equal(lines.slice(0, 4), ['`prompts/p00.txt`', '```', '@@ -1,40 +1,40 @@', `-old line 0 ${'x'.repeat(60)}`]);
    assert.is(lines.length, 1 + 1 + 15 + 1 + 1, 'name, fence, 15 lines, fence, more');
    assert.is(lines[lines.length - 1], `… 66 more lines: \`driftctl show ${reportId}\``);

    for (let i = 1; i < 60; i++) repo.write(`prompts/p${String(i).padStart(2, '0')}.txt`, long('new'));
    expectCode(await cli(repo.dir, ['check'], env), 2, 'check with 60 long diffs');
    const big = assertSlackPayload(bodyJson(receiver.received[receiver.received.length - 1]), 'degraded payload');
    assert.ok(Buffer.byteLength(JSON.stringify(big)) <= 40_000);
  } finally {
    repo.cleanup();
  }
});

test('binary and oversize files fall back to hashes with a note', async () => {
  const repo = project();
  try {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('assets/logo.bin', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 9, 9, 9]));
    repo.write('assets/big.txt', 'y'.repeat(2000));
    expectCode(await cli(repo.dir, ['snapshot']), 0, 'snapshot');
    const run = await cli(repo.dir, ['diff']);
    expectCode(run, 2, 'diff');
    assert.ok(run.stdout.includes('changed assets/logo.bin\n  (binary content: only its hash is kept)'), run.stdout);
    assert.ok(run.stdout.includes('changed assets/big.txt\n  (larger than capture_max_bytes: only its hash is kept)'), run.stdout);
    const json = oneJson(await cli(repo.dir, ['diff', '--json']));
    const logo = json.changes.find((c: any) => c.key === 'assets/logo.bin');
    assert.equal([logo.after.capture, logo.after.blob, logo.diff.hunks], ['binary', undefined, []]);
  } finally {
    repo.cleanup();
  }
});

test('a ledger written without captured content still reads and diffs; capture added later shows the new side', async () => {
  const repo = project();
  try {
    repo.write('driftctl.yml', CONFIG().replace(/    capture.*\n/g, ''));
    expectCode(await cli(repo.dir, ['init']), 0, 'init without capture');
    repo.write('prompts/system.txt', PROMPT_EDITED);
    expectCode(await cli(repo.dir, ['snapshot']), 0, 'snapshot');
    const plain = await cli(repo.dir, ['diff']);
    expectCode(plain, 2, 'diff of a ledger without content');
    assert.ok(plain.stdout.includes('prompts/system.txt'), plain.stdout);
    assert.not.ok(plain.stdout.includes('@@'), plain.stdout);
    expectCode(await cli(repo.dir, ['check', '--no-alert']), 2, 'check without capture');
    repo.write('driftctl.yml', CONFIG());
    const later = oneJson(await cli(repo.dir, ['check', '--no-alert', '--json']));
    const change = later.reports[0].changes.find((c: any) => c.key === 'prompts/system.txt');
    assert.match(change.diff.notes.join('\n'), /before: content not captured/);
    assert.equal(change.diff.hunks[0].lines, PROMPT_EDITED.trimEnd().split('\n').map((l) => `+${l}`));
    expectCode(await cli(repo.dir, ['verify']), 0, 'verify');
  } finally {
    repo.cleanup();
  }
});

test('accept --pr: the pull request body shows each change\'s diff in a fenced diff block, with its attribution', async () => {
  const GH_TOKEN = 'ghp_secretTOKEN123';
  const GIT_TOKEN = 'git-secret-456';
  const git = await startGitServer({ token: GIT_TOKEN });
  const bare = git.createRepo('acme/ledger');
  const gh = await startGithubServer({ token: GH_TOKEN, bareRepo: bare, owner: 'acme', repo: 'ledger' });
  const repo = project();
  const env = { GITHUB_TOKEN: GH_TOKEN, DRIFTCTL_GIT_TOKEN: GIT_TOKEN };
  try {
    repo.write('driftctl.yml', CONFIG(`github:\n  api_url: ${gh.url}\n`).replace('  branch: drift-ledger\n', `  branch: drift-ledger\n  remote: ${git.url}/acme/ledger.git\n`).replace(/alerts:[\s\S]*$/, ''));
    expectCode(await cli(repo.dir, ['init'], { ...env, ...BASELINE_NOW }), 0, 'init');
    repo.write('prompts/system.txt', PROMPT_EDITED);
    expectCode(await cli(repo.dir, ['check'], env), 2, 'check');
    repo.git('push', '-q', bare, `${LEDGER}:${LEDGER}`);
    expectCode(await cli(repo.dir, ['accept', 'prompts/system.txt', '--reason', 'terser prompt approved', '--pr'], env), 0, 'accept --pr');
    const post = gh.requests.find((r) => r.method === 'POST')?.body;
    assert.ok(post, 'a pull request was created');
    assert.ok(
      post.body.includes(['### changed `prompts/system.txt`', '', 'uncommitted (only in the work tree)', '', '```diff', '--- a/prompts/system.txt', '+++ b/prompts/system.txt', '@@ -1,3 +1,3 @@', '-You are a helpful assistant.', '+You are a terse assistant.', ' Answer briefly.', ' Cite sources.', '```'].join('\n')),
      post.body,
    );
  } finally {
    repo.cleanup();
    await gh.close();
    await git.close();
  }
});

test('the HTML report shows inline diffs, escaped', async () => {
  const repo = project();
  try {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    repo.write('prompts/system.txt', `${PROMPT}<script>alert(1)</script>\n`);
    expectCode(await cli(repo.dir, ['check', '--no-alert']), 2, 'check');
    expectCode(await cli(repo.dir, ['report', '--html', 'report.html']), 0, 'report');
    const html = readFileSync(path.join(repo.dir, 'report.html'), 'utf8');
    assert.ok(html.includes('<span class="add">+&lt;script&gt;alert(1)&lt;/script&gt;</span>'), html.slice(html.indexOf('class="diff"'), html.indexOf('class="diff"') + 800));
    assert.ok(html.includes('<span class="hunk">@@ -1,3 +1,4 @@</span>'));
  } finally {
    repo.cleanup();
  }
});

test.run();
