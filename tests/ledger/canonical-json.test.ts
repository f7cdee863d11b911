import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, isCanonicalJson } from '../../src/ledger/canonical-json.js';

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

test.run();
