import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeFor, worseVerdict } from '../../src/cli/exit-codes.js';

test('verdicts map to the documented exit codes: ok 0, drift 2, error 1', () => {
  assert.equal([exitCodeFor('ok'), exitCodeFor('drift'), exitCodeFor('error')], [0, 2, 1]);
});

test('the worse verdict wins: error over drift over ok, in either order', () => {
  assert.is(worseVerdict('ok', 'drift'), 'drift');
  assert.is(worseVerdict('drift', 'ok'), 'drift');
  assert.is(worseVerdict('drift', 'error'), 'error');
  assert.is(worseVerdict('error', 'ok'), 'error');
  assert.is(worseVerdict('ok', 'ok'), 'ok');
});

test.run();
