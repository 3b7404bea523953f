/* images.test.mjs -- the Images tab draws images at card width: a big make_grid-like image shrinks
 * to the card (smoothly), a small one is enlarged to the card but never past 8x (pixelated), a batch
 * shares the card in tiles, the card-width control resizes them, and "actual size" draws 1:1 pixels
 * that scroll inside the card instead of being cropped. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, openDashboard, png, screenshot, startVizd } from './harness.mjs';

const RUN = 'tutorial';
let vizd;
let browser;
let page;
let errors;

const cardSel = (tag) => `.tab-content.images .card[data-tag="${tag}"][data-run="${RUN}"]`;
const b64 = (width, height, pixel) => png(width, height, pixel).toString('base64');

async function cardOf(tag) {
  await page.locator(cardSel(tag)).scrollIntoViewIfNeeded();
  await page.waitForFunction((t) => {
    const c = window.__vizd.cardStates('images').find((s) => s.tag === t);
    return c && c.visible && !c.stale && !c.needsDraw && !c.loading && c.images > 0;
  }, tag);
  await page.waitForFunction((sel) => [...document.querySelectorAll(`${sel} img`)].every((img) => img.complete && img.naturalWidth > 0), cardSel(tag));
  return page.evaluate((t) => window.__vizd.cardStates('images').find((s) => s.tag === t), tag);
}

const gridWidth = (tag) => page.$eval(`${cardSel(tag)} .image-grid`, (el) => el.clientWidth);

before(async () => {
  vizd = await startVizd();
  await vizd.write({ run: RUN, images: [
    // A make_grid-like 906 x 453 image of 8 x 4 coloured squares with 2 px white gaps.
    { tag: 'grid', step: 0, data: b64(906, 453, (x, y) => (x % 113 < 2 || y % 113 < 2 ? [255, 255, 255] : [(x / 113 | 0) * 30, (y / 113 | 0) * 60, 120])) },
    // One 28 x 28 digit-like image: enlarged, at most 8x.
    { tag: 'digit', step: 0, data: b64(28, 28, (x, y) => ((x - 14) ** 2 + (y - 14) ** 2 < 60 ? [255, 255, 255] : [0, 0, 0])) },
    // A batch of six 32 x 32 images.
    ...Array.from({ length: 6 }, (_, index) => ({ tag: 'batch', step: 0, index,
      data: b64(32, 32, (x, y) => [(x * 8 + index * 40) % 256, y * 8, 100]) })),
  ] });
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#images`, cardSel('grid')));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('a big image is drawn at the card\'s width, shrunk smoothly', async () => {
  const card = await cardOf('grid');
  const width = await gridWidth('grid');
  assert.ok(width >= 380 && width < 906, `grid ${width} px`);
  assert.ok(Math.abs(card.shown[0].width - width) < 1, `${card.shown[0].width} vs ${width}`);
  assert.equal(card.shown[0].enlarged, false);
  assert.equal(await page.$eval(`${cardSel('grid')} img`, (img) => getComputedStyle(img).imageRendering), 'auto');
});

test('a small image is enlarged to the card, at most 8x, pixelated', async () => {
  const card = await cardOf('digit');
  assert.equal(card.shown[0].width, 224); // 28 x 8: the card is wider than that
  assert.equal(card.shown[0].enlarged, true);
  assert.equal(await page.$eval(`${cardSel('digit')} img`, (img) => getComputedStyle(img).imageRendering), 'pixelated');
});

test('a batch shares the card in tiles of at least 128 px', async () => {
  const card = await cardOf('batch');
  assert.equal(card.images, 6);
  const width = await gridWidth('batch');
  const columns = Math.floor((width + 8) / (128 + 8));
  for (const { width: w, enlarged } of card.shown) {
    assert.ok(w >= 128 && w <= 256, `tile ${w} px`);
    assert.equal(enlarged, true);
  }
  const tops = await page.$$eval(`${cardSel('batch')} img`, (imgs) => new Set(imgs.map((i) => Math.round(i.getBoundingClientRect().top))).size);
  assert.equal(tops, Math.ceil(6 / columns));
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'images-card-width.png');
});

test('the card-width control makes images bigger', async () => {
  const before = (await cardOf('grid')).shown[0].width;
  await page.locator('.tab-content.images .card-width').fill('900');
  await page.waitForFunction((sel) => document.querySelector(`${sel} img`).getBoundingClientRect().width > 800, cardSel('grid'));
  const after = (await cardOf('grid')).shown[0].width;
  assert.ok(after > before + 300, `${before} -> ${after}`);
  await page.locator('.tab-content.images .card-width').fill('420');
});

test('"actual size" draws 1:1 pixels and the card scrolls instead of cropping', async () => {
  await page.locator('aside .setting-check', { hasText: 'actual image size' }).locator('input').check();
  const img = `${cardSel('grid')} img`;
  await page.waitForFunction((sel) => document.querySelector(sel).getBoundingClientRect().width === 906, img);
  const box = await page.$eval(`${cardSel('grid')} .image-grid`, (el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
  assert.ok(box.scrollWidth >= 906 && box.clientWidth < 906, JSON.stringify(box));
  // Scrolled to its right end, the image's last column is inside the card.
  await page.$eval(`${cardSel('grid')} .image-grid`, (el) => { el.scrollLeft = el.scrollWidth; });
  const [imgRight, cardRight] = await page.$eval(cardSel('grid'), (card) => [card.querySelector('img').getBoundingClientRect().right, card.getBoundingClientRect().right]);
  assert.ok(imgRight <= cardRight, `${imgRight} vs ${cardRight}`);
  assert.equal((await cardOf('digit')).shown[0].width, 28);
  await page.locator(cardSel('grid')).screenshot({ path: `${SCREENSHOTS}/images-actual-size.png` });
  await page.locator('aside .setting-check', { hasText: 'actual image size' }).locator('input').uncheck();
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
