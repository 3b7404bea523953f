/* smoothing.test.mjs -- web/smoothing.js gives TensorBoard's debiased EMA, checked against values
 * computed by hand. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smooth } from '../../../web/smoothing.js';

function assertClose(actual, expected) {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) => {
    if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(value), `index ${i}: expected NaN, got ${value}`);
    else if (!Number.isFinite(expected[i])) assert.equal(value, expected[i], `index ${i}`);
    else assert.ok(Math.abs(value - expected[i]) < 1e-12, `index ${i}: expected ${expected[i]}, got ${value}`);
  });
}

test('the first point is the value itself, then the debiased average follows', () => {
  // w = 0.6: last = 0.4*1 = 0.4 -> 0.4/0.4 = 1; last = 0.24 + 0.8 = 1.04 -> 1.04/0.64 = 1.625;
  // last = 0.624 + 1.2 = 1.824 -> 1.824/0.784 = 2.326530612244898
  assertClose(smooth([1, 2, 3], 0.6), [1, 1.625, 2.326530612244898]);
});

test('a non-finite value is passed through and does not advance the average', () => {
  // NaN, then 1 (n = 1 -> 1), Infinity, then 3: last = 0.24 + 1.2 = 1.44, n = 2 -> 1.44/0.64 = 2.25
  assertClose(smooth([NaN, 1, Infinity, 3], 0.6), [NaN, 1, Infinity, 2.25]);
  assert.equal(smooth([1, -Infinity, 2], 0.5)[1], -Infinity);
});

test('weight 0 leaves the series unchanged', () => {
  assertClose(smooth([3, -1, 4, 1, 5], 0), [3, -1, 4, 1, 5]);
});

test('weight 1 divides by nothing, so the curve stays at the initial 0', () => {
  assertClose(smooth([3, -1, 4], 1), [0, 0, 0]);
});

test('a series whose values are all equal is left exactly as is', () => {
  const values = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
  assert.deepEqual(smooth(values, 0.6), values);
  assert.deepEqual(smooth([7, 7], 1), [7, 7]);
});

test('an empty series stays empty', () => {
  assert.deepEqual(smooth([], 0.6), []);
});

test('the input array is not modified', () => {
  const values = [1, 2, 3];
  smooth(values, 0.9);
  assert.deepEqual(values, [1, 2, 3]);
});
