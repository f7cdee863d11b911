import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, alertRecords, at, PROJECT_FILES, run, runJson } from '../helpers/alerts.js';
import { expectCode, inRepo, LEDGER, ledgerLog, ledgerTip, oneJson, showJson } from '../helpers/e2e.js';
import { useReceiver } from '../helpers/http-receiver.js';
import { canonicalJson } from '../../src/drift/canonical-json.js';
import { cli, makeRepo, REPO_ROOT, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * Ledger format 2 (ledger/FORMAT.md "Formats"): new ledgers say format 2 in ledger.json; format-1
 * ledgers still read and verify; `migrate` brings one to format 2 in one commit that changes only
 * ledger.json (dry run, backup ref, idempotent, verify passing before and after); the first write
 * to a format-1 ledger migrates it first; a ledger of a newer format is refused in one line.
 */

const receiver = useReceiver(test);
const SLACK = `channels:\n  - name: slack\n    kind: slack\n    webhook_env: SLACK_URL\n    timeout: 2s\n    retries: 1`;
const env = (): Record<string, string> => ({ SLACK_URL: `${receiver.url}/services/T0/B0/format` });

function metaAt(repo: TempRepo, rev = LEDGER): any {
  return showJson(repo, 'ledger.json', rev);
}

/**
 * A copy of `source`'s ledger branch in a new repository whose every ledger.json says format 1:
 * what driftctl wrote before format 2 (the same records, trees and trailers; only the label differs).
 */
function asFormat1(source: TempRepo, files: Record<string, string>): TempRepo {
  const copy = makeRepo(files);
  const stream = execFileSync('git', ['fast-export', LEDGER], { cwd: source.dir, env: TEST_ENV, maxBuffer: 64 << 20 }).toString('latin1');
  const relabelled = stream.split('"format": 2,\n  "kind": "ledger"').join('"format": 1,\n  "kind": "ledger"');
  assert.ok(relabelled !== stream, 'the export holds ledger.json');
  execFileSync('git', ['fast-import', '--quiet'], { cwd: copy.dir, env: TEST_ENV, input: Buffer.from(relabelled, 'latin1') });
  return copy;
}

async function verifyFull(repo: TempRepo, code = 0): Promise<any> {
  const result = await cli(repo.dir, ['verify', '--full', '--json']);
  expectCode(result, code, 'verify --full');
  return oneJson(result);
}

/** A format-2 ledger with a drift, an alert opened and resolved by an accept. */
async function ledgerWithAcceptsAndAlerts(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, env(), at(0));
  await run(repo, ['check'], 0, env(), at(1));
  repo.write('prompts/system.txt', 'You are a terse assistant.\n');
  await run(repo, ['check'], 2, env(), at(2));
  await run(repo, ['accept', '--all', '--direct', '--reason', 'new prompt reviewed'], 0, env(), at(3));
  await run(repo, ['check'], 0, env(), at(4));
}

test(
  'init writes a format-2 ledger',
  inRepo(alertProject(alertConfig(SLACK)), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    const meta = metaAt(repo);
    assert.is(meta.format, 2);
    assert.is(meta.migrated, undefined);
    const dry = await runJson(repo, ['migrate', '--dry-run'], 0, env(), at(1));
    assert.equal([dry.state, dry.from, dry.to], ['current', 2, 2]);
  }),
);

test(
  'migrate: a format-1 ledger with accepts and alerts goes to format 2 in one commit; verify passes before and after; dry run, backup ref, idempotent',
  inRepo(alertProject(alertConfig(SLACK)), async (source) => {
    await ledgerWithAcceptsAndAlerts(source);
    const config = alertConfig(SLACK);
    const repo = asFormat1(source, { ...PROJECT_FILES, 'prompts/system.txt': 'You are a terse assistant.\n', 'driftctl.yml': config });
    try {
      assert.is(metaAt(repo).format, 1);
      const before = ledgerTip(repo) as string;
      const alertsBefore = alertRecords(repo);
      assert.ok(alertsBefore.some((a) => a.event === 'opened') && alertsBefore.some((a) => a.event === 'resolved'), 'the format-1 ledger holds an opened and a resolved alert');
      const verified = await verifyFull(repo);
      assert.is(verified.status, 'PASS');
      const accepts = (await runJson(repo, ['log', '--kind', 'accept'], 0, env(), at(5))).entries;
      assert.is(accepts.length, 2, 'the initial baseline and the accept of the drift');

      const dry = await runJson(repo, ['migrate', '--dry-run'], 0, env(), at(5));
      assert.equal([dry.state, dry.from, dry.to, dry.tip], ['would-migrate', 1, 2, before]);
      assert.is(ledgerTip(repo), before, '--dry-run writes nothing');

      const done = await runJson(repo, ['migrate'], 0, env(), at(5));
      assert.equal([done.state, done.from, done.to, done.backup], ['migrated', 1, 2, 'refs/driftctl/backup/drift-ledger/format-1']);
      assert.is(repo.git('rev-parse', done.backup).trim(), before, 'the tip before is kept under the backup ref');
      const log = ledgerLog(repo);
      assert.is(log[0].oid, done.tip);
      assert.is(log[0].trailers['Drift-Kind'], 'migrate');
      assert.equal(log[0].parents, [before], 'history before the migration is kept as it was');
      assert.is(repo.git('diff', '--name-only', before, done.tip).trim(), 'ledger.json', 'only ledger.json changes');
      const meta = metaAt(repo);
      assert.equal([meta.format, meta.migrated.from, meta.created], [2, 1, metaAt(repo, before).created]);

      const after = await verifyFull(repo);
      assert.is(after.status, 'PASS', JSON.stringify(after.checks));
      assert.equal(alertRecords(repo), alertsBefore, 'every alert record is kept');
      const acceptsAfter = (await runJson(repo, ['log', '--kind', 'accept'], 0, env(), at(5))).entries;
      assert.equal(acceptsAfter, accepts);
      assert.is((await runJson(repo, ['log', '--kind', 'migrate'], 0, env(), at(5))).entries.length, 1, 'log shows the migration');

      const again = await runJson(repo, ['migrate'], 0, env(), at(6));
      assert.equal([again.state, again.tip], ['current', done.tip], 'a second migrate changes nothing');

      repo.write('prompts/system.txt', 'You are a verbose assistant.\n');
      await run(repo, ['check'], 2, env(), at(7));
      assert.is((await verifyFull(repo)).status, 'PASS');
    } finally {
      repo.cleanup();
    }
  }),
);

test('the first write to a format-1 ledger (the 0.1.0 sample) migrates it first, in a commit of its own', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'driftctl-format-'));
  try {
    const ledgerRepo = path.join(work, 'ledger.git');
    execFileSync('git', ['clone', '-q', '--bare', path.join(REPO_ROOT, 'ledger', 'sample.bundle'), ledgerRepo]);
    const project = path.join(work, 'project');
    mkdirSync(path.join(project, 'config'), { recursive: true });
    writeFileSync(path.join(project, 'config', 'models.yaml'), 'model: small\n');
    writeFileSync(path.join(project, 'driftctl.yml'), `version: 1\nledger:\n  path: ../ledger.git\nsources:\n  - name: files\n    kind: files\n    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml"]\n`);
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ledgerRepo, encoding: 'utf8' });
    const before = git('rev-parse', LEDGER).trim();
    const check = await cli(project, ['check', '--json'], { DRIFTCTL_NOW: '2026-12-01T00:00:00.000Z' });
    assert.ok(check.code === 0 || check.code === 2, check.stderr);
    const kinds = git('log', '--format=%(trailers:key=Drift-Kind,valueonly,separator=%x2c)', `${before}..${LEDGER}`).trim().split('\n').reverse();
    assert.is(kinds[0], 'migrate', `first new commit: ${kinds.join(' | ')}`);
    assert.ok(kinds.length >= 2, 'then the check');
    assert.is(git('diff', '--name-only', before, `${LEDGER}~${kinds.length - 1}`).trim(), 'ledger.json', 'the migrate commit changes only ledger.json');
    assert.is(JSON.parse(git('show', `${LEDGER}:ledger.json`)).format, 2);
    const verify = await cli(project, ['verify', '--full', '--json']);
    assert.is(verify.code, 0, verify.stdout + verify.stderr);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test(
  'a ledger of a newer format is refused in one line, for reading and for writing, and nothing is written',
  inRepo(alertProject(alertConfig(SLACK)), async (repo) => {
    await run(repo, ['init'], 0, env(), at(0));
    const meta = { ...metaAt(repo), format: 3 };
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: canonicalJson(meta) }).toString().trim();
    const tree = repo.git('ls-tree', LEDGER).replace(/^(100644 blob )[0-9a-f]{40}(\tledger\.json)$/m, `$1${blob}$2`);
    const treeOid = execFileSync('git', ['mktree'], { cwd: repo.dir, input: tree }).toString().trim();
    const commit = repo.git('commit-tree', treeOid, '-p', LEDGER, '-m', 'a later driftctl').trim();
    repo.git('update-ref', `refs/heads/${LEDGER}`, commit);
    for (const args of [['log'], ['status'], ['check'], ['verify']]) {
      const result = await cli(repo.dir, args, { ...env(), DRIFTCTL_NOW: at(1) });
      expectCode(result, 1, args[0]);
      const lines = result.stderr.trim().split('\n');
      assert.is(lines.length, 1, `${args[0]}: ${result.stderr}`);
      assert.match(lines[0], /ledger\.json says format 3, and driftctl \S+ reads formats 1 to 2: upgrade driftctl/);
      const json = await cli(repo.dir, [...args, '--json'], { ...env(), DRIFTCTL_NOW: at(1) });
      assert.is(oneJson(json).error.code, 'LEDGER_FORMAT_NEWER');
    }
    assert.is(ledgerTip(repo), commit, 'nothing was written');
  }),
);

test(
  'verify fails a migrate commit that changes more than ledger.json, and a ledger.json change in any other commit',
  inRepo(alertProject(alertConfig(SLACK)), async (source) => {
    await run(source, ['init'], 0, env(), at(0));
    const repo = asFormat1(source, { 'driftctl.yml': alertConfig(SLACK) });
    try {
      const rewrite = (format: number, extra: boolean, kind: string): string => {
        const meta = { ...metaAt(repo), format, migrated: { from: 1, time: at(1), tool: metaAt(repo).tool } };
        const text = canonicalJson(meta);
        const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: text }).toString().trim();
        let tree = repo.git('ls-tree', LEDGER).replace(/^(100644 blob )[0-9a-f]{40}(\tledger\.json)$/m, `$1${blob}$2`);
        if (extra) tree += `100644 blob ${blob}\tnotes.json\n`;
        const treeOid = execFileSync('git', ['mktree'], { cwd: repo.dir, input: tree }).toString().trim();
        return repo.git('commit-tree', treeOid, '-p', LEDGER, '-m', `hand-made\n\nDrift-Kind: ${kind}`).trim();
      };
      const tip = ledgerTip(repo) as string;
      repo.git('update-ref', `refs/heads/${LEDGER}`, rewrite(2, true, 'migrate'));
      const extra = await verifyFull(repo, 1);
      assert.match(JSON.stringify(extra.checks), /migrate commit [0-9a-f]{12} changes more than ledger\.json/);
      repo.git('update-ref', `refs/heads/${LEDGER}`, tip);
      repo.git('update-ref', `refs/heads/${LEDGER}`, rewrite(2, false, 'report'));
      const other = await verifyFull(repo, 1);
      assert.match(JSON.stringify(other.checks), /ledger\.json changed in commit [0-9a-f]{12}/);
      repo.git('update-ref', `refs/heads/${LEDGER}`, tip);
      repo.git('update-ref', `refs/heads/${LEDGER}`, rewrite(2, false, 'migrate'));
      assert.is((await verifyFull(repo)).status, 'PASS', 'a well-formed migrate commit passes');
    } finally {
      repo.cleanup();
    }
  }),
);

test.run();
