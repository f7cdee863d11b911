import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFieldMatcher, displayPath, fromPointer, parseFieldPattern, toPointer } from '../../src/match/field-pattern.js';
import { createIgnorer, diffFields, normalizeContent } from '../../src/drift/fields.js';
import { contentHash, valueEntry } from '../../src/drift/manifest.js';
import { changeDetails, classifyDeltas, resourceType } from '../../src/drift/report.js';
import { createClassifier, overlaps } from '../../src/drift/severity.js';
import { createKeyMatcher } from '../../src/match/glob.js';

test('pointers round-trip, escape / and ~, and display in dotted form', () => {
  const path = ['metadata', 'labels', 'app.kubernetes.io/name', 'a~b', '0'];
  assert.is(toPointer(path), '/metadata/labels/app.kubernetes.io~1name/a~0b/0');
  assert.equal(fromPointer(toPointer(path)), path);
  assert.is(displayPath('/models/primary/name'), 'models.primary.name');
  assert.is(displayPath('/spec/containers/0/image'), 'spec.containers[0].image');
  assert.is(displayPath('/metadata/labels/app.kubernetes.io~1name'), 'metadata.labels["app.kubernetes.io/name"]');
  assert.is(displayPath(''), '(whole value)');
  assert.throws(() => fromPointer('models/x'), /must start with "\/"/);
});

test('field patterns: pointer and dotted forms, wildcards, prefixes', () => {
  assert.equal(parseFieldPattern('spec.containers[*].image'), ['spec', 'containers', '*', 'image']);
  assert.equal(parseFieldPattern('metadata.labels["a.b/c"]'), ['metadata', 'labels', 'a.b/c']);
  assert.equal(parseFieldPattern('/a~1b/**/c'), ['a/b', '**', 'c']);
  assert.throws(() => parseFieldPattern('a[0'), /unclosed "\["/);
  const match = createFieldMatcher(['/generated_at', 'metadata.*.timestamp', '**.resourceVersion', 'annotations.kubectl*']);
  assert.ok(match(['generated_at']));
  assert.ok(match(['generated_at', 'nested']), 'a pattern covers what is below the field');
  assert.ok(match(['metadata', 'a', 'timestamp']));
  assert.not.ok(match(['metadata', 'a', 'b', 'timestamp']));
  assert.ok(match(['x', 'y', 'resourceVersion']));
  assert.ok(match(['resourceVersion']));
  assert.ok(match(['annotations', 'kubectl.kubernetes.io/last-applied-configuration']));
  assert.not.ok(match(['name']));
});

test('normalizeContent sorts keys, drops ignored fields and values JSON cannot hold, keeps __proto__ as data', () => {
  const ignore = createFieldMatcher(['/b/volatile', 'list[1]']);
  const value = JSON.parse('{"z": 1, "a": {"y": 2, "x": [3, null]}, "b": {"volatile": 5, "kept": 6}, "list": [1, 2, 3], "__proto__": {"polluted": true}}');
  const normalized = normalizeContent({ ...value, nan: Number.NaN, fn: () => 1 }, ignore);
  assert.is(JSON.stringify(normalized), '{"__proto__":{"polluted":true},"a":{"x":[3,null],"y":2},"b":{"kept":6},"list":[1,3],"nan":null,"z":1}');
  assert.is(({} as { polluted?: boolean }).polluted, undefined);
  assert.is(contentHash(normalizeContent({ b: 1, a: 2 })), contentHash(normalizeContent({ a: 2, b: 1 })), 'key order is not content');
});

test('diffFields: changed, added and removed fields in both directions, arrays by index', () => {
  const before = { node_count: 3, legacy: true, models: { primary: { name: 'gpt-4o' } }, tags: ['a', 'b', 'c'] };
  const after = { node_count: 5, models: { primary: { name: 'gpt-4.1' }, fallback: { name: 'mini' } }, tags: ['a', 'x'] };
  assert.equal(diffFields(before, after), [
    { path: '/legacy', change: 'removed', before: true },
    { path: '/models/fallback', change: 'added', after: { name: 'mini' } },
    { path: '/models/primary/name', change: 'changed', before: 'gpt-4o', after: 'gpt-4.1' },
    { path: '/node_count', change: 'changed', before: 3, after: 5 },
    { path: '/tags/1', change: 'changed', before: 'b', after: 'x' },
    { path: '/tags/2', change: 'removed', before: 'c' },
  ]);
  assert.equal(diffFields(after, before).map((f) => [f.path, f.change]), [
    ['/legacy', 'added'],
    ['/models/fallback', 'removed'],
    ['/models/primary/name', 'changed'],
    ['/node_count', 'changed'],
    ['/tags/1', 'changed'],
    ['/tags/2', 'added'],
  ]);
  assert.equal(diffFields({ a: [1] }, { a: { 0: 1 } }), [{ path: '/a', change: 'changed', before: [1], after: { 0: 1 } }]);
  assert.equal(diffFields('x', 'x'), []);
});

test('ignore_fields per key glob add to the rules for every key', () => {
  const ignorer = createIgnorer([{ fields: ['/generated_at'] }, { keys: ['config/*.yaml'], fields: ['build.id'] }], createKeyMatcher);
  assert.ok(ignorer('config/a.yaml')?.(['build', 'id']));
  assert.ok(ignorer('config/a.yaml')?.(['generated_at']));
  assert.not.ok(ignorer('other.json')?.(['build', 'id']));
  assert.ok(ignorer('other.json')?.(['generated_at']));
  assert.is(createIgnorer([], createKeyMatcher)('x'), undefined);
});

test('KEY#FIELD rules classify each field; the change takes its most severe field', () => {
  assert.ok(overlaps(['models', '*', 'name'], ['models', 'primary', 'name']));
  assert.ok(overlaps(['models', '*', 'name'], ['models', 'fallback']), 'an ancestor added as a whole');
  assert.ok(overlaps(['models'], ['models', 'primary', 'name']), 'a field below the pattern');
  assert.not.ok(overlaps(['models', '*', 'name'], ['node_count']));
  const classify = createClassifier({
    default: 'low',
    rules: [
      { id: 'names', match: ['config/models.yaml#/models/*/name'], severity: 'critical' },
      { id: 'capacity', match: ['config/*.yaml#node_count'], severity: 'high' },
      { id: 'config', match: ['config/**'], severity: 'medium' },
    ],
  });
  const result = classify({ target: 't', source: 'files', key: 'config/models.yaml', change: 'changed', fields: ['/node_count', '/models/primary/name', '/legacy'] });
  assert.equal(result, {
    severity: 'critical',
    rule: 'names',
    fields: [
      { path: '/node_count', severity: 'high', rule: 'capacity' },
      { path: '/models/primary/name', severity: 'critical', rule: 'names' },
      { path: '/legacy', severity: 'medium', rule: 'config' },
    ],
  });
  assert.equal(classify({ target: 't', source: 'files', key: 'config/models.yaml', change: 'changed' }), { severity: 'medium', rule: 'config' }, 'no structure: field rules never match');
  assert.equal(classify({ target: 't', source: 'files', key: 'config/models.yaml', change: 'added', fields: [''] }).rule, 'names', 'a whole structured entry added overlaps every field rule');
  assert.equal(classify({ target: 't', source: 'm', key: 'cpu', change: 'added', declared: { severity: 'high', rule: 'cpu > 80' } }), { severity: 'high', rule: 'cpu > 80' });
  const literal = createClassifier({ default: 'low', rules: [{ id: 'hash', match: ['notes\\#1.txt'], severity: 'high' }] });
  assert.equal(literal({ target: 't', source: 'files', key: 'notes#1.txt', change: 'changed' }), { severity: 'high', rule: 'hash' }, '\\# is a literal # in a key glob');
});

test('rules with type match Terraform resource types and Kubernetes kinds, wherever the resource lives', () => {
  const tf = valueEntry({ type: 'aws_security_group', actions: ['update'], before: { a: 1 }, after: { a: 2 } }, { pair: true });
  const live = valueEntry({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'x' } });
  const pair = valueEntry({ actions: ['update'], before: { kind: 'Deployment', spec: { replicas: 3 } }, after: { kind: 'Deployment', spec: { replicas: 5 } } }, { pair: true });
  assert.equal([resourceType(tf), resourceType(live), resourceType(pair), resourceType(valueEntry('text'))], ['aws_security_group', 'Secret', 'Deployment', undefined]);
  const severity = { default: 'low' as const, rules: [{ id: 'sg', match: ['**'], type: ['aws_security_group', 'aws_iam_*'], severity: 'critical' as const }] };
  const { changes } = classifyDeltas('t', [
    { source: 'infra', key: 'module.net.aws_security_group.db', after: tf },
    { source: 'infra', key: 'aws_iam_role.ci', after: valueEntry({ type: 'aws_iam_role', actions: ['update'], before: {}, after: { x: 1 } }, { pair: true }) },
    { source: 'infra', key: 'aws_instance.web', after: valueEntry({ type: 'aws_instance', actions: ['update'], before: {}, after: { x: 1 } }, { pair: true }) },
    { source: 'files', key: 'sg.txt', after: { type: 'file', sha256: 'a'.repeat(64), size: 1 } },
  ], severity);
  assert.equal(changes.map((c) => [c.key, c.severity]), [
    ['aws_iam_role.ci', 'critical'],
    ['module.net.aws_security_group.db', 'critical'],
    ['aws_instance.web', 'low'],
    ['sg.txt', 'low'],
  ]);
});

test('reports: fields, group files, pairs and readings, and their one-line details', () => {
  const pairBefore = { ingress: [{ cidr: '10.0.0.0/8' }] };
  const deltas = [
    { source: 'files', key: 'config/models.yaml', before: { ...valueEntry({ node_count: 3 }), type: 'file' as const }, after: { ...valueEntry({ node_count: 5 }), type: 'file' as const } },
    { source: 'files', key: 'addons/qr', before: { type: 'dir' as const, sha256: 'a'.repeat(64), files: { 'a.py': '1', 'b.py': '2', constructor: '3' } }, after: { type: 'dir' as const, sha256: 'b'.repeat(64), files: { 'a.py': '1', 'b.py': '9', 'c.py': '4', constructor: '3' } } },
    { source: 'infra', key: 'aws_security_group.web', after: valueEntry({ type: 'aws_security_group', actions: ['update'], before: pairBefore, after: { ingress: [{ cidr: '0.0.0.0/0' }] } }, { pair: true }) },
    { source: 'infra', key: 'aws_s3_bucket.logs', after: valueEntry({ type: 'aws_s3_bucket', actions: ['delete'], before: { bucket: 'logs' }, after: null }, { pair: true }) },
    { source: 'host', key: 'cpu_percent > 80', after: { ...valueEntry({ metric: 'cpu_percent' }, { severity: 'high', rule: 'cpu_percent > 80' }), reading: 93.5 } },
  ];
  const { changes } = classifyDeltas('t', deltas, { default: 'low', rules: [] });
  const byKey = Object.fromEntries(changes.map((c) => [c.key, c]));
  assert.equal(changeDetails(byKey['config/models.yaml']), ['node_count: 3 → 5']);
  assert.not.ok('content' in (byKey['config/models.yaml'].after as object));
  assert.equal(byKey['addons/qr'].files, [
    { path: 'b.py', change: 'changed' },
    { path: 'c.py', change: 'added' },
  ]);
  assert.equal(changeDetails(byKey['addons/qr']), ['file b.py changed', 'file c.py added']);
  assert.equal(changeDetails(byKey['aws_security_group.web']), ['ingress[0].cidr: "10.0.0.0/8" → "0.0.0.0/0"']);
  assert.equal(changeDetails(byKey['aws_s3_bucket.logs']), ['action: delete']);
  assert.equal([byKey['cpu_percent > 80'].severity, byKey['cpu_percent > 80'].rule], ['high', 'cpu_percent > 80']);
  assert.equal(changeDetails(byKey['cpu_percent > 80']), ['observed 93.5 (cpu_percent > 80)']);
  const many = classifyDeltas('t', [{ source: 's', key: 'k', before: valueEntry(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f${i}`, i]))), after: valueEntry({}) }], { default: 'low', rules: [] }).changes[0];
  assert.equal([many.fields?.length, many.fieldsOmitted], [100, 50]);
  assert.equal(changeDetails(many, 3), ['f0: removed (was 0)', 'f1: removed (was 1)', 'f10: removed (was 10)', '… and 147 more']);
});

test.run();
