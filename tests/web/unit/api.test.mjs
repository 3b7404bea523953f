/* api.test.mjs -- web/api.js: run lists longer than vizd answers at once are cut into chunks it accepts. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkRuns, MAX_RUNS_PER_REQUEST } from '../../../web/api.js';

test('the chunk size is the limit vizd documents', () => {
  assert.equal(MAX_RUNS_PER_REQUEST, 256);
});

test('runs are cut into consecutive chunks of at most 256, in order', () => {
  const runs = Array.from({ length: 600 }, (_, i) => `r${i}`);
  const chunks = chunkRuns(runs);
  assert.deepEqual(chunks.map((c) => c.length), [256, 256, 88]);
  assert.deepEqual(chunks.flat(), runs);
});

test('256 runs or fewer stay one chunk; none gives no chunk', () => {
  assert.equal(chunkRuns(Array.from({ length: 256 }, (_, i) => i)).length, 1);
  assert.deepEqual(chunkRuns(['a']), [['a']]);
  assert.deepEqual(chunkRuns([]), []);
});

test('a smaller size can be asked for', () => {
  assert.deepEqual(chunkRuns(['a', 'b', 'c'], 2), [['a', 'b'], ['c']]);
});
