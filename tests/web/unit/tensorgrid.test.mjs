/* tensorgrid.test.mjs -- web/tensorgrid.js: which tiles a kernel, feature-map or heatmap tensor
 * shows, how they are laid out and painted, and which tensor index a canvas pixel shows. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NAN_RGB } from '../../../web/colormaps.js';
import {
  cellText, decodeTensor, describeTensor, hitTest, layoutGrid, paintGrid, tilesOf,
} from '../../../web/tensorgrid.js';

test('the kind comes from the hint, else from the shape', () => {
  assert.equal(describeTensor([128, 64, 3, 3]).kind, 'kernels');
  assert.equal(describeTensor([1, 64, 56, 56]).kind, 'feature_maps');
  assert.equal(describeTensor([6, 16, 16]).kind, 'feature_maps');
  assert.equal(describeTensor([7, 7]).kind, 'heatmap');
  assert.equal(describeTensor([10]).kind, 'heatmap');
  assert.equal(describeTensor([8, 4, 3, 3], 'feature_maps').kind, 'feature_maps');
  assert.equal(describeTensor([6, 16, 16], 'kernels').kind, 'feature_maps'); // kernels need 4-D
  assert.deepEqual(describeTensor([2, 3, 5, 5, 4], 'feature_maps'), { kind: 'feature_maps', shape: [2, 3, 5, 5, 4], batch: 6, channels: 5, h: 5, w: 4 });
});

test('kernels: an output channel shows one tile per input channel, an input channel one per output', () => {
  const desc = describeTensor([128, 64, 3, 3]);
  const byOut = tilesOf(desc, { axis: 'out', channel: 2 });
  assert.equal(byOut.length, 64);
  assert.deepEqual(byOut[5], { offset: (2 * 64 + 5) * 9, prefix: [2, 5], label: 'in 5' });
  const byIn = tilesOf(desc, { axis: 'in', channel: 7 });
  assert.equal(byIn.length, 128);
  assert.deepEqual(byIn[3], { offset: (3 * 64 + 7) * 9, prefix: [3, 7], label: 'out 3' });
  assert.equal(tilesOf(desc, { axis: 'out', channel: 999 })[0].prefix[0], 127); // clamped
});

test('feature maps: one tile per channel of sample n; heatmaps one tile', () => {
  assert.deepEqual(tilesOf(describeTensor([6, 16, 16])).map((t) => t.offset), [0, 1, 2, 3, 4, 5].map((c) => c * 256));
  assert.deepEqual(tilesOf(describeTensor([2, 3, 4, 4], 'feature_maps'), { n: 1 })[2], { offset: (1 * 3 + 2) * 16, prefix: [1, 2], label: 'channel 2' });
  assert.deepEqual(tilesOf(describeTensor([7, 7])), [{ offset: 0, prefix: [], label: '' }]);
});

test('layout: about square, integer scale, within the width', () => {
  const grid = layoutGrid(64, 3, 3, { maxWidth: 400 });
  assert.equal(grid.cols, 8);
  assert.equal(grid.rows, 8);
  assert.ok(grid.width <= 400);
  assert.equal(grid.scale, Math.floor(((400 + 2) / 8 - 2) / 3));
  const one = layoutGrid(1, 7, 7, { maxWidth: 400, maxTile: 360 });
  assert.equal(one.scale, 51); // 7 * 51 = 357 <= 360
  const wide = layoutGrid(512, 56, 56, { maxWidth: 500 });
  assert.equal(wide.scale, 1);
  assert.ok(wide.width <= 500);
});

test('paint and hit test: every value is a block of its colour, gaps are transparent', () => {
  const data = new Float32Array([0, 1, 2, 3, /* tile 2 */ -1, NaN, 1, 0]);
  const desc = describeTensor([2, 2, 2]);
  const tiles = tilesOf(desc);
  const layout = layoutGrid(tiles.length, 2, 2, { maxWidth: 22, gap: 2 }); // 2 cols, scale 5
  assert.deepEqual([layout.cols, layout.scale, layout.width, layout.height], [2, 5, 22, 10]);
  const rgba = paintGrid(data, tiles, layout, { colormap: 'gray', mode: 'tile' });
  const px = (x, y) => [...rgba.slice((y * layout.width + x) * 4, (y * layout.width + x) * 4 + 4)];
  assert.deepEqual(px(0, 0), [0, 0, 0, 255]);        // 0 is the tile's min
  assert.deepEqual(px(9, 9), [255, 255, 255, 255]);  // 3 is its max
  assert.deepEqual(px(10, 0), [0, 0, 0, 0]);         // the gap
  assert.deepEqual(px(17, 2), [...NAN_RGB, 255]);    // tile 2, cell (0, 1) is NaN
  assert.deepEqual(hitTest(layout, 17, 2), { tile: 1, y: 0, x: 1 });
  assert.equal(hitTest(layout, 10, 0), null);
  assert.equal(hitTest(layout, 30, 0), null);
  assert.equal(cellText(tiles[1].prefix, 0, 1, data[tiles[1].offset + 1]), '[1, 0, 1] = NaN');
  assert.equal(cellText([2, 5], 1, 2, -0.012345678), '[2, 5, 1, 2] = -0.012346');
});

test('bytes decode as little-endian float32 or float64', () => {
  const f32 = new DataView(new ArrayBuffer(8));
  f32.setFloat32(0, 1.5, true);
  f32.setFloat32(4, -2, true);
  assert.deepEqual([...decodeTensor(f32.buffer, 'float32')], [1.5, -2]);
  const f64 = new DataView(new ArrayBuffer(8));
  f64.setFloat64(0, Math.PI, true);
  assert.deepEqual([...decodeTensor(f64.buffer, 'float64')], [Math.PI]);
});
