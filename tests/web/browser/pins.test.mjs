/* pins.test.mjs -- pinning cards to the top, in headless Chromium against a real vizd:
 *   - on the Scalars tab, a card's Pin button, pressed from the keyboard (Tab to it, Enter), moves the
 *     card into a "Pinned" group above every other group, marks the button pressed ("Unpin") and keeps
 *     the focus on it; a second pin comes after the first
 *   - the pins are remembered across a reload (localStorage), with the cards still on top
 *   - on the Histograms tab (a card per run and tag) a click pins one run's card, not the other's
 *   - Unpin puts a card back in its group, in its place; the Pinned group goes when it is empty
 * Screenshots: build/screenshots/pins-light.png and pins-dark.png. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDashboard, screenshot, series, startVizd, waitIdle } from './harness.mjs';

let vizd;
let browser;
let page;
let errors;

// (a NUL inside a CSS selector's string becomes U+FFFD, so run-and-tag cards are found by tag and run)
const betaFc = '#panel-histograms .card[data-tag="fc/weight"][data-run="beta"]';
const TAGS = ['accuracy/train', 'accuracy/val', 'loss/train', 'loss/val', 'lr'];

/** Group names and their card keys, in page order, of a tab's panel. */
const layout = (tabId) => page.$$eval(`#panel-${tabId} .group:not([hidden])`, (groups) => groups.map((g) => ({
  name: g.querySelector('.group-name').textContent,
  keys: [...g.querySelectorAll('.card:not([hidden])')].map((c) => c.dataset.key.replace('\u0000', ' @ ')),
})));

async function openTab(id) {
  await page.evaluate((tab) => { window.location.hash = tab; }, id);
  await page.waitForFunction((tab) => window.__vizd.state.tab === tab, id);
  await waitIdle(page);
}

before(async () => {
  vizd = await startVizd();
  for (const [run, scale] of [['alpha', 1], ['beta', 0.5]]) {
    await vizd.write({
      run,
      scalars: TAGS.map((tag, k) => series(tag, 40, (s) => scale * Math.exp(-s / (10 + k)) + 0.02 * Math.sin(s))),
      histograms: ['conv1/weight', 'fc/weight'].flatMap((tag, k) => Array.from({ length: 5 }, (_, step) => ({
        tag, step, values: Array.from({ length: 200 }, (_, i) => Math.sin(i * (k + 1)) * (1 + step / 4) * scale),
      }))),
    });
  }
  ({ browser, page, errors } = await openDashboard(vizd.url, '#panel-scalars .card[data-key="lr"]'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('the Pin button, pressed from the keyboard, moves the card into a Pinned group on top and keeps the focus', async () => {
  assert.deepEqual((await layout('scalars')).map((g) => g.name), ['accuracy', 'loss', 'lr']);
  const pin = page.locator('#panel-scalars .card[data-key="loss/val"] .pin-button');
  assert.equal(await pin.getAttribute('aria-pressed'), 'false');
  // Reach it with Tab from the button before it, as a keyboard user would, and press Enter.
  await page.focus('#panel-scalars .card[data-key="loss/train"] .card-actions button >> nth=-1');
  for (let i = 0; i < 12 && !(await pin.evaluate((b) => b === document.activeElement)); i++) await page.keyboard.press('Tab');
  assert.ok(await pin.evaluate((b) => b === document.activeElement), 'Tab never reached the Pin button');
  await page.keyboard.press('Enter');
  assert.deepEqual(await layout('scalars'), [
    { name: 'Pinned', keys: ['loss/val'] },
    { name: 'accuracy', keys: ['accuracy/train', 'accuracy/val'] },
    { name: 'loss', keys: ['loss/train'] },
    { name: 'lr', keys: ['lr'] },
  ]);
  assert.equal(await pin.getAttribute('aria-pressed'), 'true');
  assert.equal(await pin.textContent(), 'Unpin');
  assert.ok(await pin.evaluate((b) => b === document.activeElement), 'the focus left the Pin button');
  // Space works too, and a second pin comes after the first.
  const lrPin = page.locator('#panel-scalars .card[data-key="lr"] .pin-button');
  await lrPin.focus();
  await page.keyboard.press('Space');
  assert.deepEqual((await layout('scalars'))[0], { name: 'Pinned', keys: ['loss/val', 'lr'] });
  assert.deepEqual((await layout('scalars')).map((g) => g.name), ['Pinned', 'accuracy', 'loss']);
  // The moved cards still draw (their observer follows them).
  await waitIdle(page);
  const state = await page.evaluate(() => window.__vizd.cardState('loss/val'));
  assert.ok(state.visible && !state.stale, JSON.stringify(state));
});

test('pins are remembered across a reload', async () => {
  await page.reload();
  await page.waitForSelector('#panel-scalars .card[data-key="lr"]');
  await waitIdle(page);
  assert.deepEqual((await layout('scalars'))[0], { name: 'Pinned', keys: ['loss/val', 'lr'] });
  assert.equal(await page.getAttribute('#panel-scalars .card[data-key="lr"] .pin-button', 'aria-pressed'), 'true');
  for (const theme of ['light', 'dark']) {
    await page.selectOption('#theme', theme);
    await waitIdle(page);
    await screenshot(page, `pins-${theme}.png`);
  }
  await page.selectOption('#theme', 'system');
});

test('on the Histograms tab a click pins one run\'s card, and the pin outlives a reload', async () => {
  await openTab('histograms');
  const key = 'fc/weight\u0000beta';
  await page.click(`${betaFc} .pin-button`);
  assert.deepEqual((await layout('histograms'))[0], { name: 'Pinned', keys: ['fc/weight @ beta'] });
  assert.deepEqual((await layout('histograms'))[1], { name: 'conv1', keys: ['conv1/weight @ alpha', 'conv1/weight @ beta'] });
  assert.deepEqual((await layout('histograms'))[2], { name: 'fc', keys: ['fc/weight @ alpha'] });
  await page.reload();
  await page.waitForSelector(betaFc);
  await waitIdle(page);
  assert.deepEqual((await layout('histograms'))[0], { name: 'Pinned', keys: ['fc/weight @ beta'] });
  // The Scalars tab kept its own pins.
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('vizd.settings')).pinned);
  assert.deepEqual(saved, { scalars: ['loss/val', 'lr'], histograms: [key] });
});

test('Unpin puts the card back in its place; the Pinned group goes when empty', async () => {
  await page.click(`${betaFc} .pin-button`);
  assert.deepEqual((await layout('histograms')).map((g) => g.name), ['conv1', 'fc']);
  assert.deepEqual((await layout('histograms'))[1].keys, ['fc/weight @ alpha', 'fc/weight @ beta']);
  await openTab('scalars');
  for (const tag of ['loss/val', 'lr']) await page.click(`#panel-scalars .card[data-key="${tag}"] .pin-button`);
  assert.deepEqual(await layout('scalars'), [
    { name: 'accuracy', keys: ['accuracy/train', 'accuracy/val'] },
    { name: 'loss', keys: ['loss/train', 'loss/val'] },
    { name: 'lr', keys: ['lr'] },
  ]);
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('vizd.settings')).pinned), {});
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
