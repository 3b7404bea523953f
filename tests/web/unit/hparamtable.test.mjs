/* hparamtable.test.mjs -- web/hparamtable.js: the HParams rows and columns, natural-order sorting with
 * missing values last, text and per-column filters. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeMatcher } from '../../../web/filter.js';
import {
  buildRows, cellText, columnKind, compareValues, defaultMetricTags, filterRows, hparamKey, hparamNames,
  metricColumns, metricKey, metricTags, parseBound, passesColumnFilter, rowTexts, sortRows,
} from '../../../web/hparamtable.js';

const RUNS = [
  { name: 'run10', hparams: { lr: 0.1, opt: 'sgd', metrics: ['hparam/acc'] } },
  { name: 'run2', hparams: { lr: 0.001, opt: 'adam', layers: 'conv11', metrics: ['hparam/acc', 'hparam/loss'] } },
  { name: 'run1', hparams: { lr: 0.01, opt: 'adam', layers: 'conv3' } },
  { name: 'bare', hparams: {} },
];
const SUMMARIES = new Map([
  ['run10', { 'hparam/acc': { last: { step: 9, value: 0.9 }, min: { step: 0, value: 0.1 }, max: { step: 5, value: 0.95 } } }],
  ['run2', { 'hparam/acc': { last: { step: 9, value: 'NaN' }, min: null, max: null } }],
  ['run1', { 'hparam/acc': { last: { step: 3, value: 0.5 }, min: { step: 1, value: 0.2 }, max: { step: 3, value: 0.5 } } }],
]);
const ACC = { tag: 'hparam/acc', stat: 'last' };

test('hparam names leave out add_hparams metric list, and its tags are the default metrics', () => {
  assert.deepEqual(hparamNames(RUNS), ['layers', 'lr', 'opt']);
  assert.deepEqual(defaultMetricTags(RUNS), ['hparam/acc', 'hparam/loss']);
  assert.deepEqual(metricColumns(null, RUNS), [ACC, { tag: 'hparam/loss', stat: 'last' }]);
  assert.deepEqual(metricColumns([], RUNS), []);
});

test('a "metrics" hparam that is not a list of strings is an hparam like any other', () => {
  assert.deepEqual(hparamNames([{ name: 'r', hparams: { metrics: 3 } }]), ['metrics']);
  assert.deepEqual(defaultMetricTags([{ name: 'r', hparams: { metrics: [1, 'a'] } }]), []);
});

test('rows hold hparams as written and metrics as numbers with steps', () => {
  const rows = buildRows(RUNS, SUMMARIES, hparamNames(RUNS), [ACC, { tag: 'hparam/acc', stat: 'min' }]);
  assert.deepEqual(rows[0], { name: 'run10', values: {
    [hparamKey('lr')]: 0.1, [hparamKey('opt')]: 'sgd',
    [metricKey(ACC)]: { value: 0.9, step: 9 }, [metricKey({ tag: 'hparam/acc', stat: 'min' })]: { value: 0.1, step: 0 } } });
  assert.ok(Number.isNaN(rows[1].values[metricKey(ACC)].value));
  assert.equal(rows[1].values[metricKey({ tag: 'hparam/acc', stat: 'min' })], undefined);
  assert.deepEqual(rows[3].values, {});
});

test('a column is numeric only when every value present is a number', () => {
  const rows = buildRows(RUNS, SUMMARIES, hparamNames(RUNS), [ACC]);
  assert.equal(columnKind(rows, hparamKey('lr')), 'numeric');
  assert.equal(columnKind(rows, hparamKey('opt')), 'categorical');
  assert.equal(columnKind(rows, metricKey(ACC)), 'numeric');
  assert.equal(columnKind([{ values: { k: 1 } }, { values: { k: true } }], 'k'), 'categorical');
});

test('sorting is natural for text, numeric for numbers, and puts missing values and NaN last both ways', () => {
  const rows = buildRows(RUNS, SUMMARIES, hparamNames(RUNS), [ACC]);
  const names = (sorted) => sorted.map((r) => r.name);
  assert.deepEqual(names(sortRows(rows, 'name')), ['bare', 'run1', 'run2', 'run10']);
  assert.deepEqual(names(sortRows(rows, 'name', true)), ['run10', 'run2', 'run1', 'bare']);
  assert.deepEqual(names(sortRows(rows, hparamKey('layers'))), ['run1', 'run2', 'bare', 'run10']);
  assert.deepEqual(names(sortRows(rows, hparamKey('lr'))), ['run2', 'run1', 'run10', 'bare']);
  assert.deepEqual(names(sortRows(rows, hparamKey('lr'), true)), ['run10', 'run1', 'run2', 'bare']);
  assert.deepEqual(names(sortRows(rows, metricKey(ACC), true)), ['run10', 'run1', 'bare', 'run2']);
});

test('numbers come before text in a mixed column', () => {
  assert.ok(compareValues(5, 'a') < 0);
  assert.ok(compareValues('x2', 'x10') < 0);
  assert.equal(compareValues(true, true), 0);
});

test('the text filter sees the run name and name=value of each hparam', () => {
  const names = hparamNames(RUNS);
  const rows = buildRows(RUNS, SUMMARIES, names, []);
  assert.deepEqual(rowTexts(rows[0], names), ['run10', 'lr=0.1', 'opt=sgd']);
  const kept = (pattern) => filterRows(rows, names, makeMatcher(pattern), new Map()).map((r) => r.name);
  assert.deepEqual(kept('opt=adam'), ['run2', 'run1']);
  assert.deepEqual(kept('^run1$'), ['run1']);
  assert.deepEqual(kept('lr=0\\.0+1$'), ['run2', 'run1']);
  assert.deepEqual(kept('(conv'), []); // not a regex: read as text, matching nothing here
});

test('column filters keep values in range or in the chosen categories, never missing ones', () => {
  const names = hparamNames(RUNS);
  const rows = buildRows(RUNS, SUMMARIES, names, [ACC]);
  const kept = (filters) => filterRows(rows, names, null, new Map(filters)).map((r) => r.name);
  assert.deepEqual(kept([[hparamKey('lr'), { min: 0.005, max: 1 }]]), ['run10', 'run1']);
  assert.deepEqual(kept([[hparamKey('lr'), { min: 0.005 }], [hparamKey('opt'), { categories: new Set(['adam']) }]]), ['run1']);
  assert.deepEqual(kept([[metricKey(ACC), { max: 0.6 }]]), ['run1']);
  assert.equal(passesColumnFilter({ min: 0 }, { value: NaN, step: 1 }), false);
  assert.equal(passesColumnFilter({ categories: new Set(['true']) }, true), true);
});

test('cells read as short text, range boxes as numbers', () => {
  assert.equal(cellText({ value: 0.123456789, step: 3 }), '0.123457');
  assert.equal(cellText(1e-7), '1e-7');
  assert.equal(cellText(1.23456789e-7), '1.23457e-7');
  assert.equal(cellText(32), '32');
  assert.equal(cellText({ value: NaN, step: 0 }), 'NaN');
  assert.equal(cellText(undefined), '');
  assert.equal(cellText([1, 2]), '[1,2]');
  assert.equal(cellText('<b>x</b>'), '<b>x</b>');
  assert.equal(parseBound(' 0.5 '), 0.5);
  assert.equal(parseBound(''), undefined);
  assert.equal(parseBound('abc'), undefined);
  assert.equal(parseBound('1e-3'), 0.001);
});

test('the tags to fetch are the metric columns tags, each once, in natural order', () => {
  assert.deepEqual(metricTags([{ tag: 'm10', stat: 'min' }, { tag: 'm9', stat: 'last' }, { tag: 'm10', stat: 'max' }]), ['m9', 'm10']);
});
