/* histograms.test.mjs -- the Histograms and Distributions tabs in headless Chromium against a real
 * vizd: the seed's example (20 steps of normal(mean, 1) samples, mean -10 to 9) and a second run are
 * drawn one card per run and tag; offset mode draws ridgelines, overlay draws something else, hover
 * names step, bin and count; Distributions draws the nested bands; an HTML tag name stays text; a
 * histogram written while the page is open appears without reload; the console stays clean. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBrowser, screenshot, startVizd, waitIdle } from './harness.mjs';

const XSS_TAG = '<img src=x onerror=window.__xss=1>';
const RUN_A = 'normal/shifting-mean';
const RUN_B = 'normal/widening';
const TAG = 'layer1/weights';
const WALL = 1764000000;
let vizd;
let browser;
let page;
let errors;

/** A seeded generator of normal(mean, sd) samples: mulberry32 uniforms through Box-Muller. */
function normalSampler(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (mean, sd) => {
    const u = 1 - uniform(); // (0, 1]: log(u) is finite
    const v = uniform();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** 20 steps; step i holds a 100x20 tensor (2000 values) of normal(mean(i), sd(i)). */
function histogramSteps(tag, sample, mean, sd, { steps = 20, firstStep = 0 } = {}) {
  return Array.from({ length: steps }, (_, k) => {
    const i = firstStep + k;
    return { tag, step: i, wall_time: WALL + i * 30, values: Array.from({ length: 100 * 20 }, () => sample(mean(i), sd(i))) };
  });
}

const cardStates = (tabId) => page.evaluate((id) => window.__vizd.cardStates(id), tabId);
const cardSelector = (tag, run) => `.tab-content.histograms .card[data-tag="${tag}"][data-run="${run}"]`;

/** Waits until every card of the tab that is on screen has fetched and drawn. */
async function waitDrawn(tabId) {
  await page.waitForFunction((id) => {
    const cards = window.__vizd.cardStates(id);
    return window.__vizd.idle() && cards.length > 0 &&
      cards.every((c) => c.hidden || !c.visible || (!c.stale && !c.loading && !c.needsDraw));
  }, tabId);
}

/** Non-blank pixels of a canvas, and a cheap fingerprint of what is drawn. */
function canvasPixels(selector) {
  return page.$eval(selector, (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0) inked++;
      hash = (hash * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2] + 17 * data[i + 3]) >>> 0;
    }
    return { inked, hash, width: canvas.width, height: canvas.height, cssWidth: canvas.clientWidth };
  });
}

before(async () => {
  vizd = await startVizd();
  const sampleA = normalSampler(42);
  const sampleB = normalSampler(7);
  await vizd.write({ run: RUN_A, histograms: histogramSteps(TAG, sampleA, (i) => -10 + i, () => 1) });
  await vizd.write({ run: RUN_B, histograms: [
    ...histogramSteps(TAG, sampleB, () => 0, (i) => 0.5 + 0.15 * i),
    ...histogramSteps('layer2/bias', sampleB, (i) => i / 10, () => 0.2, { steps: 10 }),
    { tag: XSS_TAG, step: 0, values: [1, 2, 2, 3] },
  ] });
  ({ browser, page, errors } = await openBrowser());
  await page.goto(`${vizd.url}/#histograms`);
  await page.waitForSelector(cardSelector(TAG, RUN_A));
  await waitDrawn('histograms');
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('one card per run and tag, grouped by tag prefix, with the run named under the tag', async () => {
  const cards = (await cardStates('histograms')).map((c) => [c.tag, c.run]);
  assert.deepEqual(cards, [[XSS_TAG, RUN_B], ['layer1/weights', RUN_A], ['layer1/weights', RUN_B], ['layer2/bias', RUN_B]]);
  const card = await page.$eval(cardSelector(TAG, RUN_A), (el) => ({
    title: el.querySelector('.card-title').textContent,
    run: el.querySelector('.card-run .run-name').textContent,
    swatch: getComputedStyle(el.querySelector('.card-run .swatch')).backgroundColor,
  }));
  assert.deepEqual(card, { title: TAG, run: RUN_A, swatch: 'rgb(66, 80, 102)' });
  const state = (await cardStates('histograms')).find((c) => c.tag === TAG && c.run === RUN_A);
  assert.deepEqual(state.steps, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(state.bins, 30);
  assert.ok(state.range[0] < -13 && state.range[1] > 12, `union range ${state.range}`);
});

test('offset mode draws ridgelines on a canvas sized for the device pixel ratio', async () => {
  const canvas = `${cardSelector(TAG, RUN_A)} canvas`;
  const pixels = await canvasPixels(canvas);
  const dpr = await page.evaluate(() => window.devicePixelRatio);
  assert.equal(pixels.width, Math.round(pixels.cssWidth * dpr));
  assert.ok(pixels.inked > 5000, `inked pixels: ${pixels.inked}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'histograms-offset.png');
});

test('offset mode shades the newest ridge darkest, as TensorBoard does', async () => {
  // On the canvas: the front (newest) ridges, low in the plot, are darker than the back ones high up
  // (the middle of the plot only: the step labels are on the right).
  const [top, bottom] = await page.$eval(`${cardSelector(TAG, RUN_A)} canvas`, (canvas) => {
    const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const darkestInRows = (y0, y1) => {
      let best = 765;
      for (let y = y0; y < y1; y++) {
        for (let x = Math.round(width * 0.1); x < width * 0.7; x++) {
          const i = (y * width + x) * 4;
          if (data[i + 3] === 255) best = Math.min(best, data[i] + data[i + 1] + data[i + 2]);
        }
      }
      return best;
    };
    return [darkestInRows(Math.round(height * 0.08), Math.round(height * 0.2)), darkestInRows(Math.round(height * 0.7), Math.round(height * 0.85))];
  });
  assert.ok(bottom < top, `front ridges ${bottom} vs back ridges ${top}`);
  const state = (await cardStates('histograms')).find((c) => c.tag === TAG && c.run === RUN_A);
  const luma = (rgb) => rgb.match(/\d+/g).map(Number).reduce((a, v, i) => a + v * [0.299, 0.587, 0.114][i], 0);
  const shades = state.steps.map((step) => luma(state.stepColors[step]));
  assert.equal(shades.length, 20);
  for (let i = 1; i < shades.length; i++) assert.ok(shades[i] <= shades[i - 1], `step ${state.steps[i]} lighter than the one before`);
  assert.ok(shades.at(-1) < shades[0] - 40, `newest ${shades.at(-1)} vs oldest ${shades[0]}`);
});

test('overlay mode changes the drawing; the mode is remembered', async () => {
  const canvas = `${cardSelector(TAG, RUN_A)} canvas`;
  const offset = await canvasPixels(canvas);
  await page.check('input[name="histogram-mode"][value="overlay"]');
  await waitDrawn('histograms');
  const overlay = await canvasPixels(canvas);
  assert.notEqual(overlay.hash, offset.hash);
  assert.ok(overlay.inked > 1000, `inked pixels: ${overlay.inked}`);
  // Overlay strokes lines: far fewer pixels than filled ridges.
  assert.ok(overlay.inked < offset.inked, `overlay ${overlay.inked} vs offset ${offset.inked}`);
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('vizd.settings')).histogramMode), 'overlay');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'histograms-overlay.png');
  await page.check('input[name="histogram-mode"][value="offset"]');
  await waitDrawn('histograms');
  assert.equal((await canvasPixels(canvas)).hash, offset.hash);
});

test('hovering shows the step, bin range and count', async () => {
  const canvas = page.locator(`${cardSelector(TAG, RUN_A)} canvas`);
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  // Bottom of the plot, middle of the value axis: the newest steps, near the bin of value 0.
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.8);
  const tooltip = page.locator(`${cardSelector(TAG, RUN_A)} .hist-tooltip`);
  await tooltip.waitFor({ state: 'visible' });
  const text = await tooltip.innerText();
  assert.match(text, /^step \d+/m);
  assert.match(text, /^bin \[-?[\d.e+-]+, -?[\d.e+-]+\]$/m);
  assert.match(text, /^count [\d.]+$/m);
  await screenshot(page, 'histograms-hover.png');
  await page.mouse.move(1, 1);
  await tooltip.waitFor({ state: 'hidden' });
});

test('the time axis follows the shared x-axis setting', async () => {
  const canvas = `${cardSelector(TAG, RUN_A)} canvas`;
  const before = await canvasPixels(canvas);
  await page.check('input[name="histogram-x-axis"][value="relative"]');
  await waitDrawn('histograms');
  assert.equal(await page.evaluate(() => window.__vizd.state.xAxis), 'relative');
  assert.notEqual((await canvasPixels(canvas)).hash, before.hash);
  await page.check('input[name="histogram-x-axis"][value="step"]');
  await waitDrawn('histograms');
});

test('the tag filter and the run selection hide cards', async () => {
  await page.fill('.tab-content.histograms .tag-filter', 'layer2');
  let shown = (await cardStates('histograms')).filter((c) => !c.hidden).map((c) => c.tag);
  assert.deepEqual(shown, ['layer2/bias']);
  await page.fill('.tab-content.histograms .tag-filter', '');
  await page.locator('.run-item', { hasText: RUN_B }).locator('input[type=checkbox]').uncheck();
  shown = (await cardStates('histograms')).filter((c) => !c.hidden).map((c) => c.run);
  assert.deepEqual(shown, [RUN_A]);
  await page.locator('.run-item', { hasText: RUN_B }).locator('input[type=checkbox]').check();
  await waitDrawn('histograms');
});

test('a tag made of HTML stays text', async () => {
  const titles = await page.$$eval('.tab-content.histograms .card-title', (els) => els.map((el) => el.textContent));
  assert.ok(titles.includes(XSS_TAG));
  assert.equal(await page.$$eval('.tab-content.histograms .card img', (els) => els.length), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test('the Distributions tab draws nested bands and the median', async () => {
  await page.click('.tab[data-tab="distributions"]');
  await page.waitForSelector('.tab-content.distributions .card');
  await waitDrawn('distributions');
  const cards = await cardStates('distributions');
  assert.deepEqual(cards.map((c) => [c.tag, c.run]),
    [[XSS_TAG, RUN_B], ['layer1/weights', RUN_A], ['layer1/weights', RUN_B], ['layer2/bias', RUN_B]]);
  const card = cards.find((c) => c.tag === TAG && c.run === RUN_A);
  assert.deepEqual(card.datasets.map((d) => [d.bp, d.fill]), [
    [0, '+1'], [10000, false], [668, '+1'], [9332, false], [1587, '+1'], [8413, false], [3085, '+1'], [6915, false],
    [5000, false],
  ]);
  assert.ok(card.datasets.every((d) => d.n === 20));
  // The band is darkest where the bands overlap most: sample the run colour's alpha layers.
  const shades = await page.$eval(`.tab-content.distributions .card[data-tag="${TAG}"][data-run="${RUN_A}"] canvas`, (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const alphas = new Set();
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 0) continue;
      inked++;
      alphas.add(Math.round(data[i + 3] / 16));
    }
    return { inked, levels: alphas.size };
  });
  assert.ok(shades.inked > 5000, `inked pixels: ${shades.inked}`);
  assert.ok(shades.levels >= 4, `distinct alpha levels: ${shades.levels}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'distributions.png');
  const titles = await page.$$eval('.tab-content.distributions .card-title', (els) => els.map((el) => el.textContent));
  assert.ok(titles.includes(XSS_TAG));
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test('a histogram written while the page is open appears without reload', async () => {
  await page.click('.tab[data-tab="histograms"]');
  await waitDrawn('histograms');
  const sample = normalSampler(99);
  await vizd.write({ run: RUN_A, histograms: histogramSteps('live/activations', sample, () => 2, () => 0.5, { steps: 3 }) });
  await page.waitForSelector(cardSelector('live/activations', RUN_A));
  await page.locator(cardSelector('live/activations', RUN_A)).scrollIntoViewIfNeeded();
  await page.waitForFunction((run) => {
    const card = window.__vizd.cardStates('histograms').find((c) => c.tag === 'live/activations' && c.run === run);
    return card && card.steps.length === 3 && !card.stale && !card.loading;
  }, RUN_A);
  assert.ok((await canvasPixels(`${cardSelector('live/activations', RUN_A)} canvas`)).inked > 1000);
  // A new step of an existing card refreshes it.
  await page.locator(cardSelector(TAG, RUN_A)).scrollIntoViewIfNeeded();
  await vizd.write({ run: RUN_A, histograms: histogramSteps(TAG, sample, () => 10, () => 1, { steps: 1, firstStep: 20 }) });
  await page.waitForFunction((run) => {
    const card = window.__vizd.cardStates('histograms').find((c) => c.tag === 'layer1/weights' && c.run === run);
    return card && card.steps.length === 21 && !card.loading;
  }, RUN_A);
  await waitIdle(page);
});

test('the Scalars tab still works beside the new tabs', async () => {
  await page.click('.tab[data-tab="scalars"]');
  await page.waitForSelector('.tab-content.scalars .empty:not([hidden])');
  assert.equal(await page.isChecked('input[name="x-axis"][value="step"]'), true);
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
