import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Change } from '../../src/drift/report.js';
import { applyWaivers, coverOf, expiringWaivers, parseUntil, type ActiveWaiver } from '../../src/drift/waivers.js';

const NOW = new Date('2026-03-01T06:00:00.000Z');
const change = (key: string, sha: string | undefined, kind: Change['change'] = 'changed'): Change => ({
  source: 'files',
  key,
  change: kind,
  severity: 'low',
  rule: 'default',
  ...(kind !== 'added' ? { before: { type: 'file', sha256: 'a'.repeat(64) } } : {}),
  ...(sha !== undefined ? { after: { type: 'file', sha256: sha } } : {}),
});
const waiver = (over: Partial<ActiveWaiver>): ActiveWaiver => ({ id: 'w', by: 'ann', reason: 'r', until: '2026-03-02T00:00:00.000Z', keys: [], anyContent: false, covers: [], ...over });

test('a waiver covers the observed state only; another sha256 of the same key is drift', () => {
  const seen = change('a.txt', 'b'.repeat(64));
  const w = waiver({ covers: [coverOf(seen)] });
  assert.equal(applyWaivers([seen], [w], NOW).waived.map((x) => x.change.key), ['a.txt']);
  const again = change('a.txt', 'c'.repeat(64));
  assert.equal(applyWaivers([again], [w], NOW).drift.map((c) => c.key), ['a.txt']);
  const removed = change('a.txt', undefined, 'removed');
  assert.equal(applyWaivers([removed], [w], NOW).drift.length, 1, 'removing a waived changed file is a new state');
});

test('anyContent covers key globs whatever they hold; an expired waiver covers nothing', () => {
  const w = waiver({ anyContent: true, keys: ['prompts/**'] });
  const { drift, waived } = applyWaivers([change('prompts/a.txt', 'd'.repeat(64)), change('src/x.py', 'e'.repeat(64))], [w], NOW);
  assert.equal([drift.map((c) => c.key), waived.map((x) => x.change.key)], [['src/x.py'], ['prompts/a.txt']]);
  assert.equal(applyWaivers([change('prompts/a.txt', 'd'.repeat(64))], [w], new Date('2026-03-02T00:00:00.000Z')).waived, [], 'expired at until');
});

test('expiringWaivers lists those in force that end within the window, soonest first', () => {
  const list = [waiver({ id: 'late', until: '2026-03-20T00:00:00.000Z' }), waiver({ id: 'soon', until: '2026-03-03T00:00:00.000Z' }), waiver({ id: 'gone', until: '2026-02-01T00:00:00.000Z' }), waiver({ id: 'next', until: '2026-03-07T00:00:00.000Z' })];
  assert.equal(expiringWaivers(list, NOW, 7 * 86_400_000).map((w) => w.id), ['soon', 'next']);
});

test('parseUntil reads dates (end of day UTC), ISO times and durations, and refuses the rest', () => {
  assert.is(parseUntil('2026-12-31', NOW)?.toISOString(), '2026-12-31T23:59:59.999Z');
  assert.is(parseUntil('2026-03-05T10:00:00+02:00', NOW)?.toISOString(), '2026-03-05T08:00:00.000Z');
  assert.is(parseUntil('7d', NOW)?.toISOString(), '2026-03-08T06:00:00.000Z');
  assert.is(parseUntil('12h', NOW)?.toISOString(), '2026-03-01T18:00:00.000Z');
  for (const bad of ['soon', '2026-13-45', 'tomorrow', '7 days', '']) assert.is(parseUntil(bad, NOW), undefined, bad);
});

test.run();
