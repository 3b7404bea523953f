/* tensorgrid.test.mjs -- web/tensorgrid.js: which tiles a kernel, feature-map or heatmap tensor
 * shows, how they are laid out and painted, and which tensor index a canvas pixel shows. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NAN_RGB } from '../../../web/colormaps.js';
import {
  GAP_RGB, GRID_GAP, RGB_GAP_RGB, areaCellText, cellText, channelPage, coveredSpan, decodeTensor, describeTensor, hitTest, kernelView,
  layoutGrid, paintGrid, tileSize, tilesOf,
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

test('kernels open on every output filter; RGB colour tiles only for three input channels', () => {
  const conv1 = describeTensor([64, 3, 7, 7]);
  const first = tilesOf(conv1);
  assert.equal(first.length, 64); // the default: input channel 0 across all 64 filters
  assert.deepEqual(first[10], { offset: (10 * 3 + 0) * 49, prefix: [10, 0], label: 'out 10' });
  const rgb = tilesOf(conv1, { axis: 'rgb' });
  assert.equal(rgb.length, 64);
  assert.deepEqual(rgb[10], { offset: 10 * 3 * 49, prefix: [10], label: 'out 10', rgb: true });
  const deep = describeTensor([128, 64, 3, 3]);
  assert.equal(kernelView(deep, 'rgb'), 'in');
  assert.equal(tilesOf(deep, { axis: 'rgb' }).length, 128);
  assert.equal(kernelView(conv1, 'rgb'), 'rgb');
  assert.equal(kernelView(conv1, 'out'), 'out');
  assert.equal(kernelView(conv1, undefined), 'in');
});

test('RGB tiles: a filter\'s three input channels are its red, green and blue, normalised together', () => {
  // Filter 0 of [1, 3, 1, 2]: pixel 0 = (R 1, G 0, B 0), pixel 1 = (R 0, G 0.5, B 1); tile range 0..1.
  const data = new Float32Array([1, 0, /* G */ 0, 0.5, /* B */ 0, 1]);
  const desc = describeTensor([1, 3, 1, 2], 'kernels');
  const tiles = tilesOf(desc, { axis: 'rgb' });
  const layout = layoutGrid(1, 1, 2, { maxWidth: 2, maxTile: 2 });
  const rgba = paintGrid(data, tiles, layout, { colormap: 'bwr', mode: 'tile' });
  assert.deepEqual([...rgba], [255, 0, 0, 255, 0, 128, 255, 255]);
  // Between colour tiles the gap is white: their zero is grey.
  const two = describeTensor([2, 3, 1, 1], 'kernels');
  const grid = layoutGrid(2, 1, 1, { maxWidth: 5, maxTile: 1, gap: 1 });
  const painted = paintGrid(new Float32Array([0, 1, 0, 1, 0, 0]), tilesOf(two, { axis: 'rgb' }), grid, { colormap: 'bwr', mode: 'tile' });
  assert.deepEqual([...painted.slice(4, 8)], [...RGB_GAP_RGB, 255]);
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
  assert.equal(grid.scale, Math.floor(((400 + GRID_GAP) / 8 - GRID_GAP) / 3));
  const one = layoutGrid(1, 7, 7, { maxWidth: 400, maxTile: 360 });
  assert.equal(one.scale, 51); // 7 * 51 = 357 <= 360
  const wide = layoutGrid(512, 56, 56, { maxWidth: 500 });
  assert.equal(wide.scale, 1);
  assert.ok(wide.width <= 500);
});

test('paint and hit test: every value is a block of its colour, gaps are neutral grey', () => {
  const data = new Float32Array([0, 1, 2, 3, /* tile 2 */ -1, NaN, 1, 0]);
  const desc = describeTensor([2, 2, 2]);
  const tiles = tilesOf(desc);
  const layout = layoutGrid(tiles.length, 2, 2, { maxWidth: 22, gap: 2 }); // 2 cols, scale 5
  assert.deepEqual([layout.cols, layout.scale, layout.width, layout.height], [2, 5, 22, 10]);
  const rgba = paintGrid(data, tiles, layout, { colormap: 'gray', mode: 'tile' });
  const px = (x, y) => [...rgba.slice((y * layout.width + x) * 4, (y * layout.width + x) * 4 + 4)];
  assert.deepEqual(px(0, 0), [0, 0, 0, 255]);        // 0 is the tile's min
  assert.deepEqual(px(9, 9), [255, 255, 255, 255]);  // 3 is its max
  assert.deepEqual(px(10, 0), [...GAP_RGB, 255]);    // the gap
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

test('gaps: grey between tiles and rows, transparent where the last row has no tile', () => {
  const data = new Float32Array(5 * 4).fill(0.5);
  const desc = describeTensor([5, 2, 2]);
  const layout = layoutGrid(5, 2, 2, { maxWidth: 14, gap: 1 });
  assert.deepEqual([layout.cols, layout.rows, layout.scale, layout.tileW], [3, 2, 2, 4]); // tiles 0 1 2 / 3 4 _
  const rgba = paintGrid(data, tilesOf(desc), layout, { colormap: 'gray', mode: 'global' });
  const px = (x, y) => [...rgba.slice((y * layout.width + x) * 4, (y * layout.width + x) * 4 + 4)];
  const step = layout.tileW + layout.gap;
  assert.deepEqual(px(layout.tileW, 0), [...GAP_RGB, 255]);    // between tiles 0 and 1
  assert.deepEqual(px(0, layout.tileH), [...GAP_RGB, 255]);    // between the rows
  assert.deepEqual(px(step, step), [0, 0, 0, 255]);            // tile 4 (a flat tensor maps to 0)
  assert.deepEqual(px(layout.tileW, step), [...GAP_RGB, 255]); // between tiles 3 and 4
  assert.deepEqual(px(2 * step - 1, step), [0, 0, 0, 0]);      // after tile 4, the last: transparent
  assert.deepEqual(px(2 * step, step), [0, 0, 0, 0]);          // where a tile 5 would be: transparent
});

test('a tile bigger than maxTile is painted 1:1 and shown smaller, gaps still visible', () => {
  const grid = layoutGrid(32, 224, 224, { maxWidth: 400, maxTile: 96 });
  assert.equal(grid.scale, 1);
  assert.ok(Math.abs(grid.cssScale - 96 / 224) < 1e-12);
  assert.equal(grid.cols, 4); // 4 tiles of 96 CSS px and their gaps fit in 400
  assert.equal(grid.rows, 8);
  assert.ok(grid.width * grid.cssScale <= 400);
  assert.ok(grid.gap * grid.cssScale >= GRID_GAP); // a gap is at least GRID_GAP CSS px
  assert.ok(grid.height * grid.cssScale < 850); // a page of 32 channels of 224 x 224: under 850 px
  assert.equal(layoutGrid(4, 3, 3, { maxWidth: 400, maxTile: 120 }).cssScale, 1);
});

test('channel pages: 64 channels in pages of 32, the page clamped', () => {
  assert.deepEqual(channelPage(64, 32, 0), { start: 0, end: 32, page: 0, pages: 2 });
  assert.deepEqual(channelPage(64, 32, 1), { start: 32, end: 64, page: 1, pages: 2 });
  assert.deepEqual(channelPage(64, 32, 9), { start: 32, end: 64, page: 1, pages: 2 });
  assert.deepEqual(channelPage(70, 64, 1), { start: 64, end: 70, page: 1, pages: 2 });
  assert.deepEqual(channelPage(6, 32, 0), { start: 0, end: 6, page: 0, pages: 1 });
  assert.deepEqual(channelPage(6, 32, -1), { start: 0, end: 6, page: 0, pages: 1 });
});

test('tileSize follows the server: the longer side becomes the size, the other keeps the aspect', () => {
  assert.deepEqual(tileSize(224, 224, 64), { h: 64, w: 64 });
  assert.deepEqual(tileSize(30, 17, 7), { h: 7, w: 4 }); // 17 * 7 / 30 = 3.97
  assert.deepEqual(tileSize(100, 3, 10), { h: 10, w: 1 }); // 0.3 rounds to 0, at least 1
  assert.deepEqual(tileSize(9, 11, 64), { h: 9, w: 11 }); // fits: unchanged
});

test('a reduced pixel covers the input rows its span touches, and hover names them with the mean', () => {
  assert.deepEqual(coveredSpan(0, 224, 64), [0, 4]); // [0, 3.5)
  assert.deepEqual(coveredSpan(1, 224, 64), [3, 7]); // [3.5, 7)
  assert.deepEqual(coveredSpan(63, 224, 64), [220, 224]);
  assert.deepEqual(coveredSpan(1, 4, 2), [2, 4]);
  assert.equal(areaCellText([32], [3, 7], [0, 4], 0.25), '[32, 3:7, 0:4] mean = 0.25');
  assert.equal(areaCellText([1], [5, 6], [2, 3], -1), '[1, 5, 2] = -1');
});
