/* runsummaries.test.mjs -- web/runsummaries.js: summaries fetched once per set of tags, again only when
 * writes touched those tags; concurrent loads share a request, a fresh one supersedes it. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSummaryLoader, writesTouch } from '../../../web/runsummaries.js';

function fakeFetch() {
  const calls = [];
  const fetch = (tags) => new Promise((resolve) => calls.push({ tags, resolve }));
  return { calls, fetch };
}

test('writes touch the tags they name; unknown or more_tags writes touch everything', () => {
  assert.equal(writesTouch(null, ['a']), true);
  assert.equal(writesTouch([{ tags: ['b'] }], ['a']), false);
  assert.equal(writesTouch([{ tags: ['b'] }, { tags: ['a'] }], ['a']), true);
  assert.equal(writesTouch([{ tags: [], more_tags: true }], ['a']), true);
  assert.equal(writesTouch([], ['a']), false);
});

test('a load of held tags is answered without a request unless fresh', async () => {
  const { calls, fetch } = fakeFetch();
  const loader = createSummaryLoader(fetch);
  const first = loader.load(['a'], false);
  const again = loader.load(['a'], false);
  assert.equal(calls.length, 1);
  assert.equal(loader.loading(), true);
  calls[0].resolve(new Map([['r', { a: 1 }]]));
  assert.deepEqual([...(await first)], [['r', { a: 1 }]]);
  assert.equal(await again, await first);
  assert.equal(loader.loading(), false);
  await loader.load(['a'], false);
  assert.equal(calls.length, 1);
  const fresh = loader.load(['a'], true);
  assert.equal(calls.length, 2);
  calls[1].resolve(new Map([['r', { a: 2 }]]));
  assert.deepEqual(loader.current().get('r'), { a: 1 });
  await fresh;
  assert.deepEqual(loader.current().get('r'), { a: 2 });
});

test('a fresh load supersedes one in flight: the older answer is not kept', async () => {
  const { calls, fetch } = fakeFetch();
  const loader = createSummaryLoader(fetch);
  const old = loader.load(['a'], false);
  const fresh = loader.load(['a'], true);
  calls[1].resolve(new Map([['r', 'new']]));
  await fresh;
  calls[0].resolve(new Map([['r', 'old']]));
  await old;
  assert.equal(loader.current().get('r'), 'new');
});

test('no tags need no request', async () => {
  const { calls, fetch } = fakeFetch();
  const loader = createSummaryLoader(fetch);
  assert.equal((await loader.load([], true)).size, 0);
  assert.equal(calls.length, 0);
});
