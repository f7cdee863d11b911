import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FilesSourceConfig } from '../../src/config/config.js';
import { ExactInteger } from '../../src/drift/exact-json.js';
import { diffFields } from '../../src/drift/fields.js';
import { contentHash, sameEntry, type ManifestEntry } from '../../src/drift/manifest.js';
import { createFilesSource } from '../../src/sources/files-source.js';
import type { SourceObservation } from '../../src/sources/source.js';
import { parseStructured, structuredParseCount } from '../../src/sources/structured-file.js';

/** Structured files in the files source: parsed, normalised, hashed by content, cached by raw bytes. */

interface Tree {
  root: string;
  cacheDir: string;
  write(file: string, content: string | Buffer): void;
  observe(extra?: Partial<FilesSourceConfig>): Promise<SourceObservation>;
  entry(key: string, extra?: Partial<FilesSourceConfig>): Promise<ManifestEntry | undefined>;
}

function withTree(base: Partial<FilesSourceConfig>, body: (tree: Tree) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-structured-'));
    const root = path.join(dir, 'tree');
    const cacheDir = path.join(dir, 'cache');
    mkdirSync(root);
    const config = (extra: Partial<FilesSourceConfig> = {}): FilesSourceConfig => ({
      name: 'files',
      kind: 'files',
      root,
      watch: ['**/*'],
      ignore: [],
      driftignore: [],
      structured: [],
      groups: [],
      ignoreFields: [],
      ...base,
      ...extra,
    });
    const tree: Tree = {
      root,
      cacheDir,
      write(file, content) {
        const abs = path.join(root, file);
        mkdirSync(path.dirname(abs), { recursive: true });
        writeFileSync(abs, content);
        chmodSync(abs, 0o644);
      },
      observe: (extra) => createFilesSource(config(extra)).observe({ cacheDir, env: {}, now: new Date('2026-01-02T03:04:05Z') }),
      entry: async (key, extra) => (await tree.observe(extra)).entries.get(key),
    };
    try {
      await body(tree);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const MODELS_YAML = `# Model routing
models:
  primary:
    name: gpt-4o
    temperature: 0.2
    max_tokens: 4096
  fallback:
    name: claude-3-5-sonnet
providers: [openai, anthropic]
enabled: true
`;

const MODELS_CONTENT = {
  enabled: true,
  models: { fallback: { name: 'claude-3-5-sonnet' }, primary: { max_tokens: 4096, name: 'gpt-4o', temperature: 0.2 } },
  providers: ['openai', 'anthropic'],
};

const STRUCTURED = { structured: ['config/**/*.yaml', 'config/**/*.json'] };

test(
  'a structured YAML file is stored as its normalised content, hashed by content, without size',
  withTree(STRUCTURED, async (tree) => {
    tree.write('config/models.yaml', MODELS_YAML);
    tree.write('config/notes.txt', 'not structured\n');
    const { entries, stats } = await tree.observe();
    assert.equal([...entries.keys()], ['config/models.yaml', 'config/notes.txt']);
    assert.equal(entries.get('config/models.yaml'), { type: 'file', sha256: contentHash(MODELS_CONTENT), mode: '644', content: MODELS_CONTENT });
    assert.equal(entries.get('config/notes.txt'), { type: 'file', sha256: sha256('not structured\n'), size: 15, mode: '644' }, 'byte hashing stays the default');
    assert.equal(stats, { entries: 2, hashed: 2, reused: 0, errors: 0 });
  }),
);

test(
  'reformatting, reordering and comments are not drift; a changed value is, field by field',
  withTree(STRUCTURED, async (tree) => {
    tree.write('config/models.yaml', MODELS_YAML);
    const before = (await tree.entry('config/models.yaml')) as ManifestEntry;

    tree.write(
      'config/models.yaml',
      `enabled: true   # switched on in March
providers:
  - openai
  - anthropic
models:
    fallback: { name: "claude-3-5-sonnet" }
    primary:
        max_tokens: 4096
        temperature: 0.2
        name: 'gpt-4o'
`,
    );
    const reformatted = (await tree.entry('config/models.yaml')) as ManifestEntry;
    assert.is(reformatted.sha256, before.sha256);
    assert.ok(sameEntry(before, reformatted), 'the same entry: no drift');

    tree.write('config/models.yaml', MODELS_YAML.replace('gpt-4o', 'gpt-4.1').replace('    max_tokens: 4096\n', ''));
    const changed = (await tree.entry('config/models.yaml')) as ManifestEntry;
    assert.is.not(changed.sha256, before.sha256);
    assert.equal(diffFields(before.content, changed.content), [
      { path: '/models/primary/max_tokens', change: 'removed', before: 4096 },
      { path: '/models/primary/name', change: 'changed', before: 'gpt-4o', after: 'gpt-4.1' },
    ]);
  }),
);

test(
  'ignore_fields: pointer, dotted wildcard and per-key rules drop fields before hashing',
  withTree(
    {
      structured: ['**/*.yaml'],
      ignoreFields: [{ fields: ['/generated_at', 'metadata.*.timestamp'] }, { keys: ['config/*.yaml'], fields: ['build.id'] }],
    },
    async (tree) => {
      const doc = (generated: string, stamp: string, build: string): string =>
        `generated_at: ${generated}\nmetadata:\n  a: { timestamp: ${stamp}, owner: ops }\n  b: { timestamp: ${stamp} }\nbuild: { id: ${build}, tag: v1 }\n`;
      tree.write('config/app.yaml', doc('2026-01-01T00:00:00Z', '1', 'abc'));
      tree.write('other/app.yaml', doc('2026-01-01T00:00:00Z', '1', 'abc'));
      const first = await tree.observe();
      assert.equal(first.entries.get('config/app.yaml')?.content, { build: { tag: 'v1' }, metadata: { a: { owner: 'ops' }, b: {} } });
      assert.equal(first.entries.get('other/app.yaml')?.content, { build: { id: 'abc', tag: 'v1' }, metadata: { a: { owner: 'ops' }, b: {} } }, 'the per-key rule applies to config/*.yaml only');

      tree.write('config/app.yaml', doc('2026-02-02T00:00:00Z', '2', 'def'));
      tree.write('other/app.yaml', doc('2026-02-02T00:00:00Z', '2', 'def'));
      const second = await tree.observe();
      assert.is(second.entries.get('config/app.yaml')?.sha256, first.entries.get('config/app.yaml')?.sha256, 'only ignored fields changed');
      assert.is.not(second.entries.get('other/app.yaml')?.sha256, first.entries.get('other/app.yaml')?.sha256, 'build.id is not ignored there');
    },
  ),
);

test(
  'JSON files are parsed as JSON (by extension), with a BOM and any key order',
  withTree(STRUCTURED, async (tree) => {
    tree.write('config/app.json', '\uFEFF{"replicas": 3, "image": {"tag": "1.2.3", "name": "api"}, "ports": [80, 443], "debug": null}\n');
    const entry = await tree.entry('config/app.json');
    const content = { debug: null, image: { name: 'api', tag: '1.2.3' }, ports: [80, 443], replicas: 3 };
    assert.equal(entry, { type: 'file', sha256: contentHash(content), mode: '644', content });
    tree.write('config/app.json', JSON.stringify({ ports: [80, 443], replicas: 3, debug: null, image: { tag: '1.2.3', name: 'api' } }, null, 4));
    assert.is((await tree.entry('config/app.json'))?.sha256, contentHash(content));
  }),
);

test(
  'YAML: core schema (dates and yes stay strings), anchors, merge keys, large numbers, several documents',
  withTree({ structured: ['*.yaml', '*.yml'] }, async (tree) => {
    tree.write(
      'compose.yml',
      `x-common: &common\n  restart: always\n  logging: { driver: json-file }\nservices:\n  web:\n    <<: *common\n    image: nginx:1.27\n    released: 2024-05-01\n    enabled: yes\n    big: 12345678901234567890\n    octal: 0o17\n  db: *common\n`,
    );
    tree.write('k8s.yaml', '---\nkind: Service\n---\nkind: Deployment\nspec: { replicas: 2 }\n');
    tree.write('empty.yaml', '# nothing here yet\n');
    const { entries } = await tree.observe();
    const common = { logging: { driver: 'json-file' }, restart: 'always' };
    assert.equal(entries.get('compose.yml')?.content, {
      services: { db: common, web: { ...common, big: new ExactInteger('12345678901234567890'), enabled: 'yes', image: 'nginx:1.27', octal: 15, released: '2024-05-01' } },
      'x-common': common,
    });
    assert.equal(entries.get('k8s.yaml')?.content, [{ kind: 'Service' }, { kind: 'Deployment', spec: { replicas: 2 } }], 'a stream of documents is the array of its documents');
    assert.equal(entries.get('empty.yaml'), { type: 'file', sha256: contentHash(null), mode: '644', content: null });
  }),
);

test(
  'a structured file that does not parse falls back to the byte hash (and shows as changed)',
  withTree({ structured: ['**/*.yaml', '**/*.json'] }, async (tree) => {
    tree.write('config/models.yaml', MODELS_YAML);
    const parsed = (await tree.entry('config/models.yaml')) as ManifestEntry;
    const broken = `${MODELS_YAML}models:\n  other: 1\n`; // a duplicate key
    tree.write('config/models.yaml', broken);
    const entry = (await tree.entry('config/models.yaml')) as ManifestEntry;
    assert.equal(entry, { type: 'file', sha256: sha256(broken), size: Buffer.byteLength(broken), mode: '644' });
    assert.not.ok(sameEntry(parsed, entry));

    tree.write('syntax.yaml', 'a: [1, 2\nb: 3\n');
    tree.write('bad.json', '{"a": 1,}');
    const { entries, stats } = await tree.observe();
    assert.equal(entries.get('syntax.yaml'), { type: 'file', sha256: sha256('a: [1, 2\nb: 3\n'), size: 14, mode: '644' });
    assert.equal(entries.get('bad.json'), { type: 'file', sha256: sha256('{"a": 1,}'), size: 9, mode: '644' });
    assert.is(stats.errors, 0, 'not parsing is not an error');

    assert.match((parseStructured(Buffer.from(broken), 'yaml') as { unparsable: string }).unparsable, /^invalid YAML: Map keys must be unique at line 11, column 1$/);
    assert.match((parseStructured(Buffer.from('a: [1, 2\nb: 3\n'), 'yaml') as { unparsable: string }).unparsable, /^invalid YAML: .*line \d+/);
    assert.match((parseStructured(Buffer.from('{"a": 1,}'), 'json') as { unparsable: string }).unparsable, /^invalid JSON: /);
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 6 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`).join('\n')}\n`;
    assert.match((parseStructured(Buffer.from(bomb), 'yaml') as { unparsable: string }).unparsable, /^invalid YAML: .*alias/i, 'alias expansion is bounded');
  }),
);

test(
  'binary or non-UTF-8 files under a structured glob are byte-hashed',
  withTree({ structured: ['**/*'] }, async (tree) => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const latin1 = Buffer.from('name: caf\xe9\n', 'latin1');
    tree.write('assets/logo.png', png);
    tree.write('config/latin1.yaml', latin1);
    const { entries, stats } = await tree.observe();
    assert.equal(entries.get('assets/logo.png'), { type: 'file', sha256: sha256(png), size: png.length, mode: '644' });
    assert.equal(entries.get('config/latin1.yaml'), { type: 'file', sha256: sha256(latin1), size: latin1.length, mode: '644' });
    assert.is(stats.errors, 0);
    assert.equal(parseStructured(png, 'yaml'), { unparsable: 'binary (contains a NUL byte)' });
    assert.equal(parseStructured(latin1, 'yaml'), { unparsable: 'not valid UTF-8' });
  }),
);

test(
  'content cache: unchanged bytes are never parsed again, even when rehashed; ignore_fields changes invalidate it',
  withTree({ structured: ['**/*.yaml'] }, async (tree) => {
    for (let i = 0; i < 20; i++) tree.write(`conf/f${String(i).padStart(2, '0')}.yaml`, `id: ${i}\nstamp: ${i * 7}\nlist: [a, b]\n`);
    tree.write('conf/broken.yaml', 'a: [\n');
    let parses = structuredParseCount();
    const parsedSince = (): number => {
      const now = structuredParseCount();
      const n = now - parses;
      parses = now;
      return n;
    };

    const first = await tree.observe();
    assert.is(parsedSince(), 21);
    assert.ok(readdirSync(tree.cacheDir).includes('files.contentcache'));

    const second = await tree.observe();
    assert.is(parsedSince(), 0, 'nothing parsed on the second observe');
    assert.equal([...second.entries], [...first.entries], 'identical entries (unparsable files too)');

    // New mtimes: the stat cache misses and every file is hashed again, but none is parsed.
    const old = new Date(Date.now() - 3600_000);
    for (const name of readdirSync(path.join(tree.root, 'conf'))) utimesSync(path.join(tree.root, 'conf', name), old, old);
    const touched = await tree.observe();
    assert.is(touched.stats.hashed, 21);
    assert.is(parsedSince(), 0);
    assert.equal([...touched.entries], [...first.entries]);

    tree.write('conf/f03.yaml', 'id: 3\nstamp: 999\nlist: [a, b]\n');
    const edited = await tree.observe();
    assert.is(parsedSince(), 1, 'only the changed file is parsed');
    assert.equal(edited.entries.get('conf/f03.yaml')?.content, { id: 3, list: ['a', 'b'], stamp: 999 });

    const ignoring = await tree.observe({ ignoreFields: [{ fields: ['stamp'] }] });
    assert.is(parsedSince(), 21, 'different ignore_fields: everything is parsed again');
    assert.equal(ignoring.entries.get('conf/f03.yaml')?.content, { id: 3, list: ['a', 'b'] });
    await tree.observe({ ignoreFields: [{ fields: ['stamp'] }] });
    assert.is(parsedSince(), 0);

    // Files no longer structured or gone are pruned from the cache; a damaged cache is only a re-parse.
    rmSync(path.join(tree.root, 'conf/f00.yaml'));
    await tree.observe({ ignoreFields: [{ fields: ['stamp'] }] });
    assert.is(parsedSince(), 0);
    writeFileSync(path.join(tree.cacheDir, 'files.contentcache'), '{"format": "driftctl-contentcache 1", "records": ');
    const recovered = await tree.observe({ ignoreFields: [{ fields: ['stamp'] }] });
    assert.is(parsedSince(), 20);
    assert.is(recovered.entries.get('conf/f03.yaml')?.sha256, ignoring.entries.get('conf/f03.yaml')?.sha256);
  }),
);

test.run();
