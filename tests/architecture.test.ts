import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from './helpers/repo.js';

/**
 * The import rules of README.md ("Code layout"), checked against the sources: the folder table
 * (what each folder may import), no import cycles, ledger/ and sources/ below ops/ and session/,
 * and each outside SDK imported by its one adapter.
 */
const SRC = path.join(REPO_ROOT, 'src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** `src/a/b.ts` → `a`; top-level modules (`src/errors.ts`) → `shared`. */
function folderOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0] : 'shared';
}

interface Imports {
  /** Resolved .ts paths of relative imports (static, dynamic, type-only). */
  local: string[];
  /** Package names. */
  packages: string[];
}

function importsOf(file: string): Imports {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1]);
  return {
    local: specs.filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts')),
    packages: specs.filter((s) => !s.startsWith('.') && !s.startsWith('node:')).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0])),
  };
}

const files = sourceFiles();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string): string => path.relative(REPO_ROOT, f);

/** README's folder table: folder → folders it may import. */
function documentedRules(): Map<string, Set<string>> {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Code layout');
  assert.ok(start >= 0, 'README has a "Code layout" section');
  const rules = new Map<string, Set<string>>();
  for (const m of readme.slice(start).matchAll(/^\| `src\/([a-z-]+)\/` \| [^|]+ \|([^|\n]*)\|$/gm)) {
    rules.set(m[1], new Set(m[2].split(',').map((s) => s.trim()).filter(Boolean)));
  }
  return rules;
}

test('README maps every folder of src/, and each folder imports only what its line allows', () => {
  const rules = documentedRules();
  const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.equal([...rules.keys()].sort(), folders.sort(), 'one README line per folder');
  const allowedShared = new Set(['shared']);
  const violations: string[] = [];
  for (const [file, { local }] of graph) {
    const from = folderOf(file);
    const allowed = from === 'shared' ? allowedShared : (rules.get(from) ?? new Set());
    for (const target of local) {
      const to = folderOf(target);
      if (to !== from && !allowed.has(to)) violations.push(`${rel(file)} imports ${rel(target)} (${from} may not import ${to})`);
    }
  }
  assert.equal(violations, []);
});

test('no import cycles between modules', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(' → '));
      return;
    }
    state.set(file, 'visiting');
    for (const next of graph.get(file)?.local ?? []) if (graph.has(next)) visit(next, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.equal(cycles, []);
});

test('ledger/ and sources/ never import ops/, session/ or cli/', () => {
  const violations = files
    .filter((f) => ['ledger', 'sources'].includes(folderOf(f)))
    .flatMap((f) => (graph.get(f)?.local ?? []).filter((t) => ['ops', 'session', 'cli'].includes(folderOf(t))).map((t) => `${rel(f)} → ${rel(t)}`));
  assert.equal(violations, []);
});

test('each outside SDK is imported by its one adapter', () => {
  const adapters: Record<string, string> = {
    undici: 'src/http/http-client.ts',
    yaml: 'src/yaml/yaml.ts',
    handlebars: 'src/render/handlebars.ts',
    'isomorphic-git': 'src/ledger/git-store.ts',
    '@octokit/rest': 'src/github/github-client.ts',
    'node-cron': 'src/schedule/cron-scheduler.ts',
    nodemailer: 'src/channels/smtp-mailer.ts',
  };
  for (const [sdk, adapter] of Object.entries(adapters)) {
    const importers = files.filter((f) => graph.get(f)?.packages.includes(sdk)).map(rel);
    assert.equal(importers, [adapter], `${sdk} is imported by ${adapter} only`);
  }
});

test.run();
