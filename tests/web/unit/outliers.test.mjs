/* outliers.test.mjs -- web/outliers.js: TensorBoard's "ignore outliers" y range. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outlierRange } from '../../../web/outliers.js';

test('keeps the 5th to 95th percentile of the sorted finite values', () => {
  // 0..100 (n = 101): indices ceil(100*0.05) = 5 and floor(100*0.95) = 95.
  const values = Array.from({ length: 101 }, (_, i) => 100 - i);
  assert.deepEqual(outlierRange(values), { min: 5, max: 95 });
});

test('a single spike among many points is left out of the range', () => {
  const values = Array.from({ length: 40 }, (_, i) => i % 2);
  values[17] = 1e9;
  // sorted: 20 zeros, 19 ones, 1e9; n = 40: indices ceil(1.95) = 2 -> 0, floor(37.05) = 37 -> 1
  assert.deepEqual(outlierRange(values), { min: 0, max: 1 });
});

test('with three values the indices are the first and the middle one', () => {
  // n = 3: ceil(0.1) = 1 and floor(1.9) = 1.
  assert.deepEqual(outlierRange([3, 1, 2]), { min: 2, max: 2 });
});

test('with two values or fewer the range is their min and max', () => {
  assert.deepEqual(outlierRange([5, -1]), { min: -1, max: 5 });
  assert.deepEqual(outlierRange([4]), { min: 4, max: 4 });
});

test('non-finite values are ignored, and nothing finite gives null', () => {
  assert.deepEqual(outlierRange([NaN, 2, Infinity, -Infinity, 1]), { min: 1, max: 2 });
  assert.equal(outlierRange([NaN, Infinity]), null);
  assert.equal(outlierRange([]), null);
});
