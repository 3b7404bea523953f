/* filter.test.mjs -- web/filter.js: case-insensitive regex filters that survive half-typed patterns. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeMatcher } from '../../../web/filter.js';

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
