import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FilesSourceConfig } from '../../src/config/config.js';
import { groupHash, type ManifestEntry } from '../../src/drift/manifest.js';
import { createFilesSource } from '../../src/sources/files-source.js';
import type { SourceObservation } from '../../src/sources/source.js';
import { inTempDir } from '../helpers/temp.js';

/** Directory groups in the files source: one `dir` entry per matched directory, a Merkle hash over its files. */

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function configFor(root: string, extra: Partial<FilesSourceConfig> = {}): FilesSourceConfig {
  return { name: 'files', kind: 'files', root, watch: ['**/*'], ignore: [], driftignore: [], structured: [], groups: ['addons/*'], ignoreFields: [], ...extra };
}

function write(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    const abs = path.join(root, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

function observe(root: string, cacheDir: string, extra: Partial<FilesSourceConfig> = {}): Promise<SourceObservation> {
  return createFilesSource(configFor(root, extra)).observe({ cacheDir, env: {}, now: new Date('2026-01-02T03:04:05Z') });
}

const ADDON = {
  '__init__.py': 'from . import models\n',
  '__manifest__.py': "{'name': 'QR Ordering', 'version': '18.0.1.0.0'}\n",
  'models/__init__.py': 'from . import order\n',
  'models/order.py': 'class Order:\n    pass\n',
};

function addonAt(dir: string, files: Record<string, string> = ADDON): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([file, content]) => [`${dir}/${file}`, content]));
}

const ADDON_FILES = Object.fromEntries(Object.entries(ADDON).map(([file, content]) => [file, sha256(content)]));

test(
  'each matched directory is one dir entry keyed by its path, with the sha256 of every file below it',
  inTempDir('groups', async (dir) => {
    const root = path.join(dir, 'tree');
    write(root, {
      ...addonAt('addons/qr_ordering'),
      'addons/custom_ocr_finance/__manifest__.py': "{'name': 'OCR'}\n",
      'addons/README.md': 'not in a group\n',
      'infra/docker-compose.yml': 'services: {}\n',
    });
    mkdirSync(path.join(root, 'addons/empty_module'));
    const { entries, stats } = await observe(root, path.join(dir, 'cache'));
    assert.equal([...entries.keys()], ['addons/README.md', 'addons/custom_ocr_finance', 'addons/empty_module', 'addons/qr_ordering', 'infra/docker-compose.yml']);
    assert.equal(entries.get('addons/qr_ordering'), { type: 'dir', sha256: groupHash(ADDON_FILES), files: ADDON_FILES });
    assert.equal(entries.get('addons/custom_ocr_finance'), {
      type: 'dir',
      sha256: sha256(`${sha256("{'name': 'OCR'}\n")} __manifest__.py\n`),
      files: { '__manifest__.py': sha256("{'name': 'OCR'}\n") },
    });
    assert.equal(entries.get('addons/empty_module'), { type: 'dir', sha256: sha256(''), files: {} }, 'an empty directory is an entry with no files');
    assert.is(entries.get('infra/docker-compose.yml')?.type, 'file');
    assert.equal(stats, { entries: 5, hashed: 7, reused: 0, errors: 0 });
    // The Merkle hash as documented: "<sha256> <path>\n" lines in path byte order.
    const lines = Object.keys(ADDON_FILES)
      .sort()
      .map((file) => `${ADDON_FILES[file]} ${file}\n`)
      .join('');
    assert.is(entries.get('addons/qr_ordering')?.sha256, sha256(lines));
  }),
);

test(
  'the group hash does not depend on where the tree lives, on mtimes or on permissions',
  inTempDir('groups', async (dir) => {
    const one = path.join(dir, 'checkout-one');
    const two = path.join(dir, 'srv', 'odoo', 'checkout-two');
    write(one, addonAt('addons/qr_ordering'));
    write(two, addonAt('custom/modules/qr_ordering'));
    chmodSync(path.join(two, 'custom/modules/qr_ordering/models/order.py'), 0o755);
    utimesSync(path.join(two, 'custom/modules/qr_ordering/__init__.py'), new Date('2001-01-01'), new Date('2001-01-01'));
    const a = (await observe(one, path.join(dir, 'cache-one'))).entries.get('addons/qr_ordering');
    const b = (await observe(two, path.join(dir, 'cache-two'), { groups: ['custom/modules/*'] })).entries.get('custom/modules/qr_ordering');
    assert.ok(a?.sha256);
    assert.equal(b, a);
  }),
);

test(
  'a changed, added or removed file changes the group hash and the files map names it',
  inTempDir('groups', async (dir) => {
    const root = path.join(dir, 'tree');
    const cache = path.join(dir, 'cache');
    write(root, { ...addonAt('addons/qr_ordering'), ...addonAt('addons/other', { 'a.py': 'a\n' }) });
    const before = (await observe(root, cache)).entries;
    const base = before.get('addons/qr_ordering') as ManifestEntry;

    write(root, { 'addons/qr_ordering/models/order.py': 'class Order:\n    total = 0\n' });
    const changed = (await observe(root, cache)).entries;
    const entry = changed.get('addons/qr_ordering') as ManifestEntry;
    assert.is.not(entry.sha256, base.sha256);
    assert.equal(entry.files, { ...ADDON_FILES, 'models/order.py': sha256('class Order:\n    total = 0\n') });
    assert.equal(changed.get('addons/other'), before.get('addons/other'), 'other groups are untouched');

    rmSync(path.join(root, 'addons/qr_ordering/models/__init__.py'));
    write(root, { 'addons/qr_ordering/views/order.xml': '<odoo/>\n' });
    const moved = (await observe(root, cache)).entries.get('addons/qr_ordering') as ManifestEntry;
    assert.equal(Object.keys(moved.files ?? {}), ['__init__.py', '__manifest__.py', 'models/order.py', 'views/order.xml']);
    assert.is(moved.files?.['views/order.xml'], sha256('<odoo/>\n'));
    assert.is(moved.sha256, groupHash(moved.files ?? {}));

    // Back to the original bytes: back to the original hash.
    rmSync(path.join(root, 'addons/qr_ordering'), { recursive: true });
    write(root, addonAt('addons/qr_ordering'));
    assert.equal((await observe(root, cache)).entries.get('addons/qr_ordering'), base);
  }),
);

test(
  'symlinks hash their target string; nested matches belong to the outermost group; ignore rules apply inside',
  inTempDir('groups', async (dir) => {
    const root = path.join(dir, 'tree');
    write(root, {
      ...addonAt('addons/qr_ordering'),
      'addons/qr_ordering/static/lib/vendor.js': 'vendor\n',
      'addons/qr_ordering/__pycache__/order.cpython-312.pyc': 'bytecode',
      'addons/qr_ordering/models/order.pyc': 'bytecode',
    });
    symlinkSync('../__manifest__.py', path.join(root, 'addons/qr_ordering/models/manifest-link'));
    const { entries } = await observe(root, path.join(dir, 'cache'), { groups: ['addons/*', '**/lib'], ignore: ['__pycache__/', '*.pyc'] });
    assert.equal([...entries.keys()], ['addons/qr_ordering']);
    assert.equal(entries.get('addons/qr_ordering')?.files, {
      ...ADDON_FILES,
      'models/manifest-link': `symlink:${sha256('../__manifest__.py')}`,
      'static/lib/vendor.js': sha256('vendor\n'),
    });
  }),
);

test(
  'a group with a member it cannot read is an error entry (state unknown), the others are unaffected',
  inTempDir('groups', async (dir) => {
    const root = path.join(dir, 'tree');
    const cache = path.join(dir, 'cache');
    write(root, { ...addonAt('addons/qr_ordering'), ...addonAt('addons/other', { 'a.py': 'a\n' }) });
    execFileSync('mkfifo', [path.join(root, 'addons/qr_ordering/models/pipe')]);
    const { entries, stats } = await observe(root, cache);
    assert.equal(entries.get('addons/qr_ordering'), { type: 'dir', error: 'models/pipe: unsupported file type (not a regular file or symlink)' });
    assert.equal(entries.get('addons/other'), { type: 'dir', sha256: groupHash({ 'a.py': sha256('a\n') }), files: { 'a.py': sha256('a\n') } });
    assert.is(stats.errors, 1);
    rmSync(path.join(root, 'addons/qr_ordering/models/pipe'));

    // A file without read permission: observed by an unprivileged user (root reads everything).
    chmodSync(path.join(root, 'addons/qr_ordering/models/order.py'), 0o000);
    const unreadable = await observeAsUnprivileged(dir, configFor(root), cache);
    assert.equal(unreadable.get('addons/qr_ordering'), { type: 'dir', error: 'models/order.py: EACCES: permission denied' });
    assert.equal(unreadable.get('addons/other'), entries.get('addons/other'));
  }),
);

const NOBODY = 65534;
const FILES_SOURCE_URL = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/sources/files-source.js')).href;

/** Observes in a child process running as nobody when this one is root; in this process otherwise. */
async function observeAsUnprivileged(dir: string, config: FilesSourceConfig, cacheDir: string): Promise<Map<string, ManifestEntry>> {
  if (process.getuid?.() !== 0) return (await createFilesSource(config).observe({ cacheDir, env: {}, now: new Date() })).entries;
  chmodSync(dir, 0o755);
  const childCache = path.join(dir, 'cache-nobody');
  mkdirSync(childCache, { mode: 0o777 });
  chmodSync(childCache, 0o777);
  const script = `const { createFilesSource } = await import(${JSON.stringify(FILES_SOURCE_URL)});
const { entries } = await createFilesSource(JSON.parse(process.argv[1])).observe({ cacheDir: ${JSON.stringify(childCache)}, env: {}, now: new Date() });
process.stdout.write(JSON.stringify([...entries]));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(config)], { uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 30_000 });
  assert.is(result.status, 0, result.stderr);
  return new Map(JSON.parse(result.stdout) as [string, ManifestEntry][]);
}

test(
  'group dirs keep ordinary files apart; a copied addon keeps its hash next to the original',
  inTempDir('groups', async (dir) => {
    const root = path.join(dir, 'tree');
    write(root, { ...addonAt('addons/qr_ordering'), 'addons/top.txt': 'top\n' });
    cpSync(path.join(root, 'addons/qr_ordering'), path.join(root, 'addons/qr_ordering_copy'), { recursive: true });
    const { entries } = await observe(root, path.join(dir, 'cache'), { watch: ['**/*.py', '*.txt'] });
    assert.equal([...entries.keys()], ['addons/qr_ordering', 'addons/qr_ordering_copy', 'addons/top.txt']);
    assert.is(entries.get('addons/qr_ordering_copy')?.sha256, entries.get('addons/qr_ordering')?.sha256);
  }),
);

test.run();
