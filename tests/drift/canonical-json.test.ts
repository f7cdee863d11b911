import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, isCanonicalJson } from '../../src/drift/canonical-json.js';
import { parseJsonKeepingIntegers } from '../../src/drift/exact-json.js';

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

/** The definition isCanonicalJson's fast path must agree with. */
function canonicalByDefinition(text: string): boolean {
  try {
    return canonicalJson(parseJsonKeepingIntegers(text)) === text;
  } catch {
    return false;
  }
}

test('the fast canonical check gives the verdict of the definition on every kind of text', () => {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const keys = ['a', 'b', 'B', '_', 'é', '\u{1F600}', '0', '1', '2', '10', '01', '-1', '4294967294', '4294967295', '99999999999', '__proto__', 'quote"', 'new\nline', ''];
  const value = (depth: number): unknown => {
    const kind = depth > 3 ? Math.floor(random() * 4) : Math.floor(random() * 7);
    if (kind === 0) return pick([0, -0, 1, -1.5, 1e21, 2.5e-7, 123456789, 9007199254740991]);
    if (kind === 1) return pick(['', 'x', 'quote " and \\', 'tab\t', '\u0001', 'é', '\ud800']);
    if (kind === 2) return pick([true, false]);
    if (kind === 3) return null;
    if (kind === 4) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
    const out: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 4); i > 0; i--) Object.defineProperty(out, pick(keys), { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  };
  const texts: string[] = ['{}', '[]', '{}\n', '[]\n', 'null\n', '1\n', '"x"\n', '{\n  "a": 1,\n  "a": 1\n}\n', '{\n  "b": 1,\n  "a": 1\n}\n', '{\n  "n": 12345678901234567890\n}\n', '{\n  "n": 1e400\n}\n', '{"a":1}\n', 'not json', ''];
  for (let i = 0; i < 3000; i++) {
    const v = value(0);
    const canonical = canonicalJson(v);
    texts.push(canonical, `${JSON.stringify(v, null, 2)}\n`, JSON.stringify(v), canonical.replace(/\n$/, ''), canonical.replace(/1/, '12345678901234567'));
  }
  let fast = 0;
  for (const text of texts) {
    const expected = canonicalByDefinition(text);
    assert.is(isCanonicalJson(text), expected, JSON.stringify(text));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue;
    }
    assert.is(isCanonicalJson(text, parsed), expected, `with the parsed value: ${JSON.stringify(text)}`);
    if (expected) fast++;
  }
  assert.ok(fast > 1000, `${fast} canonical texts among the samples`);
});

test.run();
