/* normalize.test.mjs -- web/normalize.js: ranges of finite values and the three display modes
 * (per tile min-max, global min-max, symmetric +-max|x|), with NaN and infinities. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finiteRange, makeScale, scaleBounds, scaleFor } from '../../../web/normalize.js';

test('a range counts finite values only', () => {
  assert.deepEqual(finiteRange([3, -1, NaN, Infinity, 2]), { min: -1, max: 3, absMax: 3, finite: 3, nan: 1 });
  assert.deepEqual(finiteRange(new Float32Array([1, 2, 3, 4]), 2, 4), { min: 3, max: 4, absMax: 4, finite: 2, nan: 0 });
  assert.deepEqual(finiteRange([NaN, -Infinity]), { min: null, max: null, absMax: null, finite: 0, nan: 1 });
});

test('tile: the tile\'s own min and max map to 0 and 1', () => {
  const scale = scaleFor('tile', finiteRange([2, 4, 6]), finiteRange([-10, 10]));
  assert.deepEqual([2, 3, 4, 6].map(scale), [0, 0.25, 0.5, 1]);
});

test('global: the whole tensor\'s min and max map to 0 and 1', () => {
  const scale = scaleFor('global', finiteRange([2, 4, 6]), finiteRange([-10, 10]));
  assert.deepEqual([-10, 0, 5, 10].map(scale), [0, 0.5, 0.75, 1]);
});

test('symmetric: zero is the middle, +-max|x| the ends', () => {
  const global = finiteRange([-2, 0.5, 4]);
  assert.deepEqual(scaleBounds('symmetric', finiteRange([0.5]), global), [-4, 4]);
  const scale = scaleFor('symmetric', finiteRange([0.5]), global);
  assert.deepEqual([-4, -2, 0, 2, 4].map(scale), [0, 0.25, 0.5, 0.75, 1]);
});

test('NaN stays NaN; infinities clamp to the ends', () => {
  const scale = scaleFor('tile', finiteRange([0, 1, NaN, Infinity]), finiteRange([0, 1]));
  assert.ok(Number.isNaN(scale(NaN)));
  assert.equal(scale(Infinity), 1);
  assert.equal(scale(-Infinity), 0);
});

test('a flat tile maps to 0 (matplotlib), an all-zero tensor to the middle when symmetric', () => {
  assert.deepEqual([5, 5].map(scaleFor('tile', finiteRange([5, 5]), finiteRange([5]))), [0, 0]);
  assert.deepEqual([0, 0].map(scaleFor('symmetric', finiteRange([0, 0]), finiteRange([0, 0]))), [0.5, 0.5]);
  assert.equal(scaleFor('tile', finiteRange([NaN]), finiteRange([NaN]))(1), 0);
});

test('none takes the values as already in [0, 1]', () => {
  const scale = scaleFor('none', finiteRange([0.2, 0.4]), finiteRange([0.2, 0.4]));
  assert.deepEqual([0.2, 0.4, 1.5, -1].map(scale), [0.2, 0.4, 1, 0]);
  assert.deepEqual([0, 10].map(makeScale([0, 10])), [0, 1]);
});
