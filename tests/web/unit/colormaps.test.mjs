/* colormaps.test.mjs -- web/colormaps.js reproduces the reference tables: OpenCV's COLORMAP_JET
 * (entries as cv2.applyColorMap gives them, derived by hand below from Octave's jet formula, float32
 * and round-half-to-even), matplotlib's bwr, viridis and gray, and matplotlib's value -> entry rule. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLORMAPS, NAN_RGB, colorAt, colorIndex, colormapFloats, colormapTable, hexAt } from '../../../web/colormaps.js';

const entry = (name, i) => [...colormapTable(name).slice(i * 3, i * 3 + 3)];

test('jet: the ends are dark blue and dark red, as OpenCV has them', () => {
  // b(0) = 4*0 + 0.5 -> 127.5 -> 128 (ties to even); r(255) = -4 + 4.5 = 0.5 -> 128
  assert.deepEqual(entry('jet', 0), [0, 0, 128]);
  assert.deepEqual(entry('jet', 255), [128, 0, 0]);
});

test('jet: the middle entries are (126, 255, 130) and (130, 255, 126)', () => {
  // x = 128/255: r = 4x - 1.5 -> 129.5 -> 130 (ties to even); b = 2.5 - 4x -> 125.5 -> 126
  assert.deepEqual(entry('jet', 127), [126, 255, 130]);
  assert.deepEqual(entry('jet', 128), [130, 255, 126]);
});

test('jet: the breakpoints of the piecewise-linear definition', () => {
  assert.deepEqual(entry('jet', 1), [0, 0, 132]);     // b = 4/255 + 0.5 -> 131.5 -> 132
  assert.deepEqual(entry('jet', 31), [0, 0, 252]);    // last entry below x = 1/8
  assert.deepEqual(entry('jet', 32), [0, 0, 255]);    // g starts: 4x - 0.5 -> 0.5 -> 0 (ties to even)
  assert.deepEqual(entry('jet', 64), [0, 128, 255]);  // g = 4*64/255 - 0.5 -> 128.5 -> 128
  assert.deepEqual(entry('jet', 96), [2, 255, 254]);  // r = 1.5 -> 2, b = 254.5 -> 254
  assert.deepEqual(entry('jet', 159), [254, 255, 1]);
  assert.deepEqual(entry('jet', 160), [255, 252, 0]);
  assert.deepEqual(entry('jet', 191), [255, 128, 0]);
  assert.deepEqual(entry('jet', 223), [255, 0, 0]);
  assert.deepEqual(entry('jet', 224), [252, 0, 0]);
  assert.deepEqual(entry('jet', 254), [132, 0, 0]);
});

test('jet: every entry is within one of the exact formula (round half to even may go either way)', () => {
  const jet = (x) => [
    x < 3 / 8 ? 0 : x < 5 / 8 ? 4 * x - 1.5 : x < 7 / 8 ? 1 : 4.5 - 4 * x,
    x < 1 / 8 ? 0 : x < 3 / 8 ? 4 * x - 0.5 : x < 5 / 8 ? 1 : x < 7 / 8 ? 3.5 - 4 * x : 0,
    x < 1 / 8 ? 4 * x + 0.5 : x < 3 / 8 ? 1 : x < 5 / 8 ? 2.5 - 4 * x : 0,
  ];
  for (let i = 0; i < 256; i++) {
    const expected = jet(i / 255).map((v) => v * 255);
    entry('jet', i).forEach((v, c) => assert.ok(Math.abs(v - expected[c]) <= 0.5 + 1e-9, `entry ${i} channel ${c}: ${v} vs ${expected[c]}`));
  }
});

test('bwr: blue at 0, white at 0.5, red at 1', () => {
  const floats = colormapFloats('bwr');
  assert.deepEqual([...floats.slice(0, 3)], [0, 0, 1]);
  assert.deepEqual([...floats.slice(255 * 3)], [1, 0, 0]);
  assert.deepEqual(colorAt('bwr', 0), [0, 0, 255]);
  assert.deepEqual(colorAt('bwr', 1), [255, 0, 0]);
  // 0.5 falls on entry 128 of 256, the first one past white: matplotlib draws (255, 254, 254)
  assert.deepEqual(colorAt('bwr', 0.5), [255, 254, 254]);
  assert.deepEqual(entry('bwr', 127), [254, 254, 255]);
  assert.deepEqual(entry('bwr', 64), [128, 128, 255]);
  assert.deepEqual(entry('bwr', 191), [255, 128, 128]);
});

test('viridis: matplotlib\'s endpoints #440154, #fde725 and middle #21918c', () => {
  assert.equal(hexAt('viridis', 0), '#440154');
  assert.equal(hexAt('viridis', 128), '#21918c');
  assert.equal(hexAt('viridis', 255), '#fde725');
  // bytes are truncated as in Colormap.__call__(bytes=True)
  assert.deepEqual(colorAt('viridis', 0), [68, 1, 84]);
  assert.deepEqual(colorAt('viridis', 0.5), [32, 144, 140]);
  assert.deepEqual(colorAt('viridis', 1), [253, 231, 36]);
});

test('gray: entry i is i / 255 truncated to a byte, as matplotlib draws it', () => {
  assert.deepEqual(entry('gray', 0), [0, 0, 0]);
  assert.deepEqual(entry('gray', 255), [255, 255, 255]);
  // (33 * (1/255)) * 255 = 32.99999999999999 in doubles: matplotlib's bytes say 32 there too
  assert.deepEqual(entry('gray', 33), [32, 32, 32]);
  assert.deepEqual(entry('gray', 34), [34, 34, 34]);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = entry('gray', i);
    assert.ok(r === g && g === b && (r === i || r === i - 1), `entry ${i}: ${r}`);
  }
});

test('a value picks entry floor(t * 256), clamped; NaN picks none', () => {
  assert.equal(colorIndex(0), 0);
  assert.equal(colorIndex(0.5), 128);
  assert.equal(colorIndex(0.999), 255);
  assert.equal(colorIndex(1), 255);
  assert.equal(colorIndex(-3), 0);
  assert.equal(colorIndex(7), 255);
  assert.equal(colorIndex(NaN), -1);
  assert.deepEqual(colorAt('jet', NaN), NAN_RGB);
});

test('every colormap has 256 entries', () => {
  for (const name of COLORMAPS) assert.equal(colormapTable(name).length, 256 * 3);
  assert.throws(() => colormapTable('rainbow'));
});
