/* xaxis.test.mjs -- web/xaxis.js: step, relative and wall-time x values and their labels. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatStep, formatX, xValue } from '../../../web/xaxis.js';

test('step mode uses the step', () => {
  assert.equal(xValue('step', 42, 1764000000.5, 1764000000), 42);
});

test('relative mode is wall time minus the first wall time', () => {
  assert.equal(xValue('relative', 42, 1764000090.5, 1764000000.5), 90);
  assert.equal(xValue('relative', 0, 1764000000.5, 1764000000.5), 0);
});

test('wall mode is the wall time in seconds', () => {
  assert.equal(xValue('wall', 42, 1764000090.5, 1764000000), 1764000090.5);
});

test('durations read in the largest fitting unit', () => {
  assert.equal(formatDuration(45), '45s');
  assert.equal(formatDuration(90), '1.5m');
  assert.equal(formatDuration(5400), '1.5h');
  assert.equal(formatDuration(2 * 86400), '2d');
});

test('large steps are abbreviated', () => {
  assert.equal(formatStep(999), '999');
  assert.equal(formatStep(15000), '15k');
  assert.equal(formatStep(2500000), '2.5M');
});

test('the tick spacing decides the decimals of an abbreviated step', () => {
  assert.equal(formatStep(12000, 2000), '12k');
  assert.equal(formatStep(12050, 50), '12.05k');
  assert.equal(formatStep(12100, 50), '12.1k');
  assert.equal(formatStep(12345, 1), '12.345k');
});

test('wall-time labels show the time of day within a day, the date beyond', () => {
  const t = new Date(2026, 0, 2, 3, 4, 5).getTime() / 1000;
  assert.equal(formatX('wall', t, 600), '03:04:05');
  assert.equal(formatX('wall', t, 3 * 86400), '01-02 03:04');
});
