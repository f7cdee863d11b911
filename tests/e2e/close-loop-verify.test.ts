import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { at, run, runJson } from '../helpers/alerts.js';
import { inRepo, LEDGER, ledgerPaths, oneJson } from '../helpers/e2e.js';
import { cli, makeRepo, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * One ledger holding every record kind that closes the loop (waiver, remediation, restore, and the
 * reports with `waived`): `verify` passes over it, and an edited waiver record is caught. The
 * remediation runs through an `exec:` prefix (a stand-in for ssh that runs the line locally).
 */
const FAKE_SSH = `#!/bin/sh
# fake-ssh HOST -- LINE: runs LINE through a shell, as ssh would on HOST
host="$1"; shift
[ "$1" = "--" ] && shift
echo "connected to $host"
exec /bin/sh -c "$*"
`;
const FIX = `#!/bin/sh
cp desired/*.yaml live/
cat "$DRIFT_REPORT" > seen-report.json
printf '%s' "$DRIFT_KEYS" > seen-keys.txt
`;

function project(): TempRepo {
  const repo = makeRepo({
    'driftctl.yml': `version: 1
ledger:
  branch: ${LEDGER}
sources:
  - name: files
    kind: files
    root: .
    watch: ["live/*.yaml", "prompts/*.txt", "src/*.py"]
    capture: ["prompts/**"]
remediate:
  argv: [./fix.sh]
  exec: [./fake-ssh, web1.example, --]
  timeout: 30s
`,
    'desired/app.yaml': 'replicas: 2\n',
    'live/app.yaml': 'replicas: 2\n',
    'prompts/system.txt': 'Be helpful.\n',
    'src/main.py': 'print(1)\n',
    'fake-ssh': FAKE_SSH,
    'fix.sh': FIX,
  });
  chmodSync(path.join(repo.dir, 'fake-ssh'), 0o755);
  chmodSync(path.join(repo.dir, 'fix.sh'), 0o755);
  return repo;
}

test(
  'verify passes over a ledger with waiver, remediation (through exec:) and restore records, and catches an edited waiver',
  inRepo(project, async (repo) => {
    await run(repo, ['init'], 0, {}, at(0));
    repo.write('src/main.py', 'print(2)\n');
    await run(repo, ['check'], 2, {}, at(1));
    await run(repo, ['waive', 'src/main.py', '--until', '30d', '--reason', 'hotfix pending review'], 0, {}, at(2));
    repo.write('live/app.yaml', 'replicas: 7\n');
    repo.write('prompts/system.txt', 'Be rude.\n');
    const checked = await runJson(repo, ['check'], 2, {}, at(3));
    assert.equal(checked.reports[0].waived.map((w: any) => w.key), ['src/main.py']);

    const fixed = await runJson(repo, ['remediate', '--target', 'default'], 2, {}, at(4));
    assert.equal(fixed.outcomes.map((o: any) => [o.status, o.argv[0], o.remaining]), [['partly-fixed', './fake-ssh', 1]]);
    assert.match(fixed.outcomes[0].record.output, /connected to web1\.example/);
    assert.equal(JSON.parse(readFileSync(path.join(repo.dir, 'seen-report.json'), 'utf8')).changes.map((c: any) => c.key).sort(), ['live/app.yaml', 'prompts/system.txt'], 'the report reached the remote side on stdin');
    assert.is(readFileSync(path.join(repo.dir, 'seen-keys.txt'), 'utf8'), 'live/app.yaml\nprompts/system.txt');

    await run(repo, ['restore', 'prompts/system.txt', '--yes', '--reason', 'undo'], 0, {}, at(5));
    await run(repo, ['check'], 0, {}, at(6));
    const kinds = new Set(ledgerPaths(repo).map((p) => /\.([a-z]+)\.json$/.exec(p)?.[1]));
    for (const kind of ['waiver', 'remediation', 'restore', 'report', 'accept', 'snapshot']) assert.ok(kinds.has(kind), `${kind} records present`);
    const verified = oneJson(await cli(repo.dir, ['verify', '--json'], { DRIFTCTL_NOW: at(7) }));
    assert.is(verified.status, 'PASS', JSON.stringify(verified.checks.filter((c: any) => c.status !== 'PASS'), null, 2));

    // Edit the waiver record with plain git: the chain and the append-only check catch it.
    const waiverPath = ledgerPaths(repo).find((p) => p.endsWith('.waiver.json')) as string;
    const git = (args: string[], input?: string, env: Record<string, string> = {}): string => execFileSync('git', args, { cwd: repo.dir, env: { ...TEST_ENV, ...env }, encoding: 'utf8', input }).trim();
    const doc = JSON.parse(git(['show', `${LEDGER}:${waiverPath}`]));
    doc.until = '2099-01-01T00:00:00.000Z';
    const index = path.join(mkdtempSync(path.join(tmpdir(), 'driftctl-idx-')), 'index');
    git(['read-tree', LEDGER], undefined, { GIT_INDEX_FILE: index });
    const blob = git(['hash-object', '-w', '--stdin'], `${JSON.stringify(Object.fromEntries(Object.keys(doc).sort().map((k) => [k, doc[k]])), null, 2)}\n`);
    git(['update-index', '--add', '--cacheinfo', `100644,${blob},${waiverPath}`], undefined, { GIT_INDEX_FILE: index });
    const tree = git(['write-tree'], undefined, { GIT_INDEX_FILE: index });
    git(['update-ref', `refs/heads/${LEDGER}`, git(['commit-tree', tree, '-p', LEDGER, '-m', 'extend the waiver'])]);
    const tampered = await cli(repo.dir, ['verify', '--json'], { DRIFTCTL_NOW: at(8) });
    assert.is(tampered.code, 1);
    const result = oneJson(tampered);
    assert.is(result.status, 'FAIL');
    assert.match(JSON.stringify(result.checks.filter((c: any) => c.status === 'FAIL')), new RegExp(waiverPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }),
);

test.run();
