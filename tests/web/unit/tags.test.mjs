/* tags.test.mjs -- web/tags.js: tags grouped by the part before the first '/'. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupOf, groupTags, runsWithTag, tagsOfKind } from '../../../web/tags.js';

test('the group is the part before the first slash', () => {
  assert.equal(groupOf('train/loss'), 'train');
  assert.equal(groupOf('train/loss/total'), 'train');
  assert.equal(groupOf('lr'), 'lr');
});

test('groups and their tags are sorted', () => {
  assert.deepEqual(groupTags(['train/loss', 'eval/acc', 'lr', 'train/acc', 'train/acc']), [
    { name: 'eval', tags: ['eval/acc'] },
    { name: 'lr', tags: ['lr'] },
    { name: 'train', tags: ['train/acc', 'train/loss'] },
  ]);
});

test('tags of one kind are collected across runs', () => {
  const tagsByRun = {
    a: { scalars: { 'train/loss': {}, lr: {} }, histograms: { w: {} } },
    b: { scalars: { 'eval/acc': {}, lr: {} } },
    c: {},
  };
  assert.deepEqual(tagsOfKind(tagsByRun, 'scalars'), ['eval/acc', 'lr', 'train/loss']);
  assert.deepEqual(runsWithTag(tagsByRun, 'scalars', 'lr', ['c', 'b', 'a']), ['b', 'a']);
});
