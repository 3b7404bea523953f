/* tensorpages.test.mjs -- a big feature map [64, 224, 224] on the Tensors tab: the card draws one page
 * of 32 channels as 64 px tiles, so the card stays under 1,500 px tall (it was 7,384 px), and it
 * fetches only what it draws: those channels, each reduced by the server to 64 x 64 area means
 * (GET /api/v1/blobs/NAME?channels=0:32&size=64, 0.5 MB of the tensor's 12.8 MB), so the whole tab,
 * page and scripts included, moves under 1 MB (it moved 25 MB); the pager walks the pages (hover names
 * the channel and the rows and columns a tile pixel averages, in the whole tensor), "per page" shows 64,
 * and the tile-size control makes tiles smaller or bigger, fetching them at that size; dark mode draws the
 * page on the dark card (build/screenshots/tensors-feature-map-page-dark.png). */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBrowser, screenshot, screenshotOf, startVizd, waitIdle } from './harness.mjs';

const RUN = 'cnn/vgg11';
const TAG = 'features.0.output';
const [C, H, W] = [64, 224, 224];
let vizd;
let browser;
let page;
let errors;
const blobs = []; // {url, bytes} of every tensor blob fetched
const value = (c, y, x) => Math.sin((x + y) / (2 + c));

/** The area mean the server computes (docs/API.md): pixel k of n reduced to m covers [k n / m, (k + 1) n / m). */
function areaMean(c, [row, rows], [col, cols]) {
  const weights = (k, n, m) => {
    const lo = (k * n) / m;
    const hi = ((k + 1) * n) / m;
    const out = [];
    for (let i = Math.floor(lo); i < Math.min(n, Math.ceil(hi)); i++) out.push([i, (Math.min(hi, i + 1) - Math.max(lo, i)) / (hi - lo)]);
    return out;
  };
  let sum = 0;
  for (const [y, wy] of weights(row, H, rows)) for (const [x, wx] of weights(col, W, cols)) sum += wy * wx * value(c, y, x);
  return sum;
}

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
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) values[(c * H + y) * W + x] = value(c, y, x);
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

test('the card draws a page of 32 channels as 64 px tiles and stays under 1,500 px tall', async () => {
  const card = await state();
  assert.equal(card.shown.tiles, 32);
  assert.deepEqual(card.shown.channels, [0, 32]);
  assert.equal(card.shown.maxTile, 64);
  assert.equal(card.shown.size, 64);
  assert.deepEqual(card.shown.planes, [64, 64]);
  const height = await page.$eval(sel, (el) => el.getBoundingClientRect().height);
  assert.ok(height < 1500, `card ${height} px tall`);
  const tile = await page.$eval(`${sel} canvas`, (c, cols) => c.getBoundingClientRect().width / cols, card.shown.cols);
  assert.ok(tile > 60 && tile < 68, `tile ${tile} px`);
  assert.equal(await page.textContent(`${sel} .page-text`), '0–31 of 64');
  assert.equal(await page.textContent(`${sel} .card-note`), 'channels 0–31 of 64, 224×224, fetched as 64×64 area means');
  await screenshotOf(page.locator(sel), 'tensors-feature-map-page.png');
  await screenshot(page, 'tensors-feature-map-tab.png');
  // Only what is drawn crossed the wire: the page's channels at the tile's size, not the tensor's 12.8 MB.
  assert.equal(blobs.length, 1, JSON.stringify(blobs.map((b) => b.url)));
  assert.match(blobs[0].url, /\?shape=64,224,224&channels=0:32&size=64$/);
  assert.equal(blobs[0].bytes, 32 * 64 * 64 * 4);
});

test('the whole Tensors tab, page and scripts included, transfers under 1 MB and draws under 1,500 px', async (t) => {
  // A fresh page with nothing cached; bytes as the network moved them (gzip counted compressed, headers too).
  const fresh = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const cdp = await fresh.context().newCDPSession(fresh);
  await cdp.send('Network.enable');
  const moved = new Map(); // requestId -> bytes
  const encodings = new Map();
  cdp.on('Network.responseReceived', (e) => encodings.set(e.requestId, [e.response.url, e.response.headers['Content-Encoding'] || e.response.headers['content-encoding']]));
  cdp.on('Network.loadingFinished', (e) => moved.set(e.requestId, e.encodedDataLength));
  await fresh.goto(`${vizd.url}/#tensors`);
  await fresh.waitForFunction((t) => {
    const c = window.__vizd.cardStates('tensors').find((s) => s.tag === t);
    return c && c.shown && !c.loading && !c.needsDraw && window.__vizd.idle();
  }, TAG);
  await fresh.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight)); // nothing more to load below
  await waitIdle(fresh);
  const total = [...moved.values()].reduce((a, b) => a + b, 0);
  assert.ok(total > 32 * 64 * 64 * 4, `${total} bytes: the page of tiles is not counted`);
  assert.ok(total < 1_000_000, `the Tensors tab moved ${total} bytes`);
  t.diagnostic(`the Tensors tab moved ${total} bytes`);
  // The big scripts came compressed (answers under 1 KB are sent as they are).
  const encodingOf = (name) => [...encodings.values()].find(([url]) => url.endsWith(name))?.[1];
  assert.equal(encodingOf('/vendor/chart.umd.js'), 'gzip');
  assert.equal(encodingOf('/tensors.js'), 'gzip');
  const height = await fresh.$eval(sel, (el) => el.getBoundingClientRect().height);
  assert.ok(height < 1500, `card ${height} px tall`);
  await cdp.detach();
  await fresh.close();
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
  assert.match(blobs.at(-1).url, /channels=32:64&size=64$/);
  assert.equal(blobs.at(-1).bytes, 32 * 64 * 64 * 4);
  // Hovering the first tile of this page names channel 32 of the whole tensor and the rows and columns
  // the pixel averages (224 / 64 = 3.5 of each), with their area mean.
  const box = await page.locator(`${sel} canvas`).boundingBox();
  await page.mouse.move(box.x + 10, box.y + 10);
  const tooltip = page.locator(`${sel} .tensor-tooltip`);
  await tooltip.waitFor({ state: 'visible' });
  const text = await tooltip.textContent();
  const [, y0, y1, x0, x1, mean] = text.match(/^\[32, (\d+):(\d+), (\d+):(\d+)\] mean = (\S+)$/).map(Number);
  assert.ok(y1 - y0 >= 3 && y1 - y0 <= 5 && x1 - x0 >= 3 && x1 - x0 <= 5, text);
  const [row, col] = [Math.floor((y0 * 64) / H + 0.5), Math.floor((x0 * 64) / W + 0.5)];
  assert.ok(Math.abs(mean - areaMean(32, [row, 64], [col, 64])) < 1e-4, `${text}: want ${areaMean(32, [row, 64], [col, 64])}`);
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
  assert.match(blobs.at(-1).url, /channels=0:32&size=48$/);
  assert.equal(blobs.at(-1).bytes, 32 * 48 * 48 * 4);
  assert.ok(small.shown.width < before.shown.width, `${small.shown.width} vs ${before.shown.width} px`);
  const shorter = await page.$eval(sel, (el) => el.getBoundingClientRect().height);
  await page.$eval(input, (el) => { el.value = '224'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const big = await redrawn(small);
  assert.equal(big.shown.cssScale, 1); // 224 px tiles: 1:1, the channels fetched whole
  assert.equal(big.shown.size, null);
  assert.match(blobs.at(-1).url, /channels=0:32$/);
  // Hovering now names one value, the tensor's own.
  const box = await page.locator(`${sel} canvas`).boundingBox();
  await page.mouse.move(box.x + 10, box.y + 10);
  const tooltip = page.locator(`${sel} .tensor-tooltip`);
  await tooltip.waitFor({ state: 'visible' });
  const [, y, x, value] = (await tooltip.textContent()).match(/^\[0, (\d+), (\d+)\] = (\S+)$/).map(Number);
  assert.ok(Math.abs(value - Math.sin((x + y) / 2)) < 1e-4, `${value} at (${y}, ${x})`);
  await page.mouse.move(0, 0);
  assert.ok(await page.$eval(sel, (el) => el.getBoundingClientRect().height) > shorter);
});

test('in dark mode the page of tiles is drawn on the dark card (screenshot)', async () => {
  const input = `${sel} .control:has(.control-label:text-is("Tile")) input`;
  const before = await state();
  await page.$eval(input, (el) => { el.value = '64'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await redrawn(before);
  await page.selectOption('#theme', 'dark');
  await waitIdle(page);
  const background = await page.$eval(sel, (el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 200, `card background ${background}`);
  assert.equal((await state()).shown.size, 64);
  await screenshotOf(page.locator(sel), 'tensors-feature-map-page-dark.png');
  await page.selectOption('#theme', 'system');
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
