import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, LEDGER, oneJson } from '../helpers/e2e.js';

/**
 * verify against tampering done with plain git: each kind of tampering is caught and named by the
 * check it breaks, and an untouched ledger passes every check.
 */
const ALERTING = `version: 1
sources:
  - name: files
    kind: files
    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml", "config/**/*.json"]
severity:
  default: low
  rules:
    - match: "config/**"
      severity: high
alerts:
  channels:
    - kind: file
      path: .drift/alerts.jsonl
`;

/** A ledger with snapshots, reports with drift, alerts, and a partial accept. */
async function buildLedger(): Promise<TempRepo> {
  const repo = seedProject(ALERTING);
  const at = (t: string) => ({ DRIFTCTL_NOW: t });
  expectCode(await cli(repo.dir, ['init'], at('2026-02-01T08:00:00.000Z')), 0, 'init');
  expectCode(await cli(repo.dir, ['check'], at('2026-02-01T09:00:00.000Z')), 0, 'check 1');
  repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
  repo.write('src/extra.py', 'x = 1\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-02-02T09:00:00.000Z')), 2, 'check 2');
  expectCode(await cli(repo.dir, ['accept', 'src/extra.py', '--reason', 'new helper'], at('2026-02-02T10:00:00.000Z')), 0, 'accept');
  expectCode(await cli(repo.dir, ['check'], at('2026-02-03T09:00:00.000Z')), 2, 'check 3');
  return repo;
}

function git(repo: TempRepo, args: string[], input?: string, env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd: repo.dir, env: { ...TEST_ENV, ...env }, encoding: 'utf8', input }).trim();
}

/** Commits a change to the ledger branch with plain git plumbing (no driftctl), as an attacker would. */
function tamperCommit(repo: TempRepo, files: Record<string, string | null>, message: string, parent = LEDGER): string {
  const index = path.join(mkdtempSync(path.join(tmpdir(), 'driftctl-idx-')), 'index');
  const env = { GIT_INDEX_FILE: index };
  git(repo, ['read-tree', parent], undefined, env);
  for (const [file, content] of Object.entries(files)) {
    if (content === null) git(repo, ['update-index', '--force-remove', file], undefined, env);
    else {
      const blob = git(repo, ['hash-object', '-w', '--stdin'], content);
      git(repo, ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], undefined, env);
    }
  }
  const tree = git(repo, ['write-tree'], undefined, env);
  const commit = git(repo, ['commit-tree', tree, '-p', parent, '-m', message]);
  git(repo, ['update-ref', `refs/heads/${LEDGER}`, commit]);
  return commit;
}

function ledgerFiles(repo: TempRepo, pattern: RegExp): string[] {
  return git(repo, ['ls-tree', '-r', '--name-only', LEDGER]).split('\n').filter((f) => pattern.test(f));
}

async function verifyJson(repo: TempRepo, args: string[] = []): Promise<{ status: string; checks: { id: string; status: string; problems: string[] }[] }> {
  const run = await cli(repo.dir, ['verify', '--json', ...args]);
  const result = oneJson(run);
  expectCode(run, result.status === 'PASS' ? 0 : 1, 'verify');
  return result;
}

function check(result: Awaited<ReturnType<typeof verifyJson>>, id: string): { status: string; problems: string[] } {
  return result.checks.find((c) => c.id === id) as { status: string; problems: string[] };
}

test(
  'an untouched ledger passes every check; the human output has one PASS line per check',
  inRepo(buildLedger, async (repo) => {
    const result = await verifyJson(repo);
    assert.is(result.status, 'PASS', JSON.stringify(result, null, 2));
    assert.equal(result.checks.map((c) => [c.id, c.status]), [
      ['schema', 'PASS'],
      ['append-only', 'PASS'],
      ['reproducible', 'PASS'],
      ['continuity', 'PASS'],
      ['signatures', 'SKIP'],
      ['gaps', 'SKIP'],
    ]);
    const human = await cli(repo.dir, ['verify', '--full']);
    expectCode(human, 0, 'verify');
    assert.match(human.stdout, /^PASS {2}schema /m);
    assert.match(human.stdout, /^PASS {2}reproducible {2}3 reports recomputed byte for byte/m);
    assert.match(human.stdout, /verify: PASS/);
  }),
);

test(
  'a rewritten record is caught as a modification and a broken hash chain',
  inRepo(buildLedger, async (repo) => {
    const [report] = ledgerFiles(repo, /\.report\.json$/).filter((f) => git(repo, ['show', `${LEDGER}:${f}`]).includes('"drift"'));
    const original = JSON.parse(git(repo, ['show', `${LEDGER}:${report}`]));
    original.summary.highest = 'low'; // hide the severity
    tamperCommit(repo, { [report]: `${JSON.stringify(original, Object.keys(original).sort(), 2)}\n` }, 'tidy up');
    const result = await verifyJson(repo);
    assert.is(result.status, 'FAIL');
    assert.is(check(result, 'append-only').status, 'FAIL');
    assert.ok(check(result, 'append-only').problems.some((p) => p.includes(`${report} modified`)), check(result, 'append-only').problems.join('\n'));
    assert.is(check(result, 'continuity').status, 'FAIL');
  }),
);

test(
  'a record edited in place (history rewritten, canonical JSON kept) fails reproducibility and the hash chain',
  inRepo(buildLedger, async (repo) => {
    const reports = ledgerFiles(repo, /\.report\.json$/);
    const target = reports[reports.length - 1];
    // Rewrite the tip commit itself so that no later commit shows the modification.
    const tip = git(repo, ['rev-parse', LEDGER]);
    const doc = JSON.parse(git(repo, ['show', `${LEDGER}:${target}`]));
    doc.changes = doc.changes.filter((c: { key: string }) => c.key !== 'config/models.yaml');
    const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v);
    const parent = git(repo, ['rev-parse', `${tip}^`]);
    const message = git(repo, ['log', '-1', '--format=%B', tip]);
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, parent]);
    const files: Record<string, string> = {};
    for (const f of git(repo, ['diff-tree', '-r', '--name-only', '--no-commit-id', tip]).split('\n')) files[f] = git(repo, ['show', `${tip}:${f}`]) + '\n';
    files[target] = `${JSON.stringify(sorted(doc), null, 2)}\n`;
    tamperCommit(repo, files, message);
    const result = await verifyJson(repo);
    assert.is(check(result, 'schema').status, 'PASS', check(result, 'schema').problems.join('\n'));
    assert.is(check(result, 'reproducible').status, 'FAIL');
    assert.ok(check(result, 'reproducible').problems[0].startsWith(target), check(result, 'reproducible').problems.join('\n'));
    assert.is(check(result, 'continuity').status, 'FAIL', 'chain.json names the original bytes, and the tip no longer descends from the published one');
  }),
);

test(
  'a dropped commit breaks the hash chain and the checkpoint',
  inRepo(buildLedger, async (repo) => {
    // Rebuild the branch without the accept commit, replaying the later commits' changes on top.
    const commits = git(repo, ['rev-list', '--reverse', LEDGER]).split('\n');
    const acceptIndex = commits.findIndex((c) => git(repo, ['log', '-1', '--format=%B', c]).includes('Drift-Kind: accept') && git(repo, ['log', '-1', '--format=%s', c]).includes('new helper'));
    assert.ok(acceptIndex > 0);
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, commits[acceptIndex - 1]]);
    for (const c of commits.slice(acceptIndex + 1)) {
      const files: Record<string, string | null> = {};
      for (const line of git(repo, ['diff-tree', '-r', '--no-commit-id', '--name-status', `${c}^`, c]).split('\n')) {
        const [status, file] = line.split('\t');
        files[file] = status === 'D' ? null : `${git(repo, ['show', `${c}:${file}`])}\n`;
      }
      tamperCommit(repo, files, git(repo, ['log', '-1', '--format=%B', c]));
    }
    const result = await verifyJson(repo);
    assert.is(result.status, 'FAIL');
    const continuity = check(result, 'continuity');
    assert.is(continuity.status, 'FAIL');
    assert.ok(continuity.problems.some((p) => /is missing from the ledger history/.test(p)), continuity.problems.join('\n'));
    assert.ok(continuity.problems.some((p) => /does not descend from/.test(p)), continuity.problems.join('\n'));
  }),
);

test(
  'a force-pushed older tip is caught by the checkpoint',
  inRepo(buildLedger, async (repo) => {
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, `${LEDGER}~4`]);
    const result = await verifyJson(repo);
    const continuity = check(result, 'continuity');
    assert.is(continuity.status, 'FAIL');
    assert.match(continuity.problems.join('\n'), /does not descend from [0-9a-f]{12}, a tip published earlier/);
    assert.is(check(result, 'append-only').status, 'PASS');
  }),
);

test(
  'a baseline edited outside an accept commit is named',
  inRepo(buildLedger, async (repo) => {
    const [shard] = ledgerFiles(repo, /^targets\/default\/baseline\/files\/config\/@\.json$/);
    const doc = JSON.parse(git(repo, ['show', `${LEDGER}:${shard}`]));
    doc.entries['models.yaml'].sha256 = 'f'.repeat(64);
    tamperCommit(repo, { [shard]: `${JSON.stringify(doc, null, 2).replace(/\n/g, '\n')}\n` }, 'report default: clean\n\nDrift-Target: default\nDrift-Kind: report');
    const result = await verifyJson(repo);
    const appendOnly = check(result, 'append-only');
    assert.is(appendOnly.status, 'FAIL');
    assert.match(appendOnly.problems.join('\n'), /baseline of target "default" changed in a report commit/);
  }),
);

test(
  'a baseline edited in a commit without a Drift-Kind trailer is named as such (not "a other commit")',
  inRepo(buildLedger, async (repo) => {
    const [shard] = ledgerFiles(repo, /^targets\/default\/baseline\/files\/config\/@\.json$/);
    const doc = JSON.parse(git(repo, ['show', `${LEDGER}:${shard}`]));
    doc.entries['models.yaml'].sha256 = 'e'.repeat(64);
    tamperCommit(repo, { [shard]: `${JSON.stringify(doc, null, 2)}\n` }, 'tweak the baseline');
    const run = await cli(repo.dir, ['verify']);
    expectCode(run, 1, 'verify');
    assert.match(run.stdout, /baseline of target "default" changed in a commit without a Drift-Kind trailer [0-9a-f]{12}/);
    assert.not.match(run.stdout, /a other/);
  }),
);

test(
  'signed commits verify against allowed signers; a signature by an unknown key fails; --require-signatures fails unsigned commits',
  inRepo(buildLedger, async (repo) => {
    const keys = mkdtempSync(path.join(tmpdir(), 'driftctl-keys-'));
    const key = path.join(keys, 'ledger');
    const other = path.join(keys, 'intruder');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ledger', '-f', key]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'intruder', '-f', other]);
    const allowed = path.join(keys, 'allowed_signers');
    writeFileSync(allowed, `author@example.test ${execFileSync('cat', [`${key}.pub`], { encoding: 'utf8' }).trim()}\n`);
    const sign = (signingKey: string) => ({ GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'gpg.format', GIT_CONFIG_VALUE_0: 'ssh', GIT_CONFIG_KEY_1: 'user.signingkey', GIT_CONFIG_VALUE_1: signingKey });
    const tree = git(repo, ['rev-parse', `${LEDGER}^{tree}`]);
    const good = git(repo, ['commit-tree', '-S', tree, '-p', LEDGER, '-m', 'maintenance\n\nDrift-Kind: other'], undefined, sign(key));
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, good]);
    let result = await verifyJson(repo, ['--allowed-signers', allowed]);
    assert.is(check(result, 'signatures').status, 'PASS', check(result, 'signatures').problems.join('\n'));
    result = await verifyJson(repo, ['--allowed-signers', allowed, '--require-signatures']);
    assert.is(check(result, 'signatures').status, 'FAIL');
    assert.match(check(result, 'signatures').problems[0], /is not signed/);
    const bad = git(repo, ['commit-tree', '-S', tree, '-p', LEDGER, '-m', 'maintenance 2\n\nDrift-Kind: other'], undefined, sign(other));
    git(repo, ['update-ref', `refs/heads/${LEDGER}`, bad]);
    result = await verifyJson(repo, ['--allowed-signers', allowed]);
    assert.is(check(result, 'signatures').status, 'FAIL');
    assert.match(check(result, 'signatures').problems.join('\n'), new RegExp(`${bad.slice(0, 12)}: signature does not verify`));
  }),
);

test.run();
