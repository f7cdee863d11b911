import { builtinModules } from 'node:module';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers/repo.js';
import { withTempDir } from '../helpers/temp.js';

/**
 * The bundle (scripts/bundle.mjs) is a build step over whatever src/ holds: every command, op,
 * source and channel module with run-time code is reachable from it, and everything it still loads
 * at run time by name is a Node.js built-in or a runtime dependency the package installs.
 */

const BUNDLE = path.join(REPO_ROOT, 'dist', 'bundle');
const chunks = readdirSync(BUNDLE).filter((f) => f.endsWith('.js'));
const bundled = chunks.map((f) => readFileSync(path.join(BUNDLE, f), 'utf8')).join('\n');

/** tsc output with statements beyond `export {};` and comments (a types-only module compiles to nothing). */
function hasRuntimeCode(file: string): boolean {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  return text.split('\n').some((line) => line.trim() !== '' && line.trim() !== 'export {};' && !line.trim().startsWith('//'));
}

test('every command, op, source and channel module with run-time code is in the bundle', () => {
  const missing: string[] = [];
  for (const folder of ['cli/commands', 'ops', 'sources', 'channels', 'alerts', 'ledger', 'render']) {
    const dir = path.join(REPO_ROOT, 'dist', 'src', folder);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      if (!hasRuntimeCode(path.join(dir, file))) continue;
      if (!bundled.includes(`// dist/src/${folder}/${file}\n`)) missing.push(`src/${folder}/${file.replace(/\.js$/, '.ts')}`);
    }
  }
  assert.equal(missing, [], `not reachable from src/cli/main.ts (register the command or import the module where it is used): ${missing.join(', ')}`);
  const commands = readdirSync(path.join(REPO_ROOT, 'src', 'cli', 'commands')).filter((f) => f.endsWith('.ts'));
  assert.ok(commands.length >= 20, commands.join(', '));
});

test('what the bundle loads by name at run time is a Node.js built-in or a runtime dependency', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const names = new Set<string>();
  const moduleName = /^(node:)?(@[\w.-]+\/)?[\w.-]+(\/[\w.@-]+)*$/;
  for (const match of bundled.matchAll(/(?:\brequire\w*\(|\bimport\(|\bfrom )"([^".][^"]*)"/g)) if (moduleName.test(match[1])) names.add(match[1]);
  const packageOf = (name: string): string => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]);
  const stray = [...names].filter((name) => !builtins.has(name) && !builtins.has(name.replace(/^node:/, '')) && !(packageOf(name) in pkg.dependencies));
  assert.equal(stray, [], 'bundle it, or make it a dependency');
  assert.ok([...names].some((n) => n === 'handlebars/runtime'), 'built-in templates render with the Handlebars runtime, loaded at run time');
});

test('bin/driftctl runs the bundle, whose main chunk exports main()', async () => {
  assert.match(readFileSync(path.join(REPO_ROOT, 'bin', 'driftctl'), 'utf8'), "import('../dist/bundle/main.js')");
  const main = (await import(path.join(BUNDLE, 'main.js'))) as { main?: unknown };
  assert.type(main.main, 'function');
});

/**
 * Loaded before bin/driftctl: reports on stderr how many Intl.Segmenters were built and which
 * directories were listed with readdirSync, when the process exits.
 */
const START_UP_PROBE = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
let segmenters = 0;
const Segmenter = Intl.Segmenter;
Intl.Segmenter = class extends Segmenter { constructor(...args) { super(...args); segmenters++; } };
const listed = [];
const readdirSync = fs.readdirSync;
fs.readdirSync = (dir, ...rest) => { listed.push(String(dir)); return readdirSync(dir, ...rest); };
syncBuiltinESMExports();
process.on('exit', () => process.stderr.write('PROBE ' + JSON.stringify({ segmenters, listed }) + '\\n'));
`;

function probe(dir: string, args: string[]): { segmenters: number; listed: string[]; stdout: string } {
  const probeFile = path.join(dir, 'probe.mjs');
  writeFileSync(probeFile, START_UP_PROBE);
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(probeFile).href, path.join(REPO_ROOT, 'bin', 'driftctl'), ...args], { cwd: dir, encoding: 'utf8' });
  const line = run.stderr.split('\n').find((l) => l.startsWith('PROBE '));
  assert.ok(line, run.stderr);
  return { ...(JSON.parse(line.slice('PROBE '.length)) as { segmenters: number; listed: string[] }), stdout: run.stdout };
}

test('a command builds no text segmenter (help only) and lists no directory to find a package.json', () =>
  withTempDir('bundle-start-up', async (dir) => {
    writeFileSync(path.join(dir, 'package.json'), '{"name": "a-users-project", "version": "9.9.9"}\n');
    const status = probe(dir, ['status']);
    assert.is(status.segmenters, 0, 'string-width builds its Intl.Segmenter on first use');
    assert.equal(status.listed.filter((d) => path.resolve(dir, d) === dir || dir.startsWith(`${path.resolve(dir, d)}${path.sep}`)), [], 'yargs searched for a package.json');
    const help = probe(dir, ['--help']);
    assert.ok(help.segmenters > 0, 'help text is measured with the segmenter (the probe works)');
    assert.match(help.stdout, 'driftctl check');
  }));

test.run();
