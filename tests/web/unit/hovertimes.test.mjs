/* hovertimes.test.mjs -- web/hovertimes.js: the wall times of hovered points over a step axis, asked
 * for once the mouse rests, kept per (run, step), late answers for an earlier hover redrawing nothing. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HoverWallTimes } from '../../../web/hovertimes.js';

const DELAY_MS = 5;
const rest = () => new Promise((resolve) => setTimeout(resolve, 4 * DELAY_MS));

/** A store of wall times: run -> step -> wall time; records what is asked; answers when released. */
function fakeServer(walls, { held = false } = {}) {
  const asked = [];
  const waiting = [];
  const fetchWallTimes = (runs, step) => {
    asked.push([runs.join(','), step]);
    const answer = new Map();
    for (const run of runs) {
      const steps = walls[run];
      const at = step === null ? Math.min(...Object.keys(steps).map(Number)) : step;
      if (steps[at] !== undefined) answer.set(run, steps[at]);
    }
    if (!held) return Promise.resolve(answer);
    return new Promise((resolve) => waiting.push(() => resolve(answer)));
  };
  return { asked, fetchWallTimes, release: async () => { waiting.splice(0).forEach((go) => go()); await rest(); } };
}

const WALLS = { a: { 0: 1000, 10: 1090, 20: 1200 }, b: { 5: 5000, 10: 5030 } };

test('the relative time of a hovered point is its wall time minus its run\'s first, once both are in', async () => {
  const server = fakeServer(WALLS);
  const times = new HoverWallTimes(server.fetchWallTimes, DELAY_MS);
  let answers = 0;
  times.hover([{ run: 'a', step: 10 }, { run: 'b', step: 10 }], () => { answers += 1; });
  assert.ok(Number.isNaN(times.relative('a', 10)), 'unknown before the answer: blank, not a guess');
  await rest();
  assert.equal(times.relative('a', 10), 90);
  assert.equal(times.relative('b', 10), 30);
  // One request for the runs' first points, one for the step both runs are hovered at.
  assert.deepEqual(server.asked, [['a,b', null], ['a,b', 10]]);
  assert.ok(answers >= 1);
});

test('each run\'s first point is asked once, a known step never again', async () => {
  const server = fakeServer(WALLS);
  const times = new HoverWallTimes(server.fetchWallTimes, DELAY_MS);
  times.hover([{ run: 'a', step: 10 }], () => {});
  await rest();
  times.hover([{ run: 'a', step: 20 }], () => {});
  await rest();
  times.hover([{ run: 'a', step: 10 }], () => {});
  await rest();
  assert.deepEqual(server.asked, [['a', null], ['a', 10], ['a', 20]]);
  assert.equal(times.relative('a', 20), 200);
});

test('moves inside the debounce ask only for where the mouse rests', async () => {
  const server = fakeServer(WALLS);
  const times = new HoverWallTimes(server.fetchWallTimes, DELAY_MS);
  for (const step of [0, 10, 20]) times.hover([{ run: 'a', step }], () => {});
  await rest();
  assert.deepEqual(server.asked, [['a', null], ['a', 20]]);
  assert.ok(Number.isNaN(times.relative('a', 10)));
  assert.equal(times.relative('a', 20), 200);
});

test('a late answer for an earlier hover is kept but calls nothing back', async () => {
  const server = fakeServer(WALLS, { held: true });
  const times = new HoverWallTimes(server.fetchWallTimes, DELAY_MS);
  const called = [];
  times.hover([{ run: 'a', step: 10 }], () => called.push('first hover'));
  await rest();
  times.hover([], () => called.push('left'));   // the mouse left before the answer came
  await server.release();
  assert.deepEqual(called, []);
  assert.equal(times.relative('a', 10), 90, 'a correct answer is still worth keeping');
});

test('an answer still on its way when the mouse comes back calls back once it arrives', async () => {
  const server = fakeServer(WALLS, { held: true });
  const times = new HoverWallTimes(server.fetchWallTimes, DELAY_MS);
  const called = [];
  times.hover([{ run: 'a', step: 10 }], () => called.push(1));
  await rest();
  times.hover([{ run: 'a', step: 20 }], () => called.push(2));
  times.hover([{ run: 'a', step: 10 }], () => called.push(3));
  await rest();
  assert.deepEqual(server.asked, [['a', null], ['a', 10]], 'not asked twice while on its way');
  await server.release();
  assert.ok(called.length >= 1 && called.every((c) => c === 1), JSON.stringify(called));
  assert.equal(times.relative('a', 10), 90);
});

test('forget() drops what is known and the answers asked for before it', async () => {
  const server = fakeServer(WALLS, { held: true });
  const times = new HoverWallTimes(server.fetchWallTimes, DELAY_MS);
  let called = 0;
  times.hover([{ run: 'a', step: 10 }], () => { called += 1; });
  await rest();
  times.forget();
  await server.release();
  assert.equal(called, 0);
  assert.ok(Number.isNaN(times.relative('a', 10)), 'an answer from before forget() is not kept');
  times.hover([{ run: 'a', step: 10 }], () => { called += 1; });
  await rest();
  await server.release();
  assert.equal(times.relative('a', 10), 90);
  assert.ok(called >= 1);
});

test('a run without a point at the hovered step stays blank and is not asked again', async () => {
  const server = fakeServer(WALLS);
  const times = new HoverWallTimes(server.fetchWallTimes, DELAY_MS);
  times.hover([{ run: 'b', step: 7 }], () => {});
  await rest();
  times.hover([{ run: 'b', step: 7 }], () => {});
  await rest();
  assert.ok(Number.isNaN(times.relative('b', 7)));
  assert.equal(server.asked.length, 2);
});

test('a failed request leaves the cell blank and is asked again at the next hover', async () => {
  let fail = true;
  const asked = [];
  const times = new HoverWallTimes(async (runs, step) => {
    asked.push(step);
    if (fail) throw new Error('HTTP 503');
    return new Map([['a', step === null ? 1000 : 1090]]);
  }, DELAY_MS);
  times.hover([{ run: 'a', step: 10 }], () => {});
  await rest();
  assert.ok(Number.isNaN(times.relative('a', 10)));
  fail = false;
  times.hover([{ run: 'a', step: 10 }], () => {});
  await rest();
  assert.equal(times.relative('a', 10), 90);
  assert.deepEqual(asked, [null, 10, null, 10]);
});
