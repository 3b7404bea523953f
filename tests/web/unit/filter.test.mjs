/* filter.test.mjs -- web/filter.js: case-insensitive regex filters that survive half-typed patterns. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyFilterText, filterCountText, makeMatcher } from '../../../web/filter.js';

test('an empty pattern matches everything', () => {
  const m = makeMatcher('');
  assert.ok(m.valid);
  assert.ok(m.test('anything'));
});

test('patterns are regular expressions, matched anywhere', () => {
  const m = makeMatcher('^train/(loss|acc)$');
  assert.ok(m.test('train/loss'));
  assert.ok(m.test('train/acc'));
  assert.ok(!m.test('eval/loss'));
  assert.ok(makeMatcher('loss').test('eval/loss_total'));
});

test('matching ignores case', () => {
  assert.ok(makeMatcher('LOSS').test('train/loss'));
  assert.ok(makeMatcher('mnist').test('MNIST/lr=0.1'));
});

test('an invalid regex is matched as literal text and says it is invalid', () => {
  const m = makeMatcher('lr=(0.');
  assert.equal(m.valid, false);
  assert.ok(m.test('mnist/LR=(0.1)'));
  assert.ok(!m.test('mnist/lr=0.1'));
});

test('an invalid regex keeps the parser\'s reason and the empty text says it is invalid', () => {
  const m = makeMatcher('(unclosed');
  assert.equal(m.error, 'unterminated group');
  assert.equal(emptyFilterText(m, 'No tag matches the filter.'),
    'Invalid regular expression (unterminated group); read as plain text it matches nothing.');
  assert.equal(emptyFilterText(makeMatcher('zzz'), 'No tag matches the filter.'), 'No tag matches the filter.');
});

test('the count says "N of M" only when some are hidden, with singular and plural nouns', () => {
  const noun = (n) => (n === 1 ? 'card' : 'cards');
  assert.equal(filterCountText(makeMatcher(''), 7, 7, noun), '7 cards');
  assert.equal(filterCountText(makeMatcher(''), 1, 1, noun), '1 card');
  assert.equal(filterCountText(makeMatcher('a'), 3, 7, noun), '3 of 7 cards');
  assert.equal(filterCountText(makeMatcher('a'), 0, 0, noun), '');
  assert.equal(filterCountText(makeMatcher('('), 0, 7, noun), '0 of 7 cards · invalid regular expression, matched as text');
});
