import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExactInteger, parseExactJson, parseJsonKeepingIntegers } from '../../src/drift/exact-json.js';
import { diffFields, showValue } from '../../src/drift/fields.js';
import type { Json } from '../../src/drift/manifest.js';
import { canonicalJson, isCanonicalJson } from '../../src/drift/canonical-json.js';
import { displayPath } from '../../src/match/field-pattern.js';
import { MAX_EXPANDED_NODES, parseStructured } from '../../src/sources/structured-file.js';

// Real-world YAML and JSON (see tests/fixtures/README.md for origins).

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COMPOSE = readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'structured', 'compose-many-aliases.yaml'), 'utf8');

function parsed(text: string, format: 'json' | 'yaml'): { content: Json; sha256: string } {
  const result = parseStructured(Buffer.from(text), format);
  if ('unparsable' in result) throw new Error(`unparsable: ${result.unparsable}`);
  return result;
}

function unparsable(text: string, format: 'json' | 'yaml'): string {
  const result = parseStructured(Buffer.from(text), format);
  assert.ok('unparsable' in result, `expected ${JSON.stringify(text.slice(0, 40))} to be unparsable`);
  return (result as { unparsable: string }).unparsable;
}

test('a compose file with many aliases is parsed: an anchor edit shows fields, a comment edit is not drift', () => {
  const base = parsed(COMPOSE, 'yaml');
  const services = (base.content as { services: Record<string, { environment: Record<string, string> }> }).services;
  assert.is(Object.keys(services).length, 86);
  assert.is(services.web24.environment.LOG_LEVEL, 'info');
  assert.is(parsed(COMPOSE.replace('# Modelled', '# A comment edit. Modelled'), 'yaml').sha256, base.sha256);
  const edited = parsed(COMPOSE.replace('LOG_LEVEL: info', 'LOG_LEVEL: debug'), 'yaml');
  const fields = diffFields(base.content, edited.content);
  assert.is(fields.length, 87, 'the anchor itself and the 86 services that use it');
  assert.equal(fields[0], { path: '/services/template/environment/LOG_LEVEL', change: 'changed', before: 'info', after: 'debug' });
});

test('an alias bomb (YAML spec aliases nested nine deep) is still refused, by expanded size', () => {
  const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  assert.match(unparsable(`${lines.join('\n')}\n`, 'yaml'), new RegExp(`^invalid YAML: aliases expand to more than ${MAX_EXPANDED_NODES} nodes$`));
});

test('integers beyond 2^53 keep every digit: JSON and YAML, stored content, reports, ledger round trip', () => {
  const before = parsed('[9223372036854775807]', 'json');
  const after = parsed('[9223372036854775808]', 'json');
  assert.ok(before.sha256 !== after.sha256, 'a change in the last digit is drift');
  assert.is(canonicalJson(before.content), '[\n  9223372036854775807\n]\n');
  const fields = diffFields(before.content, after.content);
  assert.equal(fields.map((f) => `${displayPath(f.path)}: ${showValue(f.before)} → ${showValue(f.after)}`), ['[0]: 9223372036854775807 → 9223372036854775808']);
  assert.equal(diffFields(before.content, parsed('[ 9223372036854775807 ]', 'json').content), []);
  // YAML alike, and small integers stay plain numbers.
  const yaml = parsed('id: 18446744073709551615\nsmall: 42\nneg: -9007199254740993\n', 'yaml').content as Record<string, Json>;
  assert.equal(yaml, { id: new ExactInteger('18446744073709551615'), neg: new ExactInteger('-9007199254740993'), small: 42 });
  // The ledger reads its canonical JSON back without rounding.
  const text = canonicalJson({ content: yaml });
  assert.ok(isCanonicalJson(text));
  assert.equal(parseJsonKeepingIntegers(text), { content: yaml });
  // Reports and payloads built with JSON.stringify carry the exact digits (as a string).
  assert.is(JSON.stringify(yaml.id), '"18446744073709551615"');
});

test('ledger JSON keeps long integers wherever a value starts, and long digit runs in strings are strings', () => {
  const big = new ExactInteger('12345678901234567890');
  assert.equal(parseJsonKeepingIntegers('12345678901234567890'), big);
  assert.equal(parseJsonKeepingIntegers(' \n-12345678901234567890 '), new ExactInteger('-12345678901234567890'));
  assert.equal(parseJsonKeepingIntegers('{"a":12345678901234567890}'), { a: big });
  assert.equal(parseJsonKeepingIntegers('{\n  "a": \n\t12345678901234567890\n}'), { a: big });
  assert.equal(parseJsonKeepingIntegers('[1,\r\n 12345678901234567890]'), [1, big]);
  assert.equal(parseJsonKeepingIntegers('[12345678901234567890]'), [big]);
  assert.equal(parseJsonKeepingIntegers('{"n": 1234567890123456}'), { n: 1234567890123456 });
  const hex = '0275eb22b29808fa5433029912345678901234567890cd330d946a87ac917721dc8';
  assert.equal(parseJsonKeepingIntegers(`{"entries":{"f.txt":{"sha256":"${hex}","size":257}},"x":":12345678901234567890"}`), {
    entries: { 'f.txt': { sha256: hex, size: 257 } },
    x: ':12345678901234567890',
  });
});

test('JSON duplicate keys make the file unparsable (recorded by its bytes), naming the key', () => {
  assert.is(unparsable('{"a":"b","a":"c"}', 'json'), 'invalid JSON: duplicate key "a" at /a');
  assert.is(unparsable('{"x":{"y":1,"y":2}}', 'json'), 'invalid JSON: duplicate key "y" at /x/y');
  assert.equal(parsed('{"a":"c"}', 'json').content, { a: 'c' });
  // Same results as JSON.parse otherwise (JSONTestSuite-style cases).
  for (const text of ['[]', '{}', '[1e3, -0.5, 0, "\\u00e9\\n", true, false, null]', ' {"a" : [ {"b":[]} ] } ']) assert.equal(parseExactJson(text), JSON.parse(text), text);
  for (const text of ['[1,]', '{"a":1,}', '[01]', '["\\x"]', '[1] x', '', '[.5]', '{"a"}', '["a\tb"]']) {
    let failed = false;
    try {
      parseExactJson(text);
    } catch {
      failed = true;
    }
    assert.ok(failed, `must reject ${JSON.stringify(text)}`);
  }
});

test.run();
