/* theme.test.mjs -- dark mode and the keyboard, in headless Chromium against a real vizd:
 *   - prefers-color-scheme: dark (emulated) darkens the page, and the Scalars charts' ticks, the
 *     histogram canvas's axis labels, the Tensors cards and the Graph tab's boxes follow it
 *   - the top bar's theme choice (system / light / dark) overrides the system, restyles live charts
 *     and is remembered across a reload; dark run colours are lifted so they read on dark cards
 *   - the tab bar is an ARIA tab list: arrows move the focus, Enter opens, panels are labelled
 *   - an image thumbnail opens with Enter and closes with Escape; graph boxes select with Enter
 * Screenshots of each dark tab go to build/screenshots/dark-*.png. */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { openBrowser, png, screenshot, series, startVizd, waitIdle } from './harness.mjs';

let vizd;
let browser;
let page;
let errors;

const fixture = (name) => JSON.parse(fs.readFileSync(new URL(`../../fixtures/torchinfo/${name}.graph.json`, import.meta.url)));

/** Relative luminance (0 black .. 1 white) of a CSS colour as the browser computes it. */
function luminance(css) {
  let rgb;
  const hex = css.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
  if (hex) {
    const digits = hex[1].length === 3 ? [...hex[1]].map((d) => d + d) : hex[1].match(/../g);
    rgb = digits.map((d) => parseInt(d, 16));
  } else {
    const m = css.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/);
    assert.ok(m, `not a colour: ${css}`);
    rgb = m.slice(1, 4).map(Number);
  }
  const [r, g, b] = rgb.map((v) => v / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const bodyBackground = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
/** The tick colour of every live Chart.js chart's x axis. */
const tickColors = () => page.evaluate(() => Object.values(window.Chart.instances).map((c) => c.options.scales.x.ticks.color));

async function openTab(id) {
  await page.evaluate((tab) => { window.location.hash = tab; }, id);
  await page.waitForFunction((tab) => window.__vizd.state.tab === tab, id);
  await waitIdle(page);
}

/** Waits until every on-screen card of a run-and-tag tab has fetched and drawn. */
async function waitDrawn(tabId) {
  await page.waitForFunction((id) => {
    const cards = window.__vizd.cardStates(id);
    return window.__vizd.idle() && cards.length > 0 &&
      cards.every((c) => c.hidden || !c.visible || (!c.stale && !c.loading && !c.needsDraw));
  }, tabId);
}

before(async () => {
  vizd = await startVizd();
  for (const [run, scale] of [['alpha', 1], ['beta', 0.5]]) {
    await vizd.write({ run, scalars: [series('loss', 50, (s) => scale * Math.exp(-s / 15) + 0.05 * Math.sin(s)),
      series('accuracy', 50, (s) => 1 - scale * Math.exp(-s / 10))] });
  }
  let seed = 1;
  const uniform = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  await vizd.write({ run: 'alpha', histograms: Array.from({ length: 10 }, (_, step) => ({ tag: 'weights', step,
    values: Array.from({ length: 500 }, () => (uniform() + uniform() + uniform() - 1.5) * (1 + step / 5)) })) });
  await vizd.write({ run: 'alpha', images: Array.from({ length: 3 }, (_, index) => ({ tag: 'samples', step: 0, index,
    data: png(32, 32, (x, y) => [x * 8, y * 8, index * 100]).toString('base64') })) });
  const C = 8;
  const H = 12;
  const W = 12;
  const values = new Float32Array(C * H * W).map((_, i) => Math.sin(i / (3 + (i % 7))));
  const response = await fetch(`${vizd.url}/api/v1/tensors?run=alpha&tag=conv1.weight&step=0&shape=${C},${1},${H},${W}&kind=kernels`,
    { method: 'POST', body: Buffer.from(values.buffer) });
  assert.equal(response.status, 200, await response.text());
  await vizd.write({ run: 'resnet18', graph: fixture('resnet18') });
  ({ browser, page, errors } = await openBrowser());
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${vizd.url}/#scalars`);
  await page.waitForSelector('.card canvas');
  await waitIdle(page);
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('prefers-color-scheme dark: a dark page, Scalars charts with light ticks', async () => {
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await page.inputValue('#theme'), 'system');
  assert.ok(luminance(await bodyBackground()) < 0.15, await bodyBackground());
  const cardBackground = await page.$eval('.card', (el) => getComputedStyle(el).backgroundColor);
  assert.ok(luminance(cardBackground) < 0.2, cardBackground);
  const ticks = await tickColors();
  assert.ok(ticks.length >= 2, 'two scalar charts');
  for (const color of ticks) assert.ok(luminance(color) > 0.6, `tick colour ${color}`);
  await screenshot(page, 'dark-scalars.png');
  assert.deepEqual(errors, []);
});

test('dark Histograms: the canvas\'s axis labels are drawn light', async () => {
  await openTab('histograms');
  await waitDrawn('histograms');
  // The bottom margin of the canvas holds only the value axis: its brightest pixel is tick text.
  const brightest = await page.$eval('.hist-canvas', (canvas) => {
    const ctx = canvas.getContext('2d');
    const band = ctx.getImageData(0, canvas.height - Math.round(18 * devicePixelRatio), canvas.width, Math.round(14 * devicePixelRatio)).data;
    let best = 0;
    for (let i = 0; i < band.length; i += 4) {
      if (band[i + 3] > 200) best = Math.max(best, (0.2126 * band[i] + 0.7152 * band[i + 1] + 0.0722 * band[i + 2]) / 255);
    }
    return best;
  });
  assert.ok(brightest > 0.6, `brightest tick pixel ${brightest}`);
  await screenshot(page, 'dark-histograms.png');
  assert.deepEqual(errors, []);
});

test('dark Tensors: the card around the colormap is dark, its text light', async () => {
  await openTab('tensors');
  await waitDrawn('tensors');
  const [background, text] = await page.$eval('.tab-content.tensors .card', (el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
  assert.ok(luminance(background) < 0.2, background);
  assert.ok(luminance(text) > 0.6, text);
  await screenshot(page, 'dark-tensors.png');
  assert.deepEqual(errors, []);
});

test('dark Graph: dark canvas, dark boxes, light edges and labels', async () => {
  await openTab('graph');
  await page.waitForSelector('.graph-node');
  await waitIdle(page);
  const look = await page.evaluate(() => ({
    view: getComputedStyle(document.querySelector('.graph-view')).backgroundColor,
    box: getComputedStyle(document.querySelector('.graph-node .graph-box')).fill,
    type: getComputedStyle(document.querySelector('.graph-type')).fill,
    edge: getComputedStyle(document.querySelector('.graph-edge')).stroke,
  }));
  assert.ok(luminance(look.view) < 0.15, look.view);
  assert.ok(luminance(look.box) < 0.25, look.box);
  assert.ok(luminance(look.type) > 0.6, look.type);
  assert.ok(luminance(look.edge) > 0.35, look.edge);
  await screenshot(page, 'dark-graph.png');
  assert.deepEqual(errors, []);
});

test('the toggle overrides the system, restyles live charts, and is remembered', async () => {
  await openTab('scalars');
  await page.selectOption('#theme', 'light');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  assert.ok(luminance(await bodyBackground()) > 0.9);
  for (const color of await tickColors()) assert.ok(luminance(color) < 0.45, `tick colour ${color} after light`);

  await page.emulateMedia({ colorScheme: 'light' });
  await page.selectOption('#theme', 'dark');
  assert.ok(luminance(await bodyBackground()) < 0.15);
  for (const color of await tickColors()) assert.ok(luminance(color) > 0.6, `tick colour ${color} after dark`);
  // alpha has TensorBoard's first colour, #425066, nearly invisible on a dark card: lifted, in the
  // run list and in the redrawn chart alike.
  await waitIdle(page);
  const alpha = await page.evaluate(() => ({
    swatch: getComputedStyle([...document.querySelectorAll('.run-item label')].find((l) => l.textContent === 'alpha').querySelector('.swatch')).backgroundColor,
    line: window.Chart.getChart(document.querySelector('.card[data-tag="loss"] canvas')).data.datasets.find((d) => d.label === 'alpha' && d.vizdKind === 'smoothed').borderColor,
  }));
  assert.ok(luminance(alpha.swatch) > 0.45, `alpha swatch ${alpha.swatch}`);
  assert.equal(luminance(alpha.line).toFixed(2), luminance(alpha.swatch).toFixed(2), `chart ${alpha.line} vs swatch ${alpha.swatch}`);
  await page.reload();
  await page.waitForSelector('.card canvas');
  await waitIdle(page);
  assert.equal(await page.inputValue('#theme'), 'dark');
  assert.equal(await page.evaluate(() => window.localStorage.getItem('vizd.theme')), 'dark');
  assert.ok(luminance(await bodyBackground()) < 0.15, 'dark after a reload under a light system');
  await screenshot(page, 'dark-toggle-scalars.png');

  await page.selectOption('#theme', 'system'); // follows the (light) system again
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  assert.deepEqual(errors, []);
});

test('the tabs are an ARIA tab list: arrows move the focus, Enter opens, panels are labelled', async () => {
  await openTab('scalars');
  const tabIds = await page.$$eval('[role=tab]', (els) => els.map((el) => el.dataset.tab));
  assert.equal(tabIds[0], 'scalars');
  assert.deepEqual(await page.$$eval('[role=tab]', (els) => els.map((el) => el.tabIndex)), tabIds.map((id) => (id === 'scalars' ? 0 : -1)));
  const panel = await page.$eval('#tab-scalars', (el) => {
    const p = document.getElementById(el.getAttribute('aria-controls'));
    return { role: p.getAttribute('role'), labelledBy: p.getAttribute('aria-labelledby'), hidden: p.hidden };
  });
  assert.deepEqual(panel, { role: 'tabpanel', labelledBy: 'tab-scalars', hidden: false });

  await page.focus('#tab-scalars');
  const focused = () => page.evaluate(() => document.activeElement.dataset.tab);
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(), tabIds[1]);
  assert.equal(await page.evaluate(() => window.__vizd.state.tab), 'scalars', 'moving the focus does not open');
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(), tabIds[2]);
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => window.__vizd.state.tab === id, tabIds[2]);
  assert.equal(await page.getAttribute(`#tab-${tabIds[2]}`, 'aria-selected'), 'true');
  assert.equal(await page.getAttribute('#tab-scalars', 'aria-selected'), 'false');
  assert.equal(await page.isVisible(`#panel-${tabIds[2]}`), true);
  assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'solid', 'focus is visible');

  await page.keyboard.press('Home');
  assert.equal(await focused(), 'scalars');
  await page.keyboard.press('ArrowLeft'); // wraps to the last
  assert.equal(await focused(), tabIds.at(-1));
  await page.keyboard.press('End');
  assert.equal(await focused(), tabIds.at(-1));
  await page.keyboard.press(' ');
  await page.waitForFunction((id) => window.__vizd.state.tab === id, tabIds.at(-1));
  assert.deepEqual(errors, []);
});

test('an image thumbnail opens with Enter and closes with Escape', async () => {
  await openTab('images');
  await waitDrawn('images');
  const thumb = page.locator('.tab-content.images .image').first();
  assert.equal(await thumb.getAttribute('tabindex'), '0');
  await thumb.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('.image-viewer[open] .viewer-image');
  assert.match(await page.textContent('.image-viewer[open] .viewer-caption'), /samples · step 0/);
  await page.keyboard.press('Escape');
  await page.waitForSelector('.image-viewer[open]', { state: 'detached' });
  await page.waitForSelector('.image-viewer .viewer-image', { state: 'detached' }); // a closed viewer loads nothing
  await thumb.focus();
  await page.keyboard.press(' ');
  await page.waitForSelector('.image-viewer[open]');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.image-viewer[open]', { state: 'detached' });
  assert.deepEqual(errors, []);
});

test('graph boxes are reachable and select with Enter; + expands a collapsed module', async () => {
  await openTab('graph');
  await page.waitForSelector('.graph-node');
  const node = page.locator('.graph-node.kind-collapsed').first();
  const id = await node.getAttribute('data-id');
  assert.equal(await node.getAttribute('tabindex'), '0');
  assert.equal(await node.getAttribute('aria-expanded'), 'false');
  await node.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((want) => window.__vizd.graph().selected === want, id);
  await page.keyboard.press('+');
  await page.waitForFunction((want) => window.__vizd.graph().expanded.includes(want), id);
  await waitIdle(page);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), id, 'the focus stays on the expanded module');
  await page.keyboard.press('-');
  await page.waitForFunction((want) => !window.__vizd.graph().expanded.includes(want), id);
  assert.deepEqual(errors, []);
});
