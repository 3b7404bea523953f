/* valuetable.test.mjs -- web/valuetable.js: the rows of the value table under a hovered scalar chart. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VALUE_COLUMNS, valueRows } from '../../../web/valuetable.js';

const dataset = (label, color, firstWallTime) => ({
  label, borderColor: color, vizdFirstWallTime: firstWallTime,
  vizdSteps: [0, 1500, 12000], vizdValues: [2, 0.5, NaN], vizdSmoothed: [2, 0.812345678, 0.81],
  vizdWallTimes: [firstWallTime, firstWallTime + 90, firstWallTime + 7200],
});

test('one row per hovered run: colour, smoothed, value, step and relative time', () => {
  const rows = valueRows([
    { dataset: dataset('a', '#425066', 1000), dataIndex: 1 },
    { dataset: dataset('<b>', '#12b5cb', 5000), dataIndex: 2 },
  ]);
  assert.deepEqual(rows, [
    { run: 'a', color: '#425066', smoothed: '0.81235', value: '0.5', step: '1,500', relative: '1.5m' },
    { run: '<b>', color: '#12b5cb', smoothed: '0.81', value: 'NaN', step: '12,000', relative: '2h' },
  ]);
});

test('without wall times (a chart over steps) the relative time is blank', () => {
  const d = { ...dataset('a', '#425066', NaN), vizdWallTimes: [NaN, NaN, NaN] };
  assert.equal(valueRows([{ dataset: d, dataIndex: 1 }])[0].relative, '');
  const none = { ...dataset('a', '#425066', NaN), vizdWallTimes: null };
  assert.equal(valueRows([{ dataset: none, dataIndex: 1 }])[0].relative, '');
  assert.equal(valueRows([{ dataset: none, dataIndex: 1 }], () => 90)[0].relative, '1.5m', 'the fetched one fills it');
});

test('the columns are TensorBoard\'s, in its order', () => {
  assert.deepEqual(VALUE_COLUMNS.map(([, title]) => title), ['Smoothed', 'Value', 'Step', 'Relative']);
  assert.deepEqual(valueRows([]), []);
});

test('without wall times the relative time comes from the lookup the card fills at hover', () => {
  const d = { ...dataset('a', '#425066', NaN), vizdWallTimes: [NaN, NaN, NaN] };
  const asked = [];
  const relativeOf = (run, step) => { asked.push([run, step]); return step === 1500 ? 90 : NaN; };
  assert.equal(valueRows([{ dataset: d, dataIndex: 1 }], relativeOf)[0].relative, '1.5m');
  assert.equal(valueRows([{ dataset: d, dataIndex: 2 }], relativeOf)[0].relative, '', 'blank until known');
  assert.deepEqual(asked, [['a', 1500], ['a', 12000]]);
});
