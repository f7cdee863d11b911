import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRepo, REPO_ROOT, SEED_CONFIG, SEED_FILES, TEST_ENV } from '../helpers/repo.js';

/**
 * The package as a user gets it: `npm pack` of this checkout (already built by `npm test`, so
 * --ignore-scripts skips prepack's second build), installed offline from npm's cache into an empty
 * folder with no dev dependencies, and run through a bin symlink as `npm i -g` makes; then the core
 * loop runs through the installed bin on a scratch git repository, outside this checkout.
 */

const NPM_ENV = { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

function npm(cwd: string, args: string[]): string {
  const r = spawnSync('npm', args, { cwd, env: NPM_ENV, encoding: 'utf8' });
  assert.is(r.status, 0, `npm ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * A consumer project depending on the tarball, with a lockfile holding this checkout's locked
 * runtime dependencies (same versions and integrity as `npm ci` installed here), so `npm ci
 * --offline` installs from npm's cache alone: the cache holds those tarballs but no registry
 * metadata, which a lockfile-less `npm install --offline` would need.
 */
function writeConsumer(dir: string, tarballName: string): void {
  const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const self = lock.packages[''];
  const manifest = { name: 'consumer', version: '1.0.0', private: true, dependencies: { driftctl: `file:../${tarballName}` } };
  const packages: Record<string, unknown> = { '': manifest };
  for (const [key, entry] of Object.entries(lock.packages)) if (key !== '' && !entry.dev && !entry.devOptional) packages[key] = entry;
  packages['node_modules/driftctl'] = { version: self.version, resolved: `file:../${tarballName}`, license: self.license, dependencies: self.dependencies, bin: self.bin, engines: self.engines };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
}

function run(bin: string, cwd: string, args: string[], code: number): string {
  const r = spawnSync(bin, args, { cwd, env: TEST_ENV, encoding: 'utf8' });
  assert.is(r.status, code, `driftctl ${args.join(' ')}: exit ${r.status}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

test('npm pack → install offline into an empty folder → init/check/diff/verify/report --html through the installed bin', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'driftctl-pack-'));
  const repo = makeRepo(SEED_FILES);
  try {
    const packed = JSON.parse(npm(REPO_ROOT, ['pack', '--ignore-scripts', '--json', '--pack-destination', work])) as { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    assert.ok(files.includes('bin/driftctl') && files.includes('dist/bundle/main.js') && files.includes('templates/report.html.hbs') && files.includes('schemas/config.schema.json'), files.join('\n'));
    assert.ok(files.includes('dist/bundle/hash-worker.js'), 'the hash worker script is shipped');
    assert.ok(files.some((f) => f.startsWith('dist/.validator-cache/config-')), 'validators are generated at build time and shipped');
    const stray = files.filter((f) => /^(src|tests|bench|scripts|dist\/tests|dist\/bench|dist\/src)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
    assert.equal(stray, [], 'nothing from src/, tests/ or bench/ in the package');

    const tarball = path.join(work, packed[0].filename);
    const project = path.join(work, 'project');
    mkdirSync(project);
    writeConsumer(project, packed[0].filename);
    npm(project, ['ci', '--offline', '--no-audit', '--no-fund']);
    const installed = path.join(project, 'node_modules', 'driftctl');
    assert.not.ok(existsSync(path.join(installed, 'node_modules', 'typescript')) || existsSync(path.join(project, 'node_modules', 'typescript')), 'no dev dependency installed');
    const cacheBefore = readdirSync(path.join(installed, 'dist', '.validator-cache')).sort();

    const bin = path.join(project, 'node_modules', '.bin', 'driftctl');
    repo.write('driftctl.yml', SEED_CONFIG);
    // More files than the hash pool hashes inline: the worker script runs from the installed package.
    for (let i = 0; i < 300; i++) repo.write(`models/m${i}.bin`, `weights ${i}\n`);
    assert.match(run(bin, repo.dir, ['--version'], 0), JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    run(bin, repo.dir, ['init'], 0);
    run(bin, repo.dir, ['check'], 0);
    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    const check = JSON.parse(run(bin, repo.dir, ['check', '--json'], 2));
    assert.is(check.summary.total, 1);
    assert.match(run(bin, repo.dir, ['diff'], 2), 'config/models.yaml');
    repo.write('models/m7.bin', 'retrained\n');
    assert.match(run(bin, repo.dir, ['check'], 2), 'models/m7.bin');
    run(bin, repo.dir, ['verify'], 0);
    run(bin, repo.dir, ['report', '--html', 'report.html'], 0);
    const html = readFileSync(path.join(repo.dir, 'report.html'), 'utf8');
    assert.match(html, /<html/i);
    assert.match(html, 'config/models.yaml');
    assert.equal(readdirSync(path.join(installed, 'dist', '.validator-cache')).sort(), cacheBefore, 'no validator compiled or written at run time');

    // A bad config from the installed package is still one clear line.
    repo.write('driftctl.yml', 'version: 1\ntargets: nope\n');
    const bad = spawnSync(bin, ['check'], { cwd: repo.dir, env: TEST_ENV, encoding: 'utf8' });
    assert.is(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, 'driftctl.yml');

    // What `npm i -g` makes: a bin symlink elsewhere pointing into the installed package.
    const globalBin = path.join(work, 'global-bin');
    mkdirSync(globalBin);
    symlinkSync(path.join(installed, 'bin', 'driftctl'), path.join(globalBin, 'driftctl'));
    assert.match(run(path.join(globalBin, 'driftctl'), repo.dir, ['--version'], 0), /\d+\.\d+\.\d+/);
    assert.ok(tarball.endsWith('.tgz'));
  } finally {
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
