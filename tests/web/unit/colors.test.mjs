/* colors.test.mjs -- web/colors.js: TensorBoard's palette, handed out in run order. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColorAssigner, PALETTE, colorForIndex, withAlpha } from '../../../web/colors.js';

test('the palette is TensorBoard\'s, in order', () => {
  assert.deepEqual(PALETTE, ['#425066', '#12b5cb', '#e52592', '#f9ab00', '#9334e6', '#7cb342', '#e8710a']);
});

test('colours repeat after the seventh run', () => {
  assert.equal(colorForIndex(0), '#425066');
  assert.equal(colorForIndex(6), '#e8710a');
  assert.equal(colorForIndex(7), '#425066');
});

test('runs get colours in run order', () => {
  const colors = new ColorAssigner();
  colors.assign(['a', 'b', 'c']);
  assert.deepEqual(['a', 'b', 'c'].map((n) => colors.colorOf(n)), ['#425066', '#12b5cb', '#e52592']);
});

test('a run that appears later takes the next colour and moves no one else\'s', () => {
  const colors = new ColorAssigner();
  colors.assign(['b', 'c']);
  colors.assign(['a', 'b', 'c']);
  assert.equal(colors.colorOf('b'), '#425066');
  assert.equal(colors.colorOf('c'), '#12b5cb');
  assert.equal(colors.colorOf('a'), '#e52592');
});

test('withAlpha turns a hex colour into rgba', () => {
  assert.equal(withAlpha('#12b5cb', 0.25), 'rgba(18, 181, 203, 0.25)');
});
