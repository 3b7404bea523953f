/* tags.test.mjs -- web/tags.js: tags grouped by the part before the first '/'. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupOf, groupTags, naturalCompare, runsWithTag, tagsOfKind } from '../../../web/tags.js';

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

test('tags sort naturally: numbers by value, text by code unit', () => {
  assert.deepEqual(['layer11', 'layer3', 'layer0', 'layer6'].sort(naturalCompare), ['layer0', 'layer3', 'layer6', 'layer11']);
  assert.deepEqual(['b/2', 'a/10', 'a/9', 'B/1', 'a'].sort(naturalCompare), ['B/1', 'a', 'a/9', 'a/10', 'b/2']);
  assert.deepEqual(['x01', 'x1', 'x0'].sort(naturalCompare), ['x0', 'x1', 'x01']);
  assert.deepEqual(['conv1.w/3/0', 'conv1.w/11/0', 'conv1.w/3/10', 'conv1.w/3/2'].sort(naturalCompare),
    ['conv1.w/3/0', 'conv1.w/3/2', 'conv1.w/3/10', 'conv1.w/11/0']);
  assert.equal(naturalCompare('same', 'same'), 0);
});

test('groups and tags come out in natural order', () => {
  assert.deepEqual(groupTags(['fm/11', 'fm/3', 'block10/a', 'block2/a', 'fm/0']), [
    { name: 'block2', tags: ['block2/a'] },
    { name: 'block10', tags: ['block10/a'] },
    { name: 'fm', tags: ['fm/0', 'fm/3', 'fm/11'] },
  ]);
  assert.deepEqual(tagsOfKind({ r: { scalars: { 'l/10': {}, 'l/9': {} } } }, 'scalars'), ['l/9', 'l/10']);
});
