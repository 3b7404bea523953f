/* plotmath.test.mjs -- web/plotmath.js: round ticks, tick and tooltip labels, and the colour ramp
 * of histogram steps. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCount, formatNumber, formatTick, hclToRgb, hexToHcl, niceDomain, niceTicks, stepAge, stepColorRamp, tickStep, timeTickStep, timeTicks } from '../../../web/plotmath.js';

test('tick spacing is 1, 2 or 5 times a power of ten', () => {
  assert.equal(tickStep(0, 10, 10), 1);
  assert.equal(tickStep(0, 10, 5), 2);
  assert.equal(tickStep(0, 10, 2), 5);
  assert.equal(tickStep(-13, 13, 6), 5);
  assert.equal(tickStep(0, 0.03, 3), 0.01);
  assert.equal(tickStep(3, 3, 5), 0);
});

test('ticks are the round values inside the range', () => {
  assert.deepEqual(niceTicks(-13.2, 12.7, 6).ticks, [-10, -5, 0, 5, 10]);
  assert.deepEqual(niceTicks(0.1, 0.35, 3).ticks, [0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(0, 3, 20, 1), { ticks: [0, 1, 2, 3], step: 1 });
  assert.deepEqual(niceTicks(5, 5, 4).ticks, [5]);
  assert.deepEqual(niceTicks(NaN, 1, 4).ticks, []);
});

test('a nice domain widens to the tick spacing', () => {
  assert.deepEqual(niceDomain(-13.2, 12.7, 6), [-15, 15]);
  assert.deepEqual(niceDomain(0, 10, 5), [0, 10]);
});

test('tick labels show the decimals the spacing needs', () => {
  assert.equal(formatTick(-10, 5), '-10');
  assert.equal(formatTick(0.2, 0.1), '0.2');
  assert.equal(formatTick(0.25, 0.05), '0.25');
  assert.equal(formatTick(0, 0.05), '0');
  assert.equal(formatTick(2e6, 1e6), '2e+6');
  assert.equal(formatTick(2.5e-5, 5e-6), '2.5e-5');
});

test('tooltip numbers and counts are short', () => {
  assert.equal(formatNumber(-1.23456), '-1.235');
  assert.equal(formatNumber(0.012345), '0.01235');
  assert.equal(formatNumber(1234567), '1.235e+6');
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(12.345), '12.3');
  assert.equal(formatCount(1999.6), '2000');
  assert.equal(formatCount(0.01234), '0.0123');
});

test('HCL conversion round-trips the run palette', () => {
  for (const hex of ['#425066', '#12b5cb', '#e52592', '#f9ab00', '#808080']) {
    const rgb = hclToRgb(hexToHcl(hex));
    const n = parseInt(hex.slice(1), 16);
    assert.deepEqual(rgb, [(n >> 16) & 255, (n >> 8) & 255, n & 255], hex);
  }
});

test('the step colour ramp goes from a brighter to a darker run colour', () => {
  const ramp = stepColorRamp('#12b5cb');
  const lightness = (css) => {
    const [r, g, b] = css.match(/\d+/g).map(Number);
    return hexToHcl(`#${((r << 16) | (g << 8) | b).toString(16).padStart(6, '0')}`).l;
  };
  const base = hexToHcl('#12b5cb').l;
  assert.ok(Math.abs(lightness(ramp(0)) - (base + 18)) < 2, ramp(0));
  assert.ok(Math.abs(lightness(ramp(1)) - (base - 18)) < 2, ramp(1));
  assert.ok(lightness(ramp(0)) > lightness(ramp(0.5)) && lightness(ramp(0.5)) > lightness(ramp(1)));
  assert.match(ramp(0.3), /^rgb\(\d+, \d+, \d+\)$/);
});

test('time axes tick at round units of time', () => {
  assert.equal(timeTickStep(1843, 9), 300);   // 30.7 min in ~9 ticks: every 5 min
  assert.equal(timeTickStep(60, 4), 15);
  assert.equal(timeTickStep(3 * 86400, 6), 43200);
  assert.equal(timeTickStep(90 * 86400, 6), 20 * 86400);
  assert.equal(timeTickStep(2, 4), 0.5);
  assert.deepEqual(timeTicks(0, 1843, 9).ticks, [0, 300, 600, 900, 1200, 1500, 1800]);
  assert.deepEqual(timeTicks(1764000000, 1764001843, 9).ticks.map((t) => t % 300), [0, 0, 0, 0, 0, 0, 0]);
});

test('a step\'s age runs from 0 (oldest) to 1 (newest), so the newest is the darkest', () => {
  assert.equal(stepAge(10, 10, 30), 0);
  assert.equal(stepAge(20, 10, 30), 0.5);
  assert.equal(stepAge(30, 10, 30), 1);
  assert.equal(stepAge(5, 5, 5), 1);
  const ramp = stepColorRamp('#425066');
  const luma = (rgb) => rgb.match(/\d+/g).map(Number).reduce((a, v, i) => a + v * [0.299, 0.587, 0.114][i], 0);
  assert.ok(luma(ramp(stepAge(30, 10, 30))) < luma(ramp(stepAge(10, 10, 30))));
});
