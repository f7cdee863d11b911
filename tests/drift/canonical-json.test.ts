import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, isCanonicalJson } from '../../src/drift/canonical-json.js';

test('sorts keys at every depth, two-space indent, trailing newline', () => {
  const text = canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' } });
  assert.is(text, '{\n  "a": {\n    "c": "x",\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
  assert.ok(isCanonicalJson(text));
  assert.not.ok(isCanonicalJson(JSON.stringify({ b: 1, a: 2 })));
});

test('same content in any key order gives the same bytes', () => {
  assert.is(canonicalJson({ x: 1, y: [1, 2], z: null }), canonicalJson({ z: null, y: [1, 2], x: 1 }));
});

test('drops undefined properties but rejects values JSON cannot carry', () => {
  assert.is(canonicalJson({ a: undefined, b: 1 }), '{\n  "b": 1\n}\n');
  assert.throws(() => canonicalJson({ a: Number.NaN }), /non-finite/);
  assert.throws(() => canonicalJson([undefined]), /undefined/);
});

test('integer-like keys sort like any other key, and __proto__ is kept', () => {
  const value = JSON.parse('{"2": 1, "10": 2, "b": 3, "__proto__": {"x": 1}}');
  assert.is(canonicalJson(value), '{\n  "10": 2,\n  "2": 1,\n  "__proto__": {\n    "x": 1\n  },\n  "b": 3\n}\n');
  assert.ok(isCanonicalJson(canonicalJson(value)));
});

test('matches JSON.stringify formatting for nested empty values and escapes', () => {
  const value = { a: [], b: {}, c: 'quote " backslash \\ newline \n', d: [1, [2, {}]], e: -0, f: 1e21 };
  assert.is(canonicalJson(value), `${JSON.stringify(value, null, 2)}\n`);
});

test.run();
