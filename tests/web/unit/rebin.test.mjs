/* rebin.test.mjs -- web/rebin.js: rebinning histogram buckets to equal bins over a card's range,
 * with hand-computed expectations. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binEdges, binIndex, rebin, rebinCard, unionRange } from '../../../web/rebin.js';

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

function assertClose(actual, expected, eps = 1e-9) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < eps, `bin ${i}: ${a} != ${expected[i]}`));
}

test('buckets that match the bins keep their counts', () => {
  assertClose(rebin([[0, 1, 3], [1, 2, 5], [2, 3, 7]], 0, 3, 3), [3, 5, 7]);
});

test('a bucket over two bins is split in proportion to its overlap', () => {
  // [0, 4) into bins of width 1 over [0, 4]: the bucket [0.5, 2.5) of 8 covers 0.5 of bin 0,
  // all of bin 1 and 0.5 of bin 2 (2 units wide): 2, 4, 2.
  assertClose(rebin([[0.5, 2.5, 8]], 0, 4, 4), [2, 4, 2, 0]);
  // [1, 4) of 9 over two bins of [0, 4]: bin 0 = [0, 2) gets 1/3, bin 1 = [2, 4] gets 2/3.
  assertClose(rebin([[1, 4, 9]], 0, 4, 2), [3, 6]);
});

test('several buckets in one bin add up', () => {
  assertClose(rebin([[0, 0.25, 1], [0.25, 0.5, 2], [0.5, 1, 4]], 0, 2, 2), [7, 0]);
});

test('counts are conserved over the union range', () => {
  const buckets = [[-3.1, -1.7, 4], [-1.7, 0.2, 11], [0.2, 0.3, 2], [0.3, 5.9, 13]];
  const [lo, hi] = unionRange([buckets]);
  assert.deepEqual([lo, hi], [-3.1, 5.9]);
  for (const n of [1, 7, 30, 101]) {
    const counts = rebin(buckets, lo, hi, n);
    assert.equal(counts.length, n);
    assert.ok(Math.abs(sum(counts) - 30) < 1e-9, `n=${n}: ${sum(counts)}`);
  }
});

test('a zero-width bucket puts its whole count in the bin containing it', () => {
  assertClose(rebin([[3, 3, 5]], 0, 10, 5), [0, 5, 0, 0, 0]);
  // On the upper edge: the last bin.
  assertClose(rebin([[10, 10, 2]], 0, 10, 5), [0, 0, 0, 0, 2]);
  // On an inner edge: the bin that starts there.
  assertClose(rebin([[4, 4, 1]], 0, 10, 5), [0, 0, 1, 0, 0]);
  // Outside the range: dropped.
  assertClose(rebin([[11, 11, 1]], 0, 10, 5), [0, 0, 0, 0, 0]);
});

test('a single-value histogram gets a range around its value and one non-empty bin', () => {
  assert.deepEqual(unionRange([[[3, 3, 5]]]), [1.7, 4.3]); // pad = 3/10 + 1
  assert.deepEqual(unionRange([[[0, 0, 1]]]), [-1, 1]);
  const card = rebinCard([[[3, 3, 5]]], 30);
  const counts = card.counts[0];
  assert.equal(sum(counts), 5);
  const filled = counts.map((c, i) => [c, i]).filter(([c]) => c > 0);
  assert.equal(filled.length, 1);
  const [left, right] = binEdges(filled[0][1], card.lo, card.hi, 30);
  assert.ok(left <= 3 && 3 <= right, `bin [${left}, ${right}] holds 3`);
  assert.equal(card.maxCount, 5);
});

test('the union range of a card spans every step and ignores empty buckets', () => {
  const steps = [
    [[0, 1, 2], [1, 2, 0]],
    [[-4, -2, 1], [-2, 0.5, 3]],
    [[100, 1e300, 0]],
  ];
  assert.deepEqual(unionRange(steps), [-4, 1]);
  assert.equal(unionRange([[], [[1, 2, 0]]]), null);
  assert.equal(rebinCard([[]]), null);
});

test('every step of a card is rebinned over the same bins', () => {
  const card = rebinCard([[[0, 2, 4]], [[2, 4, 6]]], 4);
  assert.deepEqual([card.lo, card.hi, card.n], [0, 4, 4]);
  assertClose(card.counts[0], [2, 2, 0, 0]);
  assertClose(card.counts[1], [0, 0, 3, 3]);
  assert.equal(card.maxCount, 3);
});

test('bin index and edges agree', () => {
  assert.equal(binIndex(-1, 0, 3, 3), 0);
  assert.equal(binIndex(0, 0, 3, 3), 0);
  assert.equal(binIndex(1.5, 0, 3, 3), 1);
  assert.equal(binIndex(3, 0, 3, 3), 2);
  assert.equal(binIndex(7, 0, 3, 3), 2);
  assert.deepEqual(binEdges(1, 0, 3, 3), [1, 2]);
  assert.deepEqual(binEdges(2, 0, 0.3, 3)[1], 0.3);
});
