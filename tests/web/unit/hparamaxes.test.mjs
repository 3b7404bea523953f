/* hparamaxes.test.mjs -- web/hparamaxes.js: numeric (linear or log) and categorical axes, what a brush
 * selects, and the line or point under the mouse. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  brushFilter, categoricalScale, filterExtent, nearestLine, nearestPoint, numericScale, prefersLog,
} from '../../../web/hparamaxes.js';
import { passesColumnFilter } from '../../../web/hparamtable.js';

const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test('a numeric axis is linear from the smallest to the largest value', () => {
  const scale = numericScale([2, 4, 'x', NaN, 10, undefined]);
  assert.equal(scale.log, false);
  assert.deepEqual([scale.lo, scale.hi], [2, 10]);
  close(scale.toUnit(2), 0);
  close(scale.toUnit(6), 0.5);
  close(scale.fromUnit(1), 10);
  assert.equal(scale.toUnit(NaN), null);
  assert.deepEqual(scale.ticks(4).map((t) => t.label), ['2', '4', '6', '8', '10']);
});

test('positive values over two decades or more get a log axis with decade ticks', () => {
  assert.equal(prefersLog(0.001, 0.1), true);
  assert.equal(prefersLog(0.01, 0.1), false);
  assert.equal(prefersLog(-1, 100), false);
  const scale = numericScale([0.1, 0.001, 0.01]);
  assert.equal(scale.log, true);
  close(scale.toUnit(0.01), 0.5);
  close(scale.fromUnit(0.5), 0.01);
  assert.deepEqual(scale.ticks(5).map((t) => t.label), ['0.001', '0.01', '0.1']);
});

test('one value sits mid-axis; no value draws nothing', () => {
  const one = numericScale([3, 3]);
  assert.equal(one.toUnit(3), 0.5);
  assert.deepEqual(one.ticks(5), [{ u: 0.5, label: '3' }]);
  assert.equal(numericScale([]).toUnit(1), null);
});

test('categories are spread evenly in natural order, whatever their type', () => {
  const scale = categoricalScale(['sgd', 'adam', true, 'sgd', 'layer10', 'layer9', null]);
  assert.deepEqual(scale.categories, ['adam', 'layer9', 'layer10', 'sgd', 'true']);
  assert.equal(scale.toUnit('adam'), 0);
  assert.equal(scale.toUnit('layer10'), 0.5);
  assert.equal(scale.toUnit(true), 1);
  assert.equal(scale.toUnit('other'), null);
  assert.equal(categoricalScale(['only']).toUnit('only'), 0.5);
});

test('a brush on a numeric axis is a value range, on a log axis in log space', () => {
  const linear = numericScale([0, 10]);
  const range = brushFilter(linear, 0.8, 0.3);
  close(range.min, 3);
  close(range.max, 8);
  assert.ok(passesColumnFilter(range, 5) && !passesColumnFilter(range, 9));
  const log = brushFilter(numericScale([0.001, 0.1]), 0.4, 1);
  assert.ok(passesColumnFilter(log, 0.01) && !passesColumnFilter(log, 0.001));
  const single = numericScale([7]);
  assert.ok(passesColumnFilter(brushFilter(single, 0.4, 0.6), 7));
  assert.ok(!passesColumnFilter(brushFilter(single, 0.7, 0.9), 7));
});

test('a brush end close to an end of the axis reaches it', () => {
  const scale = numericScale([0, 10]);
  assert.deepEqual(brushFilter(scale, 0.99, 0.5, 0.02), { min: 5, max: 10 });
  assert.deepEqual(brushFilter(scale, 0.01, 0.5, 0.02), { min: 0, max: 5 });
  close(brushFilter(scale, 0.97, 0.5, 0.02).max, 9.7);
});

test('a brush on a categorical axis keeps the categories inside it', () => {
  const scale = categoricalScale(['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual([...brushFilter(scale, 0.2, 0.55).categories], ['b', 'c']);
  assert.deepEqual([...brushFilter(scale, 0.3, 0.45).categories], []);
});

test('a filter is drawn back as the extent it covers on its axis', () => {
  const linear = numericScale([0, 10]);
  assert.deepEqual(filterExtent(linear, { min: 2.5, max: 5 }), [0.25, 0.5]);
  assert.deepEqual(filterExtent(linear, { min: 5 }), [0.5, 1]);
  assert.deepEqual(filterExtent(linear, { min: -5, max: 50 }), [0, 1]);
  assert.equal(filterExtent(linear, { min: 6, max: 5 }), null);
  const scale = categoricalScale(['a', 'b', 'c']);
  assert.deepEqual(filterExtent(scale, { categories: new Set(['b', 'c']) }), [0.5, 1]);
  assert.equal(filterExtent(scale, { categories: new Set() }), null);
});

test('the line under the mouse is found between the axes it crosses, gaps skipped', () => {
  const axisXs = [0, 100, 200];
  const lines = [{ ys: [0, 100, 100] }, { ys: [50, 50, null] }, { ys: [100, 0, 0] }];
  assert.equal(nearestLine(axisXs, lines, 25, 52, 5), 1);
  assert.equal(nearestLine(axisXs, lines, 25, 24, 5), 0);
  assert.equal(nearestLine(axisXs, lines, 150, 50, 5), -1); // line 1 has no value on the last axis
  assert.equal(nearestLine(axisXs, lines, 150, 2, 5), 2);
  assert.equal(nearestLine(axisXs, lines, 250, 99, 5), 0); // past the last axis: its height there
  assert.equal(nearestLine([], lines, 0, 0, 5), -1);
});

test('the point under the mouse is the nearest within reach', () => {
  const points = [{ x: 0, y: 0 }, { x: 10, y: 10 }, { x: 12, y: 10 }];
  assert.equal(nearestPoint(points, 11.5, 10, 4), 2);
  assert.equal(nearestPoint(points, 50, 50, 4), -1);
});
