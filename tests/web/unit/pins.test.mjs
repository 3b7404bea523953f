/* pins.test.mjs -- web/pins.js: the remembered pins per tab, cleaned when read back, in pin order. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanPins, setPinned } from '../../../web/pins.js';

test('pinning appends in pin order, unpinning removes, an empty tab disappears', () => {
  let pins = setPinned({}, 'scalars', 'loss', true);
  pins = setPinned(pins, 'scalars', 'acc', true);
  pins = setPinned(pins, 'images', 'in\u0000run', true);
  assert.deepEqual(pins, { scalars: ['loss', 'acc'], images: ['in\u0000run'] });
  pins = setPinned(pins, 'scalars', 'loss', true); // pinned again: moves to the end, not twice
  assert.deepEqual(pins.scalars, ['acc', 'loss']);
  pins = setPinned(setPinned(pins, 'images', 'in\u0000run', false), 'scalars', 'acc', false);
  assert.deepEqual(pins, { scalars: ['loss'] });
});

test('a saved map keeps only arrays of distinct strings', () => {
  assert.deepEqual(cleanPins(null), {});
  assert.deepEqual(cleanPins([1, 2]), {});
  assert.deepEqual(cleanPins('x'), {});
  assert.deepEqual(cleanPins({ scalars: ['a', 3, 'a', null, 'b'], images: 'a', text: [], histograms: [{}] }), { scalars: ['a', 'b'] });
  assert.equal(cleanPins({ scalars: Array.from({ length: 500 }, (_, i) => `t${i}`) }).scalars.length, 200);
});
