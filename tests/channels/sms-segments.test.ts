import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitSms, isGsm7, smsLength } from '../../src/channels/sms-segments.js';

test('GSM-7: 160 septets in one segment, 153 per segment beyond', () => {
  assert.equal(smsLength('a'.repeat(160)), { encoding: 'GSM-7', units: 160, segments: 1 });
  assert.equal(smsLength('a'.repeat(161)), { encoding: 'GSM-7', units: 161, segments: 2 });
  assert.equal(smsLength('a'.repeat(306)), { encoding: 'GSM-7', units: 306, segments: 2 });
  assert.equal(smsLength('a'.repeat(307)), { encoding: 'GSM-7', units: 307, segments: 3 });
  assert.equal(smsLength(''), { encoding: 'GSM-7', units: 0, segments: 1 });
});

test('the GSM alphabet includes accented letters, Greek capitals and £; the extension table costs two septets', () => {
  assert.ok(isGsm7('Ça coûte £5 à Zürich: ΔΩ @ 10:00\n'.replace('û', 'u')));
  assert.not.ok(isGsm7('coûte'), 'û is not in GSM 03.38');
  assert.equal(smsLength('€'.repeat(80)), { encoding: 'GSM-7', units: 160, segments: 1 });
  assert.equal(smsLength('€'.repeat(81)), { encoding: 'GSM-7', units: 162, segments: 2 });
  assert.equal(smsLength('{[|]}~^\\'), { encoding: 'GSM-7', units: 16, segments: 1 });
  // 152 plain septets then an escape pair: the pair does not fit in the first 153-septet segment.
  assert.is(smsLength(`${'a'.repeat(152)}€${'a'.repeat(10)}`).segments, 2);
  assert.is(smsLength(`${'a'.repeat(152)}€${'a'.repeat(152)}`).segments, 3, 'the pair moves whole to the second segment');
});

test('UCS-2: one character outside the alphabet makes it 70 per segment, 67 beyond; emoji take two units and are never split', () => {
  assert.equal(smsLength('ж'.repeat(70)), { encoding: 'UCS-2', units: 70, segments: 1 });
  assert.equal(smsLength('ж'.repeat(71)), { encoding: 'UCS-2', units: 71, segments: 2 });
  assert.equal(smsLength(`${'a'.repeat(69)}…`), { encoding: 'UCS-2', units: 70, segments: 1 });
  assert.equal(smsLength('🚀'.repeat(35)), { encoding: 'UCS-2', units: 70, segments: 1 });
  assert.equal(smsLength('🚀'.repeat(36)), { encoding: 'UCS-2', units: 72, segments: 2 });
  assert.is(smsLength(`${'a'.repeat(66)}🚀${'a'.repeat(60)}`).segments, 2, 'the pair moves to segment 2 (66 + 2 > 67)');
  assert.is(smsLength(`${'a'.repeat(66)}🚀${'a'.repeat(66)}`).segments, 3);
});

test('fitSms keeps what fits and cuts the rest with "…" (which is UCS-2, so 70 / 67 per segment)', () => {
  assert.equal(fitSms('a'.repeat(306), 2), { text: 'a'.repeat(306), cut: false, encoding: 'GSM-7', units: 306, segments: 2 });
  const one = fitSms(`HIGH ${'word '.repeat(60)}`, 1);
  assert.is(one.cut, true);
  assert.ok(one.text.endsWith('…') && !one.text.endsWith(' …'), one.text);
  assert.equal([one.encoding, one.segments, one.units], ['UCS-2', 1, 70]);
  const two = fitSms('b'.repeat(500), 2);
  assert.equal([two.text.length, two.segments, two.encoding], [134, 2, 'UCS-2']);
  assert.is(two.text, `${'b'.repeat(133)}…`);
  const emoji = fitSms('🚀'.repeat(100), 1);
  assert.is(emoji.text, `${'🚀'.repeat(34)}…`, 'a surrogate pair is never cut in half');
  assert.is(emoji.units, 69);
  for (const max of [1, 2, 3, 5]) {
    for (const text of ['x'.repeat(1000), 'ж'.repeat(1000), `${'€'.repeat(300)}`, 'mixed 🚀 text '.repeat(50)]) {
      const fitted = fitSms(text, max);
      assert.ok(fitted.segments <= max, `${max}: ${fitted.segments}`);
      assert.equal(smsLength(fitted.text), { encoding: fitted.encoding, units: fitted.units, segments: fitted.segments });
    }
  }
});

test.run();
