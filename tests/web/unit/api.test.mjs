/* api.test.mjs -- web/api.js: run lists longer than vizd answers at once are cut into chunks it accepts;
 * columnar scalar answers become the rows the cards draw. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkRuns, MAX_RUNS_PER_REQUEST, RUNS_QUERY_BYTES } from '../../../web/api.js';

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

test('long names are cut by the bytes their run= parameters take in the URL', () => {
  // 256-byte names of 2-byte characters: 768 bytes each once percent-encoded, 773 with "&run=".
  const runs = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(3, '0') + 'é'.repeat(126) + 'x');
  const chunks = chunkRuns(runs);
  assert.deepEqual(chunks.flat(), runs);
  for (const chunk of chunks) {
    const bytes = chunk.reduce((sum, run) => sum + 5 + encodeURIComponent(run).length, 0);
    assert.ok(bytes <= RUNS_QUERY_BYTES, `${bytes} bytes`);
  }
  assert.equal(chunks[0].length, Math.floor(RUNS_QUERY_BYTES / (5 + encodeURIComponent(runs[0]).length)));
});

test('the URL of a full chunk fits vizd\'s 32 KiB with a tag and options beside it', () => {
  assert.ok(RUNS_QUERY_BYTES + 5 + 3 * 256 + 200 < 32 * 1024);
});
