import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, spawnCli, type CliRun } from '../helpers/repo.js';
import { expectCode, inRepo, ledgerTip, oneJson } from '../helpers/e2e.js';

/**
 * Bad configs through the CLI: exit 1, one stderr line per problem naming the file (with line),
 * the field path and what is expected, every problem at once, and with --json one error document.
 */

const VALID_SOURCE = '  - kind: files\n    watch: ["**/*.txt"]\n';

function repoWith(config: string) {
  return () => makeRepo({ 'driftctl.yml': config, 'a.txt': 'a\n' });
}

/** The stderr lines of a failed run; each must be a one-line `driftctl: error:` message. */
function errorLines(run: CliRun): string[] {
  const lines = run.stderr.split('\n').filter(Boolean);
  for (const line of lines) assert.match(line, /^driftctl: error: \S/, `stderr line: ${line}`);
  return lines.map((line) => line.replace(/^driftctl: error: /, ''));
}

/** Runs `check` on a bad config: exit 1, no ledger written, and the stderr lines. */
async function failing(dir: string, args: string[] = ['check']): Promise<string[]> {
  const run = await cli(dir, args);
  expectCode(run, 1, args.join(' '));
  assert.is(run.stdout, '', 'nothing on stdout without --json');
  return errorLines(run);
}

// In-process runs name the config by its absolute path (the test process runs elsewhere).
const FILE = String.raw`\S*driftctl\.yml`;

test(
  'unknown field: names file:line, field path, and the known fields',
  inRepo(repoWith(`version: 1\nsources:\n  - kind: files\n    watch: ["**/*.txt"]\n    wach: ["x"]\n`), async (repo) => {
    const lines = await failing(repo.dir);
    assert.is(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], new RegExp(`^${FILE}:5: sources\\[0\\]\\.wach: is not a known field \\(known: name, kind, root, watch, ignore, ignore_fields, structured, group, capture, capture_max_bytes, redact, remediate\\)$`));
    assert.is(ledgerTip(repo), undefined, 'nothing was written');
  }),
);

test(
  'bad severity values: default and in a rule, each with the allowed values and what was given',
  inRepo(repoWith(`version: 1\nsources:\n${VALID_SOURCE}severity:\n  default: hgh\n  rules:\n    - match: "x/**"\n      severity: urgent\n`), async (repo) => {
    const lines = await failing(repo.dir);
    assert.is(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], new RegExp(`^${FILE}:6: severity\\.default: must be one of critical, high, medium, low, info \\(got "hgh"\\)$`));
    assert.match(lines[1], new RegExp(`^${FILE}:9: severity\\.rules\\[0\\]\\.severity: must be one of critical, high, medium, low, info \\(got "urgent"\\)$`));
  }),
);

test(
  'unknown source kind: lists the known kinds',
  inRepo(repoWith('version: 1\nsources:\n  - kind: ftp\n    watch: ["x"]\n'), async (repo) => {
    const lines = await failing(repo.dir);
    assert.is(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], new RegExp(`^${FILE}:3: sources\\[0\\]\\.kind: must be one of files, command, http, terraform, kubernetes, metrics \\(got "ftp"\\)$`));
  }),
);

test(
  'missing watch, missing sources, wrong types, wrong version',
  inRepo(repoWith('version: 1\nsources:\n  - kind: files\n'), async (repo) => {
    let lines = await failing(repo.dir);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], new RegExp(`^${FILE}:3: sources\\[0\\]\\.watch: is required$`));

    repo.write('driftctl.yml', 'version: 1\nseverity:\n  default: low\n');
    lines = await failing(repo.dir);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], new RegExp(`^${FILE}(:\\d+)?: sources: is required`));

    repo.write('driftctl.yml', 'version: 2\nsources:\n  - kind: files\n    watch: "**/*"\n');
    lines = await failing(repo.dir);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.ok(lines.some((l) => new RegExp(`^${FILE}:1: version: must be 1 \\(got 2\\)$`).test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => new RegExp(`^${FILE}:4: sources\\[0\\]\\.watch: must be array \\(got string "\\*\\*/\\*"\\)$`).test(l)), lines.join('\n'));
  }),
);

test(
  'YAML syntax error: names the line',
  inRepo(repoWith('version: 1\nsources:\n  - kind: files\n    watch: ["a", "b"\n    ignore: []\n'), async (repo) => {
    const lines = await failing(repo.dir);
    assert.ok(lines.length >= 1);
    for (const line of lines) assert.match(line, new RegExp(`^${FILE}:\\d+: YAML syntax: .+`));
    const line = Number(new RegExp(`^${FILE}:(\\d+):`).exec(lines[0])?.[1]);
    assert.ok(line >= 4 && line <= 6, `line ${line} is near the unclosed bracket`);
  }),
);

test(
  'duplicate keys are a YAML error, not a silent override',
  inRepo(repoWith(`version: 1\nsources:\n${VALID_SOURCE}sources:\n${VALID_SOURCE}`), async (repo) => {
    const lines = await failing(repo.dir);
    assert.is(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], new RegExp(`^${FILE}:5: YAML syntax: .*(unique|duplicate)`, 'i'));
  }),
);

test(
  'several problems are reported together, one line each, in one run',
  inRepo(
    repoWith(`version: 1
ledger:
  brnch: x
sources:
  - kind: files
    watch: ["**/*.txt"]
    root: ./missing-dir
  - kind: files
    wach: ["y"]
severity:
  default: hgh
  rules:
    - match: "a/**"
      severity: high
      colour: red
`),
    async (repo) => {
      const lines = await failing(repo.dir);
      const byPath = new Map(lines.map((l) => [new RegExp(`^${FILE}:\\d+: (\\S+):`).exec(l)?.[1], l]));
      assert.ok(byPath.has('ledger.brnch'), lines.join('\n'));
      assert.ok(byPath.has('sources[1].wach'), lines.join('\n'));
      assert.ok(byPath.has('sources[1].watch'), lines.join('\n'));
      assert.ok(byPath.has('severity.default'), lines.join('\n'));
      assert.ok(byPath.has('severity.rules[0].colour'), lines.join('\n'));
      // The known-field lists grow with the schema: check that they name the fields, not the whole list.
      assert.match(byPath.get('ledger.brnch') as string, /:3: ledger\.brnch: is not a known field \(known: [^)]*\bbranch\b[^)]*\)$/);
      assert.match(byPath.get('severity.rules[0].colour') as string, /:15: severity\.rules\[0\]\.colour: is not a known field \(known: [^)]*\bmatch\b[^)]*\bseverity\b[^)]*\)$/);
      assert.match(byPath.get('sources[1].watch') as string, /:8: sources\[1\]\.watch: is required$/);
      assert.match(byPath.get('severity.default') as string, /:11: severity\.default: must be one of critical, high, medium, low, info \(got "hgh"\)$/);
      assert.is(lines.length, 5, lines.join('\n'));
    },
  ),
);

test(
  'semantic problems (after the schema passes) are also reported together',
  inRepo(
    repoWith(`version: 1
targets:
  - name: web
    sources:
      - { kind: files, watch: ["x"] }
      - { kind: files, watch: ["y"], root: ./nope }
  - name: web
    sources:
      - { kind: files, watch: ["x"] }
`),
    async (repo) => {
      const lines = await failing(repo.dir);
      assert.is(lines.length, 2, lines.join('\n'));
      assert.ok(lines.some((l) => /:6: targets\[0\]\.sources\[1\]\.name: duplicate source name "files"/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /:7: targets\[1\]\.name: duplicate target name "web"/.test(l)), lines.join('\n'));
    },
  ),
);

test(
  '--json: one error document on stdout with code and every issue; the lines still go to stderr',
  inRepo(repoWith(`version: 1\nsources:\n  - kind: ftp\n    watch: ["x"]\nseverity:\n  default: hgh\n`), async (repo) => {
    for (const command of [['check'], ['snapshot'], ['diff'], ['status'], ['log'], ['init'], ['accept', '--all', '--reason', 'r']]) {
      const run = await cli(repo.dir, [...command, '--json']);
      expectCode(run, 1, command.join(' '));
      const doc = oneJson(run);
      assert.equal(Object.keys(doc), ['error'], command.join(' '));
      assert.is(doc.error.code, 'CONFIG_INVALID');
      assert.equal(
        doc.error.data.issues.map((i: any) => [i.path, i.message]),
        [
          ['sources[0].kind', 'must be one of files, command, http, terraform, kubernetes, metrics (got "ftp")'],
          ['severity.default', 'must be one of critical, high, medium, low, info (got "hgh")'],
        ],
      );
      assert.match(doc.error.data.issues[0].file, /driftctl\.yml:3$/);
      assert.match(doc.error.data.issues[1].file, /driftctl\.yml:6$/);
      assert.is(doc.error.message.split('\n').length, 2);
      assert.is(errorLines(run).length, 2);
    }
  }),
);

test(
  'missing and empty config files: say what to do',
  inRepo(() => makeRepo({ 'a.txt': 'a\n' }), async (repo) => {
    let lines = await failing(repo.dir);
    assert.is(lines.length, 1);
    assert.match(lines[0], /driftctl\.yml: not found \(run "driftctl init" to write a starter config, or pass --config PATH\)$/);
    lines = await failing(repo.dir, ['check', '--config', 'other.yml']);
    assert.match(lines[0], /other\.yml: not found/);
    repo.write('driftctl.yml', '# nothing yet\n');
    lines = await failing(repo.dir);
    assert.is(lines.length, 1);
    assert.match(lines[0], /driftctl\.yml: is empty/);
  }),
);

test(
  'a real process names the config relative to its directory, as the README shows',
  inRepo(repoWith(`version: 1\nsources:\n  - kind: files\n    watch: ["**/*.txt"]\n    wach: ["x"]\nseverity:\n  default: hgh\n`), async (repo) => {
    const run = await spawnCli(repo.dir, ['check']);
    expectCode(run, 1, 'check');
    assert.equal(run.stderr.split('\n').filter(Boolean), [
      'driftctl: error: driftctl.yml:5: sources[0].wach: is not a known field (known: name, kind, root, watch, ignore, ignore_fields, structured, group, capture, capture_max_bytes, redact, remediate)',
      'driftctl: error: driftctl.yml:7: severity.default: must be one of critical, high, medium, low, info (got "hgh")',
    ]);
  }),
);

test(
  'usage errors: exit 1, a hint on stderr, with --json one error document, and the command does not run',
  inRepo(repoWith(`version: 1\nsources:\n${VALID_SOURCE}`), async (repo) => {
    expectCode(await cli(repo.dir, ['init']), 0, 'init');
    const tip = ledgerTip(repo);
    repo.write('b.txt', 'drift\n');
    let run = await cli(repo.dir, ['frobnicate']);
    expectCode(run, 1, 'unknown command');
    assert.match(run.stderr, /driftctl: error: .*frobnicate/);
    assert.match(run.stderr, /run "driftctl --help" for usage/);
    run = await cli(repo.dir, ['check', '--bogus-flag', '--json']);
    expectCode(run, 1, 'unknown flag');
    assert.is(oneJson(run).error.code, 'USAGE');
    run = await cli(repo.dir, ['log', '--kind', 'nonsense', '--json']);
    expectCode(run, 1, 'bad choice');
    assert.is(oneJson(run).error.code, 'USAGE');
    run = await cli(repo.dir, ['--json']);
    expectCode(run, 1, 'no command');
    assert.is(oneJson(run).error.code, 'USAGE');
    run = await cli(repo.dir, ['accept', '--al', '--reason', 'typo']);
    expectCode(run, 1, 'accept --al');
    assert.match(run.stderr, /Unknown argument: al/);
    run = await cli(repo.dir, ['check', '--targte', 'default']);
    expectCode(run, 1, 'check --targte');
    assert.is(run.stdout, '', 'the check did not run');
    assert.is(ledgerTip(repo), tip, 'a usage error writes nothing to the ledger');
  }),
);

test.run();
