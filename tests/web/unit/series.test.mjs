/* series.test.mjs -- web/series.js: API columns to chart lines, M4 bands and zoom ranges. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BAND_VISIBLE_PX, bandThickness, buildBand, buildLines, isolatedPointRadius, nearestIndex, parsePoints, stepRangeForX } from '../../../web/series.js';

/** One run's columns (as api.getScalars hands them over) from rows [step, wall_time, value]. */
const columns = (points) => ({
  steps: Float64Array.from(points, (p) => p[0]),
  wallTimes: Float64Array.from(points, (p) => p[1]),
  values: Float64Array.from(points, (p) => p[2]),
});

test('the non-finite strings of the API become numbers', () => {
  const points = parsePoints([[0, 1.5, 'NaN'], [1, 2.5, 'Infinity'], [2, 3.5, '-Infinity'], [3, 4.5, 0.25]]);
  assert.ok(Number.isNaN(points[0][2]));
  assert.deepEqual(points.slice(1), [[1, 2.5, Infinity], [2, 3.5, -Infinity], [3, 4.5, 0.25]]);
});

test('lines put non-finite values, and non-positive ones on a log axis, as gaps', () => {
  const points = [[0, 100, 1], [1, 101, NaN], [2, 102, -2], [3, 103, 3]];
  const linear = buildLines(columns(points), { xAxis: 'step', firstWallTime: 100, smoothing: 0, logY: false });
  assert.deepEqual(linear.raw.map((p) => p.y), [1, null, -2, 3]);
  const log = buildLines(columns(points), { xAxis: 'relative', firstWallTime: 100, smoothing: 0, logY: true });
  assert.deepEqual(log.raw, [{ x: 0, y: 1 }, { x: 1, y: null }, { x: 2, y: null }, { x: 3, y: 3 }]);
});

test('the smoothed line is the debiased EMA of the values', () => {
  const lines = buildLines(columns([[0, 0, 1], [1, 0, 2], [2, 0, 3]]), { xAxis: 'step', firstWallTime: 0, smoothing: 0.6, logY: false });
  assert.equal(lines.smoothed[1].y, 1.625);
});

test('the band holds each bucket\'s min and max over its x extent', () => {
  // Steps 0..99 in 2 buckets of 50 steps; M4 kept first, min, max, last of each.
  const points = [[0, 0, 5], [10, 0, 1], [20, 0, 9], [49, 0, 4], [50, 0, 2], [60, 0, 8], [70, 0, 0], [99, 0, 3]];
  const band = buildBand(columns(points), { lo: 0, hi: 99, buckets: 2, xAxis: 'step', firstWallTime: 0, logY: false });
  assert.deepEqual(band, [{ x0: 0, x1: 49, min: 1, max: 9 }, { x0: 50, x1: 99, min: 0, max: 8 }]);
});

test('the nearest point along x is found in sorted data', () => {
  const data = [{ x: 0 }, { x: 10 }, { x: 20 }];
  assert.equal(nearestIndex(data, -5), 0);
  assert.equal(nearestIndex(data, 14), 1);
  assert.equal(nearestIndex(data, 16), 2);
  assert.equal(nearestIndex(data, 99), 2);
  assert.equal(nearestIndex([], 1), -1);
});

test('a zoom selection reaches one loaded point beyond each edge', () => {
  const points = [[0, 0, 0], [100, 0, 0], [200, 0, 0], [300, 0, 0]];
  assert.deepEqual(stepRangeForX([columns(points)], { x0: 120, x1: 180, xAxis: 'step', firstWallTimes: [0] }), { start: 100, end: 200 });
  assert.deepEqual(stepRangeForX([columns(points)], { x0: 90, x1: 210, xAxis: 'step', firstWallTimes: [0] }), { start: 0, end: 300 });
  assert.equal(stepRangeForX([columns(points)], { x0: 400, x1: 500, xAxis: 'step', firstWallTimes: [0] }), null);
});

test('a zoom selection in relative time maps back to steps', () => {
  const points = [[0, 1000, 0], [10, 1010, 0], [20, 1020, 0], [30, 1030, 0]];
  assert.deepEqual(stepRangeForX([columns(points)], { x0: 5, x1: 25, xAxis: 'relative', firstWallTimes: [1000] }), { start: 0, end: 30 });
  assert.deepEqual(stepRangeForX([columns(points)], { x0: 11, x1: 19, xAxis: 'relative', firstWallTimes: [1000] }), { start: 10, end: 20 });
});

test('a series without wall times draws over steps, and has no time to give a time axis', () => {
  const { wallTimes, ...noWalls } = columns([[0, 5, 1], [10, 6, 2]]);
  assert.equal(wallTimes.length, 2);
  const lines = buildLines({ ...noWalls, wallTimes: null }, { xAxis: 'step', firstWallTime: NaN, smoothing: 0, logY: false });
  assert.deepEqual(lines.raw, [{ x: 0, y: 1 }, { x: 10, y: 2 }]);
  assert.deepEqual([...lines.steps], [0, 10]);
  const relative = buildLines({ ...noWalls, wallTimes: null }, { xAxis: 'relative', firstWallTime: NaN, smoothing: 0, logY: false });
  assert.ok(relative.raw.every((p) => Number.isNaN(p.x)));
  assert.deepEqual(stepRangeForX([{ ...noWalls, wallTimes: null }], { x0: 2, x1: 8, xAxis: 'step', firstWallTimes: [NaN] }), { start: 0, end: 10 });
});

test('points without a drawable neighbour get a dot, others none', () => {
  const ys = (list) => list.map((y) => ({ y }));
  assert.equal(isolatedPointRadius(ys([1, 2, 3]), 2), 0);
  assert.deepEqual(isolatedPointRadius(ys([5]), 2), [2]);
  assert.deepEqual(isolatedPointRadius(ys([1, null, 3, null, 4, 5]), 2), [2, 0, 2, 0, 0, 0]);
});

test('the band\'s thickness is its tallest bucket in pixels, counting only what is on screen', () => {
  const bands = [{ band: [{ x0: 0, x1: 9, min: 1, max: 1.001 }, { x0: 10, x1: 19, min: 0, max: 5 }] }];
  const toPixel = (v) => 300 - v * 20; // 20 px per unit, y grows downwards
  assert.equal(bandThickness(bands, toPixel), 100);
  assert.ok(bandThickness(bands, toPixel, 0, 9) < BAND_VISIBLE_PX); // only the flat bucket on screen
  assert.equal(bandThickness([], toPixel), 0);
  assert.equal(bandThickness([{ band: [] }], toPixel), 0);
});
