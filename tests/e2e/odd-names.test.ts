import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, oneJson } from '../helpers/e2e.js';

/**
 * Odd file names (a newline, a carriage return, a tab, a backslash, also in
 * directory names) through watch, ignore and severity rules, end to end: every character of a
 * name counts, so `config/**` selects them like any other name and rules classify them.
 */

const NEWLINE = 'config/a\nb.yaml';
const CR = 'config/c\rr.yaml';
const TAB = 'config/tab\there.yaml';
const BACKSLASH = 'config/back\\slash.yaml';
const NESTED = 'config/dir\nname/inner.yaml';
const SKIPPED = 'config/skip\nme.yaml';
const SKIPPED_DIR = 'config/cache\ndir/x.yaml';
const NAMES = [NEWLINE, CR, TAB, BACKSLASH, NESTED, SKIPPED, SKIPPED_DIR];

const CONFIG = `version: 1
sources:
  - name: files
    kind: files
    watch: ["config/**", "docs/**"]
    ignore: ["config/skip*", "cache?dir/"]
severity:
  default: low
  rules:
    - match: "config/tab?here.yaml"
      severity: critical
    - match: "config/back\\\\\\\\slash.yaml"
      severity: medium
    - match: "config/**"
      severity: high
`;

// Invalid UTF-8 names are matched and listed (tests/match/glob.test.ts); recording them under a key
// that names their bytes is the files source's part (a separate change), so they are not asserted here.
function project(): TempRepo {
  return makeRepo({ 'driftctl.yml': CONFIG, 'docs/guide.txt': 'hi\n', ...Object.fromEntries(NAMES.map((n) => [n, 'v: 1\n'])) });
}

test(
  'names with a newline, CR, tab, backslash (also in directories) are watched by config/**, dropped by ignore rules, classified by severity rules',
  inRepo(project, async (repo) => {
    const init = await cli(repo.dir, ['init', '--json']);
    expectCode(init, 0, 'init');
    for (const name of NAMES) repo.write(name, 'v: 2\n');
    const check = await cli(repo.dir, ['check', '--json']);
    expectCode(check, 2, 'check');
    const report = oneJson(check).reports[0];
    const severityOf = new Map<string, string>(report.changes.map((c: any) => [c.key, c.severity]));
    assert.is(severityOf.get(NEWLINE), 'high', 'a newline in the name: watched by config/**, high by config/**');
    assert.is(severityOf.get(CR), 'high');
    assert.is(severityOf.get(NESTED), 'high', 'a newline in a directory name');
    assert.is(severityOf.get(TAB), 'critical', '? matches the tab');
    assert.is(severityOf.get(BACKSLASH), 'medium', 'an escaped backslash matches the backslash, which is no separator');
    assert.not.ok(severityOf.has(SKIPPED), 'ignore "config/skip*" drops a name with a newline');
    assert.not.ok(severityOf.has(SKIPPED_DIR), 'ignore "cache?dir/" drops a directory with a newline in its name');
    assert.not.ok(severityOf.has('docs/guide.txt'), 'unchanged');
  }),
);

test(
  'with watch ["**/*"], a name holding a newline gets the severity of its rule, not the default',
  inRepo(
    () => makeRepo({ 'driftctl.yml': CONFIG.replace('watch: ["config/**", "docs/**"]', 'watch: ["**/*"]').replace('    ignore: ["config/skip*", "cache?dir/"]\n', '    ignore: ["driftctl.yml"]\n'), [NEWLINE]: 'v: 1\n', [NESTED]: 'v: 1\n' }),
    async (repo) => {
      expectCode(await cli(repo.dir, ['init']), 0, 'init');
      repo.write(NEWLINE, 'v: 2\n');
      repo.write(NESTED, 'v: 2\n');
      const check = await cli(repo.dir, ['check', '--json']);
      expectCode(check, 2, 'check');
      assert.equal(oneJson(check).reports[0].changes.map((c: any) => [c.key, c.severity, c.rule]), [
        [NEWLINE, 'high', 'config/**'],
        [NESTED, 'high', 'config/**'],
      ]);
    },
  ),
);

test.run();
