import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RecordSelection } from '../../src/config/config.js';
import { createFieldMatcher } from '../../src/match/field-pattern.js';
import { contentHash } from '../../src/drift/manifest.js';
import { DriftError } from '../../src/errors.js';
import { observeRecords, selectRecords } from '../../src/sources/keyed-records.js';

const WHAT = 'source "s": stdout';

function select(output: string, selection: RecordSelection): [string, unknown][] {
  return selectRecords(Buffer.from(output), selection, WHAT).map((r) => [r.key, r.content]);
}

function failure(output: string, selection: RecordSelection): string {
  try {
    selectRecords(Buffer.from(output), selection, WHAT);
  } catch (error) {
    assert.instance(error, DriftError);
    assert.is((error as DriftError).code, 'SOURCE_FAILED');
    return (error as DriftError).message;
  }
  throw new Error('expected SOURCE_FAILED');
}

const IMAGES = [
  { Repository: 'nginx', Tag: '1.27', ID: 'sha256:aaa', meta: { labels: { tier: 'web' } } },
  { Repository: 'redis', Tag: '7', ID: 'sha256:bbb', meta: { labels: { tier: 'cache' } } },
];

test('json: items (pointer or dotted) with a template key and a value field', () => {
  const doc = JSON.stringify({ data: { items: IMAGES } });
  const expected = [
    ['nginx:1.27', 'sha256:aaa'],
    ['redis:7', 'sha256:bbb'],
  ];
  assert.equal(select(doc, { parse: 'json', items: '/data/items', key: '{Repository}:{Tag}', value: 'ID' }), expected);
  assert.equal(select(doc, { parse: 'json', items: 'data.items', key: '{Repository}:{Tag}', value: '/ID' }), expected);
  assert.equal(select(JSON.stringify(IMAGES), { parse: 'json', key: 'meta.labels.tier', value: 'Tag' }), [
    ['web', '1.27'],
    ['cache', '7'],
  ]);
});

test('json: an object of records is keyed by property name unless key is given', () => {
  const doc = JSON.stringify({ services: { web: { image: 'nginx', port: 80 }, db: { image: 'postgres', port: 5432 } } });
  assert.equal(select(doc, { parse: 'json', items: 'services' }), [
    ['web', { image: 'nginx', port: 80 }],
    ['db', { image: 'postgres', port: 5432 }],
  ]);
  assert.equal(select(doc, { parse: 'json', items: 'services', key: 'image', value: 'port' }), [
    ['nginx', 80],
    ['postgres', 5432],
  ]);
  assert.equal(select('{"a":1,"b":[2]}', { parse: 'json', items: '.' }), [
    ['a', 1],
    ['b', [2]],
  ]);
});

test('json: a single document is one record keyed "output", or by key', () => {
  assert.equal(select('{"version":"1.2","build":7}\n', { parse: 'json' }), [['output', { version: '1.2', build: 7 }]]);
  assert.equal(select('{"name":"api","version":"1.2"}', { parse: 'json', key: 'name', value: 'version' }), [['api', '1.2']]);
  assert.equal(select('42', { parse: 'json' }), [['output', 42]]);
});

test('json: scalar records are their own key with content true', () => {
  assert.equal(select('["b", "a", 3]', { parse: 'json' }), [
    ['b', true],
    ['a', true],
    ['3', true],
  ]);
});

test('json: object records in an array need key; a missing key field names the record and field', () => {
  assert.match(failure(JSON.stringify(IMAGES), { parse: 'json' }), 'source "s": stdout: the record at /0 is an object: set key to a field');
  const message = failure(JSON.stringify({ items: [IMAGES[0], { Repository: 'x' }] }), { parse: 'json', items: 'items', key: '{Repository}:{Tag}' });
  assert.is(message, 'source "s": stdout: the record at /items/1 has no field "Tag" (key "{Repository}:{Tag}")');
  assert.match(failure('[{"a":{"b":1}}]', { parse: 'json', key: 'a' }), 'the record at /0 has an object in field "a"');
  assert.match(failure('[{"a":1}]', { parse: 'json', key: '{a' }), 'unbalanced');
});

test('json: malformed documents and selections', () => {
  assert.match(failure('{"a":', { parse: 'json' }), /^source "s": stdout is not JSON: /);
  assert.is(failure('  \n', { parse: 'json' }), 'source "s": stdout is not JSON: it is empty');
  assert.is(failure('{"a":1}', { parse: 'json', items: 'b.c' }), 'source "s": stdout: items "b.c" is not in the document');
  assert.is(failure('{"a":1}', { parse: 'json', items: 'a' }), 'source "s": stdout: items "a" is a number, not an array or object of records');
  assert.is(failure('[{"a":1}]', { parse: 'json', key: 'a', value: 'ID' }), 'source "s": stdout: no record has the value field "ID"');
});

test('json: a value field missing from some records gives null content', () => {
  assert.equal(select('[{"a":"x","v":1},{"a":"y"}]', { parse: 'json', key: 'a', value: 'v' }), [
    ['x', 1],
    ['y', null],
  ]);
});

test('jsonl: one record per non-empty line; a bad line is reported by number', () => {
  const out = `${JSON.stringify(IMAGES[0])}\n\n${JSON.stringify(IMAGES[1])}\r\n`;
  assert.equal(select(out, { parse: 'jsonl', key: '{Repository}:{Tag}', value: 'ID' }), [
    ['nginx:1.27', 'sha256:aaa'],
    ['redis:7', 'sha256:bbb'],
  ]);
  assert.equal(select('', { parse: 'jsonl', key: 'ID' }), []);
  assert.match(failure(`${JSON.stringify(IMAGES[0])}\n{}\nnot json\n`, { parse: 'jsonl', key: 'ID' }), /^source "s": stdout is not JSON lines: line 3: /);
  assert.is(failure('{"ID":"a"}\n{"Id":"b"}\n', { parse: 'jsonl', key: 'ID' }), 'source "s": stdout: the record at line 2 has no field "ID" (key "ID")');
});

test('lines: trimmed lines as keys, or a regex with key and value groups', () => {
  assert.equal(select('  openssh-server \n\ncurl\n', { parse: 'lines' }), [
    ['openssh-server', true],
    ['curl', true],
  ]);
  const dpkg = 'ii  curl 7.88.1\nii  openssl 3.0.11\nrc  old-pkg 1.0\n';
  assert.equal(select(dpkg, { parse: 'lines', key: '^ii\\s+(?<key>\\S+)\\s+(?<value>\\S+)' }), [
    ['curl', '7.88.1'],
    ['openssl', '3.0.11'],
  ]);
  assert.equal(select('nginx 1.27\n', { parse: 'lines', key: '^(?<key>\\S+)' }), [['nginx', 'nginx 1.27']]);
  assert.match(failure('x', { parse: 'lines', key: '^(\\S+)' }), 'has no named group (?<key>...)');
  assert.match(failure('x', { parse: 'lines', key: '(?<key>' }), 'key is not a valid regular expression');
});

test('text: the whole output as one record, trailing whitespace trimmed', () => {
  assert.equal(select('  Linux 6.1\n\n', { parse: 'text' }), [['output', '  Linux 6.1']]);
  assert.equal(select('v2\n', { parse: 'text', key: 'kernel' }), [['kernel', 'v2']]);
});

test('keys are made safe and unique', () => {
  const out = ['<none>:<none>', '<none>:<none>', '../etc', 'a//b', 'x\ty'].map((k) => JSON.stringify({ k })).join('\n');
  assert.equal(
    select(out, { parse: 'jsonl', key: 'k' }).map(([key]) => key),
    ['<none>:<none>', '<none>:<none>~2', '%../etc', 'a/%/b', 'x\\u0009y'],
  );
});

test('observeRecords: value entries in key order, ignored fields dropped per key', () => {
  const records = [
    { key: 'b', content: { id: 2, CreatedAt: 't2' } },
    { key: 'a', content: { id: 1, CreatedAt: 't1' } },
  ];
  const ignoreCreated = createFieldMatcher(['CreatedAt']);
  const observation = observeRecords(records, (key) => (key === 'a' ? ignoreCreated : undefined));
  assert.equal([...observation.entries.keys()], ['a', 'b']);
  assert.equal(observation.entries.get('a'), { type: 'value', sha256: contentHash({ id: 1 }), content: { id: 1 } });
  assert.equal(observation.entries.get('b')?.content, { CreatedAt: 't2', id: 2 });
  assert.equal(observation.stats, { entries: 2, hashed: 2, reused: 0, errors: 0 });
});

test.run();
