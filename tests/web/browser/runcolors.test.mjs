/* runcolors.test.mjs -- a colour picked per run, in headless Chromium against a real vizd:
 *   - each run's swatch in the run list holds a colour input (labelled, reachable by keyboard) set to
 *     the run's colour; picking another colour repaints the swatch, the Scalars chart's lines of that
 *     run and no other run's, the run line of its Histograms card and its histogram, its Distributions
 *     median and its swatch in the Runs table
 *   - the colour is remembered across a reload (localStorage) and kept as picked in dark mode
 *   - the reset button gives the run its assigned palette colour back and forgets the pick
 * Screenshots: build/screenshots/runcolors-light.png and runcolors-dark.png. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBrowser, screenshot, series, showCard, startVizd, waitIdle } from './harness.mjs';

const RUNS = ['exp/a', 'exp/b', 'exp/c'];
const PICKED = '#2e7d32';
const PICKED_RGB = 'rgb(46, 125, 50)';
let vizd;
let browser;
let page;
let errors;

const item = (run) => page.locator('.run-item', { has: page.locator('.run-name', { hasText: run }) });
/** Each run's smoothed line colour on the loss chart. */
const lineColors = () => page.evaluate(() => Object.fromEntries(window.__vizd.charts().loss.data.datasets
  .filter((d) => d.vizdKind === 'smoothed').map((d) => [d.label, d.borderColor])));
const swatchColor = (run) => item(run).locator('.swatch').evaluate((el) => getComputedStyle(el).backgroundColor);

/** The hue in degrees of 'rgb(r, g, b)' or '#rrggbb'. */
function hue(css) {
  const [r, g, b] = css.startsWith('#') ? [1, 3, 5].map((i) => parseInt(css.slice(i, i + 2), 16)) : css.match(/[\d.]+/g).slice(0, 3).map(Number);
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

async function openTab(id) {
  await page.evaluate((tab) => { window.location.hash = tab; }, id);
  await page.waitForFunction((tab) => window.__vizd.state.tab === tab, id);
  await waitIdle(page);
}

before(async () => {
  vizd = await startVizd();
  for (const [i, run] of RUNS.entries()) {
    await vizd.write({
      run,
      scalars: [series('loss', 60, (s) => (1 + i / 2) * Math.exp(-s / 20) + 0.05)],
      histograms: Array.from({ length: 4 }, (_, step) => ({
        tag: 'fc/weight', step, values: Array.from({ length: 300 }, (_, k) => Math.sin(k * 0.37 + i) * (1 + step / 3)),
      })),
    });
  }
  ({ browser, page, errors } = await openBrowser());
  await page.goto(vizd.url);
  await page.waitForSelector('.card[data-tag="loss"] canvas');
  await showCard(page, 'loss');
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('picking a colour repaints the run\'s swatch and its lines, and no other run\'s', async () => {
  const before = await lineColors();
  assert.deepEqual(before, { 'exp/a': '#425066', 'exp/b': '#12b5cb', 'exp/c': '#e52592' });
  const picker = item('exp/b').locator('input[type=color]');
  assert.equal(await picker.inputValue(), '#12b5cb');
  assert.equal(await picker.getAttribute('aria-label'), 'Colour of run exp/b');
  // Reachable from the keyboard: Tab from the run's tick box lands on it.
  await item('exp/b').locator('input[type=checkbox]').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Colour of run exp/b');
  await picker.fill(PICKED); // what choosing in the picker does: the input's value changes, then "change"
  await page.waitForFunction((color) => Object.values(window.__vizd.charts().loss.data.datasets)
    .some((d) => d.borderColor === color), PICKED);
  assert.deepEqual(await lineColors(), { ...before, 'exp/b': PICKED });
  assert.equal(await swatchColor('exp/b'), PICKED_RGB);
  assert.equal(await swatchColor('exp/a'), 'rgb(66, 80, 102)');
  assert.equal(await item('exp/b').locator('.run-color-reset').count(), 1);
  assert.equal(await item('exp/a').locator('.run-color-reset').count(), 0);
});

test('the picked colour is remembered across a reload and used on the Histograms tab', async () => {
  await page.reload();
  await page.waitForSelector('.card[data-tag="loss"] canvas');
  await showCard(page, 'loss');
  assert.equal((await lineColors())['exp/b'], PICKED);
  assert.equal(await swatchColor('exp/b'), PICKED_RGB);
  assert.equal(await item('exp/b').locator('input[type=color]').inputValue(), PICKED);
  await openTab('histograms');
  const card = page.locator('#panel-histograms .card[data-run="exp/b"]');
  await card.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => window.__vizd.cardStates('histograms').every((c) => !c.visible || (!c.stale && !c.loading)));
  assert.equal(await card.locator('.card-run .swatch').evaluate((el) => getComputedStyle(el).backgroundColor), PICKED_RGB);
  // The histogram's newest ridge is drawn in the run's colour (older ones lighter).
  const colors = await page.evaluate(() => window.__vizd.cardStates('histograms').find((c) => c.run === 'exp/b').stepColors);
  assert.ok(colors && Object.values(colors).length === 4, JSON.stringify(colors));
  const newest = Object.values(colors).at(-1);
  const other = await page.evaluate(() => Object.values(window.__vizd.cardStates('histograms').find((c) => c.run === 'exp/a').stepColors).at(-1));
  assert.notEqual(newest, other);
  // ... a shade of the picked colour: its hue.
  assert.ok(Math.abs(hue(newest) - hue(PICKED_RGB)) < 8, `${newest} vs ${PICKED_RGB}`);
  await screenshot(page, 'runcolors-light.png');
  // The Distributions tab's median line and the Runs table's swatch use it too.
  await openTab('distributions');
  const dist = page.locator('#panel-distributions .card[data-run="exp/b"]');
  await dist.scrollIntoViewIfNeeded();
  await waitIdle(page);
  assert.equal(await dist.locator('.card-run .swatch').evaluate((el) => getComputedStyle(el).backgroundColor), PICKED_RGB);
  const median = await page.evaluate(() => {
    const canvas = document.querySelector('#panel-distributions .card[data-run="exp/b"] canvas');
    return window.Chart.getChart(canvas).data.datasets.map((d) => d.borderColor).filter((c) => c !== 'transparent');
  });
  assert.deepEqual(median, [PICKED]);
  await openTab('runs');
  assert.equal(await page.$eval('#panel-runs tr[data-run="exp/b"] .swatch', (el) => getComputedStyle(el).backgroundColor), PICKED_RGB);
  assert.equal(await page.$eval('#panel-runs tr[data-run="exp/a"] .swatch', (el) => getComputedStyle(el).backgroundColor), 'rgb(66, 80, 102)');
});

test('dark mode keeps the picked colour as picked; reset gives the palette colour back', async () => {
  await page.selectOption('#theme', 'dark');
  await openTab('scalars');
  await showCard(page, 'loss');
  assert.equal((await lineColors())['exp/b'], PICKED);
  assert.equal(await swatchColor('exp/b'), PICKED_RGB);
  await screenshot(page, 'runcolors-dark.png');
  await page.selectOption('#theme', 'light');
  await item('exp/b').locator('.run-color-reset').click();
  await page.waitForFunction(() => window.__vizd.charts().loss.data.datasets.some((d) => d.borderColor === '#12b5cb'));
  assert.equal(await swatchColor('exp/b'), 'rgb(18, 181, 203)');
  assert.equal(await item('exp/b').locator('.run-color-reset').count(), 0);
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('vizd.settings')).runColors), {});
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
