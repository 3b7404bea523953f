/* csv.test.mjs -- web/csv.js: CSV export with the API's columns, quoting and non-finite words. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesToCsv } from '../../../web/csv.js';

test('one line per point after the header, runs in order', () => {
  const csv = seriesToCsv([
    { run: 'a', points: [[0, 1764000000.5, 0.25], [1, 1764000001, 0.125]] },
    { run: 'b', points: [[5, 1764000002, -3]] },
  ]);
  assert.equal(csv, 'run,step,wall_time,value\na,0,1764000000.5,0.25\na,1,1764000001,0.125\nb,5,1764000002,-3\n');
});

test('non-finite values are the bare words', () => {
  const csv = seriesToCsv([{ run: 'a', points: [[0, 1, NaN], [1, 1, Infinity], [2, 1, -Infinity]]}]);
  assert.equal(csv, 'run,step,wall_time,value\na,0,1,NaN\na,1,1,Infinity\na,2,1,-Infinity\n');
});

test('run names with commas or quotes are quoted', () => {
  const csv = seriesToCsv([{ run: 'lr=0.1,"bs"=32', points: [[0, 1, 2]] }]);
  assert.equal(csv, 'run,step,wall_time,value\n"lr=0.1,""bs""=32",0,1,2\n');
});
