/* cardwidth.test.mjs -- web/cardwidth.js: each tab's card width, its default and its bounds. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CARD_WIDTH, cardWidthOf, cleanCardWidths, defaultCardWidth } from '../../../web/cardwidth.js';

test('scalars default to three cards across a 1400 px window', () => {
  const content = 1400 - 280 - 40; // the window less the sidebar and the content padding
  const gap = 16;
  assert.equal(Math.floor((content + gap) / (defaultCardWidth('scalars') + gap)), 3);
  assert.equal(defaultCardWidth('images'), 420);
  assert.equal(defaultCardWidth('no-such-tab'), 420);
});

test('a saved width is used, clamped to the control\'s range; a bad one gives the default', () => {
  assert.equal(cardWidthOf({ scalars: 500 }, 'scalars'), 500);
  assert.equal(cardWidthOf({ scalars: 10 }, 'scalars'), CARD_WIDTH.min);
  assert.equal(cardWidthOf({ scalars: 1e9 }, 'scalars'), CARD_WIDTH.max);
  assert.equal(cardWidthOf({ scalars: 'wide' }, 'scalars'), 340);
  assert.equal(cardWidthOf({ scalars: NaN }, 'scalars'), 340);
  assert.equal(cardWidthOf(undefined, 'images'), 420);
});

test('cleaning the saved map keeps only numbers, clamped', () => {
  assert.deepEqual(cleanCardWidths({ scalars: 300, images: 'x', text: 5000 }), { scalars: 300, text: CARD_WIDTH.max });
  assert.deepEqual(cleanCardWidths(null), {});
  assert.deepEqual(cleanCardWidths([1, 2]), {});
  assert.deepEqual(cleanCardWidths('x'), {});
});
