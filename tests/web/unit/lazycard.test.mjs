/* lazycard.test.mjs -- web/lazycard.js: a card fetches only while on screen, draws when it owes a
 * draw, and never lets an old answer or error overwrite a newer one. The card under test answers its
 * fetches by hand, in whatever order a test wants. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LazyCard } from '../../../web/lazycard.js';

/** A card whose fetches wait until the test settles them: pending[i].resolve(data) or .reject(error). */
class FakeCard extends LazyCard {
  constructor() {
    super();
    this.pending = [];
    this.data = null;
    this.draws = 0;
  }

  fetchData() {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  receive(data) {
    this.data = data;
  }

  draw() {
    this.needsDraw = false;
    this.draws++;
  }
}

/** Lets the card's awaits run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A card on screen that has fetched `data` and drawn it once. */
async function loadedCard(data) {
  const card = new FakeCard();
  card.setVisible(true);
  card.pending[0].resolve(data);
  await settle();
  return card;
}

test('a card off screen fetches nothing until it comes on screen', async () => {
  const card = new FakeCard();
  card.invalidate();
  card.requestDraw();
  assert.equal(card.pending.length, 0);
  assert.equal(card.draws, 0);
  card.setVisible(true);
  assert.equal(card.pending.length, 1);
  card.pending[0].resolve('first');
  await settle();
  assert.equal(card.data, 'first');
  assert.equal(card.draws, 1);
  assert.ok(card.isIdle());
});

test('a card is loading from the fetch until its answer is kept', async () => {
  const card = new FakeCard();
  card.setVisible(true);
  assert.deepEqual(card.lifecycle(), { visible: true, stale: false, loading: true, needsDraw: false });
  assert.equal(card.isIdle(), false);
  card.pending[0].resolve('data');
  await settle();
  assert.deepEqual(card.lifecycle(), { visible: true, stale: false, loading: false, needsDraw: false });
});

test('an answer that comes back after a newer fetch started is dropped', async () => {
  const card = new FakeCard();
  card.setVisible(true);
  card.invalidate();
  assert.equal(card.pending.length, 2);
  card.pending[1].resolve('new');
  await settle();
  card.pending[0].resolve('old');
  await settle();
  assert.equal(card.data, 'new');
  assert.equal(card.draws, 1);
});

test('a superseded fetch does not end the loading of the newer one', async () => {
  const card = new FakeCard();
  card.setVisible(true);
  card.invalidate();
  card.pending[0].resolve('old');
  await settle();
  assert.equal(card.loading, true);
  card.pending[1].resolve('new');
  await settle();
  assert.equal(card.loading, false);
});

test('a failed fetch keeps the data, draws the error, and a later success clears it', async () => {
  const card = await loadedCard('kept');
  card.invalidate();
  card.pending[1].reject(new Error('server down'));
  await settle();
  assert.equal(card.error, 'server down');
  assert.equal(card.data, 'kept');
  assert.equal(card.draws, 2);
  card.invalidate();
  card.pending[2].resolve('back');
  await settle();
  assert.equal(card.error, null);
  assert.equal(card.data, 'back');
});

test('an error that comes back after a newer fetch started is dropped', async () => {
  const card = new FakeCard();
  card.setVisible(true);
  card.invalidate();
  card.pending[1].resolve('new');
  await settle();
  card.pending[0].reject(new Error('late failure'));
  await settle();
  assert.equal(card.error, null);
  assert.equal(card.data, 'new');
});

test('an answer that comes back after destroy is dropped', async () => {
  const card = new FakeCard();
  card.setVisible(true);
  card.destroy();
  card.pending[0].resolve('too late');
  await settle();
  assert.equal(card.data, null);
  assert.equal(card.draws, 0);
});

test('a draw requested off screen happens once the card comes back, without a fetch', async () => {
  const card = await loadedCard('data');
  card.setVisible(false);
  card.requestDraw();
  assert.equal(card.draws, 1);
  assert.equal(card.needsDraw, true);
  card.setVisible(true);
  assert.equal(card.draws, 2);
  assert.equal(card.pending.length, 1);
});

test('a draw requested on screen happens at once', async () => {
  const card = await loadedCard('data');
  card.requestDraw();
  assert.equal(card.draws, 2);
  assert.equal(card.needsDraw, false);
});

test('a change while off screen is fetched once the card comes back', async () => {
  const card = await loadedCard('old');
  card.setVisible(false);
  card.invalidate();
  card.invalidate();
  assert.equal(card.pending.length, 1);
  assert.equal(card.isIdle(), true);
  card.setVisible(true);
  assert.equal(card.pending.length, 2);
  card.pending[1].resolve('new');
  await settle();
  assert.equal(card.data, 'new');
});
