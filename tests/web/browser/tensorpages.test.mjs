/* tensorpages.test.mjs -- a big feature map [64, 224, 224] on the Tensors tab: the card draws one page
 * of 32 channels, each 224 x 224 map shrunk to a 96 px tile, so the card stays under 1,500 px tall
 * (it was 7,384 px) and it fetches only those channels (GET /api/v1/blobs/NAME?channels=0:32, half the
 * tensor's bytes); the pager walks the pages (hover names the channel in the whole tensor), "per page"
 * shows 64, and the tile-size control makes tiles smaller or bigger. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBrowser, screenshotOf, startVizd, waitIdle } from './harness.mjs';

const RUN = 'cnn/vgg11';
const TAG = 'features.0.output';
const [C, H, W] = [64, 224, 224];
let vizd;
let browser;
let page;
let errors;
const blobs = []; // {url, bytes} of every tensor blob fetched

const sel = `.tab-content.tensors .card[data-tag="${TAG}"][data-run="${RUN}"]`;
const state = () => page.evaluate((t) => window.__vizd.cardStates('tensors').find((c) => c.tag === t), TAG);

/** Waits until the card has drawn again after `before` (its drawCount). */
async function redrawn(before) {
  await page.waitForFunction(([t, n]) => {
    const c = window.__vizd.cardStates('tensors').find((s) => s.tag === t);
    return c && c.drawCount > n && !c.loading && !c.needsDraw;
  }, [TAG, before.drawCount]);
  return state();
}

before(async () => {
  vizd = await startVizd();
  // Channel c is a pattern of stripes whose spacing grows with c, so pages differ.
  const values = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) values[(c * H + y) * W + x] = Math.sin((x + y) / (2 + c));
  }
  const response = await fetch(`${vizd.url}/api/v1/tensors?run=${encodeURIComponent(RUN)}&tag=${TAG}&step=0&shape=${C},${H},${W}&kind=feature_maps`,
    { method: 'POST', body: Buffer.from(values.buffer) });
  assert.equal(response.status, 200, await response.text());
  ({ browser, page, errors } = await openBrowser());
  page.on('response', async (response) => {
    if (!response.url().includes('/api/v1/blobs/')) return;
    blobs.push({ url: response.url(), bytes: (await response.body()).length });
  });
  await page.goto(`${vizd.url}/#tensors`);
  await page.waitForSelector(sel);
  await page.waitForFunction((t) => {
    const c = window.__vizd.cardStates('tensors').find((s) => s.tag === t);
    return c && c.shown && !c.loading && !c.needsDraw;
  }, TAG);
  await waitIdle(page);
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('the card draws a page of 32 channels as 96 px tiles and stays under 1,500 px tall', async () => {
  const card = await state();
  assert.equal(card.shown.tiles, 32);
  assert.deepEqual(card.shown.channels, [0, 32]);
  assert.equal(card.shown.maxTile, 96);
  const height = await page.$eval(sel, (el) => el.getBoundingClientRect().height);
  assert.ok(height < 1500, `card ${height} px tall`);
  const tile = await page.$eval(`${sel} canvas`, (c, cols) => c.getBoundingClientRect().width / cols, card.shown.cols);
  assert.ok(tile > 90 && tile < 102, `tile ${tile} px`);
  assert.equal(await page.textContent(`${sel} .page-text`), '0–31 of 64');
  assert.equal(await page.textContent(`${sel} .card-note`), 'channels 0–31 of 64, 224×224');
  await screenshotOf(page.locator(sel), 'tensors-feature-map-page.png');
  // Only the page's channels crossed the wire: half the tensor's 12.8 MB.
  assert.equal(blobs.length, 1, JSON.stringify(blobs.map((b) => b.url)));
  assert.match(blobs[0].url, /\?shape=64,224,224&channels=0:32$/);
  assert.equal(blobs[0].bytes, 32 * H * W * 4);
});

test('the pager shows the next 32 channels; per page 64 shows all', async () => {
  const first = await state();
  const hash = () => page.$eval(`${sel} canvas`, (c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let h = 0;
    for (let i = 0; i < data.length; i += 97) h = (h * 31 + data[i]) >>> 0;
    return h;
  });
  const before = await hash();
  assert.equal(await page.$eval(`${sel} .pager button >> nth=0`, (b) => b.disabled), true);
  await page.click(`${sel} .pager button >> nth=1`);
  const second = await redrawn(first);
  assert.deepEqual(second.shown.channels, [32, 64]);
  assert.equal(await page.textContent(`${sel} .page-text`), '32–63 of 64');
  assert.equal(await page.$eval(`${sel} .pager button >> nth=1`, (b) => b.disabled), true);
  assert.notEqual(await hash(), before);
  assert.match(blobs.at(-1).url, /channels=32:64$/);
  assert.equal(blobs.at(-1).bytes, 32 * H * W * 4);
  // Hovering the first tile of this page names channel 32 of the whole tensor, with its value.
  const box = await page.locator(`${sel} canvas`).boundingBox();
  await page.mouse.move(box.x + 10, box.y + 10);
  const tooltip = page.locator(`${sel} .tensor-tooltip`);
  await tooltip.waitFor({ state: 'visible' });
  const [, y, x, value] = (await tooltip.textContent()).match(/^\[32, (\d+), (\d+)\] = (\S+)$/).map(Number);
  assert.ok(Math.abs(value - Math.sin((x + y) / 34)) < 1e-4, `${value} at (${y}, ${x})`);
  await page.mouse.move(0, 0);
  await page.selectOption(`${sel} .control:has(.control-label:text-is("Per page")) select`, '64');
  const all = await redrawn(second);
  assert.equal(all.shown.tiles, 64);
  assert.deepEqual(all.shown.channels, [0, 64]);
  assert.ok(await page.locator(`${sel} .pager`).isHidden());
  await page.selectOption(`${sel} .control:has(.control-label:text-is("Per page")) select`, '32');
  await redrawn(all);
});

test('the tile-size control shrinks and grows the tiles', async () => {
  const before = await state();
  const input = `${sel} .control:has(.control-label:text-is("Tile")) input`;
  await page.$eval(input, (el) => { el.value = '48'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const small = await redrawn(before);
  assert.equal(small.shown.maxTile, 48);
  assert.ok(small.shown.cols > before.shown.cols, `${small.shown.cols} vs ${before.shown.cols} columns`);
  const shorter = await page.$eval(sel, (el) => el.getBoundingClientRect().height);
  await page.$eval(input, (el) => { el.value = '224'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const big = await redrawn(small);
  assert.equal(big.shown.cssScale, 1); // 224 px tiles: 1:1
  assert.ok(await page.$eval(sel, (el) => el.getBoundingClientRect().height) > shorter);
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
