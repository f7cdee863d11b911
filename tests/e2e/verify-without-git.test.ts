import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject, spawnCli, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, LEDGER, oneJson } from '../helpers/e2e.js';

/**
 * `verify --full` reads history through git (`rev-list --objects | cat-file --batch`) when git is
 * installed and through isomorphic-git when it is not: both must reach the same verdict, with
 * the same findings in the same words, on an untouched ledger and on one tampered several ways.
 */
const CONFIG = `version: 1
sources:
  - name: files
    kind: files
    watch: ["src/**/*.py", "prompts/**/*.txt", "config/**/*.yaml"]
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

async function buildLedger(): Promise<TempRepo> {
  const repo = seedProject(CONFIG);
  const at = (t: string) => ({ DRIFTCTL_NOW: t });
  expectCode(await cli(repo.dir, ['init'], at('2026-04-01T08:00:00.000Z')), 0, 'init');
  expectCode(await cli(repo.dir, ['check'], at('2026-04-01T09:00:00.000Z')), 0, 'check 1');
  repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
  repo.write('src/extra.py', 'x = 1\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-04-02T09:00:00.000Z')), 2, 'check 2');
  expectCode(await cli(repo.dir, ['accept', 'src/extra.py', '--reason', 'new helper'], at('2026-04-02T10:00:00.000Z')), 0, 'accept');
  repo.write('prompts/system.txt', 'You are terse.\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-04-03T09:00:00.000Z')), 2, 'check 3');
  return repo;
}

function git(repo: TempRepo, args: string[], input?: string, env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd: repo.dir, env: { ...TEST_ENV, ...env }, encoding: 'utf8', input }).trim();
}

/** A commit on the ledger branch made with git plumbing, as someone bypassing driftctl would. */
function tamperCommit(repo: TempRepo, files: Record<string, string | null>, message: string): void {
  const env = { GIT_INDEX_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'driftctl-idx-')), 'index') };
  git(repo, ['read-tree', LEDGER], undefined, env);
  for (const [file, content] of Object.entries(files)) {
    if (content === null) git(repo, ['update-index', '--force-remove', file], undefined, env);
    else git(repo, ['update-index', '--add', '--cacheinfo', `100644,${git(repo, ['hash-object', '-w', '--stdin'], content)},${file}`], undefined, env);
  }
  const commit = git(repo, ['commit-tree', git(repo, ['write-tree'], undefined, env), '-p', LEDGER, '-m', message]);
  git(repo, ['update-ref', `refs/heads/${LEDGER}`, commit]);
}

interface VerifyJson {
  status: string;
  mode: string;
  commits: number;
  checks: { id: string; status: string; summary: string; problems: string[] }[];
}

/** `verify --full --json` as a real process, with git on PATH or with a PATH that has no git. */
async function verifyFull(repo: TempRepo, withGit: boolean): Promise<VerifyJson> {
  const env: Record<string, string> = withGit ? {} : { PATH: mkdtempSync(path.join(tmpdir(), 'driftctl-no-git-')) };
  if (!withGit) assert.throws(() => execFileSync('git', ['--version'], { env: { ...TEST_ENV, ...env }, stdio: 'ignore' }), undefined, 'the PATH without git has no git');
  const run = await spawnCli(repo.dir, ['verify', '--full', '--json'], { DRIFTCTL_NOW: '2026-04-04T00:00:00.000Z', ...env });
  const result = oneJson(run) as VerifyJson;
  expectCode(run, result.status === 'PASS' ? 0 : 1, `verify --full (${withGit ? 'with' : 'without'} git)`);
  return result;
}

async function sameWithAndWithoutGit(repo: TempRepo): Promise<VerifyJson> {
  const withGit = await verifyFull(repo, true);
  const withoutGit = await verifyFull(repo, false);
  assert.equal(withoutGit, withGit, 'the same findings with and without git');
  return withGit;
}

test(
  'an untouched ledger passes verify --full with and without git on PATH',
  inRepo(buildLedger, async (repo) => {
    const result = await sameWithAndWithoutGit(repo);
    assert.is(result.status, 'PASS', JSON.stringify(result, null, 2));
    assert.is(result.mode, 'full');
    assert.is(result.commits, Number(git(repo, ['rev-list', '--count', LEDGER])));
  }),
);

test(
  'a ledger tampered several ways gives the same findings with and without git on PATH',
  inRepo(buildLedger, async (repo) => {
    const files = git(repo, ['ls-tree', '-r', '--name-only', LEDGER]).split('\n');
    // 1. a record rewritten (canonical JSON kept): a modification and a broken hash chain
    const report = files.filter((f) => f.endsWith('.report.json')).find((f) => git(repo, ['show', `${LEDGER}:${f}`]).includes('"drift"')) as string;
    const doc = JSON.parse(git(repo, ['show', `${LEDGER}:${report}`]));
    doc.summary.highest = 'low';
    tamperCommit(repo, { [report]: `${JSON.stringify(doc, Object.keys(doc).sort(), 2)}\n` }, 'tidy up');
    // 2. a file that is not canonical JSON
    const head = 'targets/default/head.json';
    tamperCommit(repo, { [head]: JSON.stringify(JSON.parse(git(repo, ['show', `${LEDGER}:${head}`]))) }, 'compact');
    // 3. the baseline edited in a commit that claims to be a report
    const shard = files.find((f) => /^targets\/default\/baseline\/files\/config\/@\.json$/.test(f)) as string;
    const baseline = JSON.parse(git(repo, ['show', `${LEDGER}:${shard}`]));
    baseline.entries['models.yaml'].sha256 = 'f'.repeat(64);
    tamperCommit(repo, { [shard]: `${JSON.stringify(baseline, null, 2)}\n` }, 'report default: clean\n\nDrift-Target: default\nDrift-Kind: report');
    // 4. a record deleted
    const snapshot = files.find((f) => f.endsWith('.snapshot.json')) as string;
    tamperCommit(repo, { [snapshot]: null }, 'prune');

    const result = await sameWithAndWithoutGit(repo);
    assert.is(result.status, 'FAIL');
    const problems = (id: string): string => (result.checks.find((c) => c.id === id)?.problems ?? []).join('\n');
    assert.match(problems('append-only'), `${report} modified`);
    assert.match(problems('append-only'), /baseline of target "default" changed in a report commit/);
    assert.match(problems('append-only'), `${snapshot} deleted`);
    assert.match(problems('schema'), `${head}: not canonical JSON`);
    assert.is(result.checks.find((c) => c.id === 'continuity')?.status, 'FAIL');
  }),
);

test.run();
