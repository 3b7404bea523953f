/* scalarsmany.test.mjs -- the Scalars tab with many runs and tags, as a TensorBoard user meets it:
 * twelve runs have twelve distinct colours, numbered tags come in natural order, an invalid regex is
 * called one, a band too thin to see is not announced, the Text tab and Runs table count in words
 * that agree with their numbers, and a 1400x900 window shows at least four charts of a typical
 * training run, with a card-width control that is remembered. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, openBrowser, openDashboard, screenshot, series, showCard, startVizd, waitIdle } from './harness.mjs';

const RUNS = Array.from({ length: 12 }, (_, i) => `sweep/run${i}`);
const LAYERS = [0, 3, 6, 11];
let vizd;
let browser;
let page;
let errors;

before(async () => {
  vizd = await startVizd();
  for (const [i, run] of RUNS.entries()) {
    await vizd.write({ run, scalars: [
      series('loss', 100, (s) => (2 + i / 4) * Math.exp(-s / 30) + 0.1),
      ...LAYERS.map((layer) => series(`grad/layer${layer}`, 50, (s) => layer + Math.sin(s / 5 + i))),
    ] });
  }
  // A smooth ramp of 20,000 points: the server reduces it, but each bucket's min/max is far under a
  // pixel apart on a chart whose axis spans the whole ramp.
  await vizd.write({ run: RUNS[0], scalars: [series('flat', 20000, (s) => s / 2000 + (s % 2) * 1e-6)] });
  await vizd.write({ run: RUNS[0], texts: [{ tag: 'notes', step: 0, text: 'one note' }] });
  ({ browser, page, errors } = await openDashboard(vizd.url, '.card[data-tag="loss"] canvas'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('twelve runs have twelve distinct colours, TensorBoard\'s palette first', async () => {
  const swatches = await page.$$eval('.run-item .swatch', (els) => els.map((el) => getComputedStyle(el).backgroundColor));
  assert.equal(swatches.length, 12);
  assert.equal(new Set(swatches).size, 12, swatches.join(' '));
  assert.equal(swatches[0], 'rgb(66, 80, 102)');
  await showCard(page, 'loss');
  const lineColors = await page.evaluate(() => window.__vizd.charts().loss.data.datasets
    .filter((d) => d.vizdKind === 'smoothed').map((d) => d.borderColor));
  assert.equal(lineColors.length, 12);
  assert.equal(new Set(lineColors).size, 12);
  await screenshot(page, 'scalars-12-runs.png');
});

test('numbered tags come in natural order', async () => {
  const tags = await page.$$eval('.card', (cards) => cards.map((c) => c.dataset.tag).filter((t) => t?.startsWith('grad/')));
  assert.deepEqual(tags, LAYERS.map((layer) => `grad/layer${layer}`));
});

test('an invalid regex says so instead of "no tag matches"', async () => {
  await page.fill('.tab-content.scalars .tag-filter', '(unclosed');
  const empty = page.locator('.tab-content.scalars .empty');
  await empty.waitFor({ state: 'visible' });
  assert.match(await empty.textContent(), /^Invalid regular expression \(unterminated group\)/);
  assert.match(await page.textContent('.tab-content.scalars .tag-count'), /invalid regular expression/);
  await page.fill('.tab-content.scalars .tag-filter', 'zzz');
  assert.equal(await empty.textContent(), 'No tag matches the filter.');
  assert.equal(await page.textContent('.tab-content.scalars .tag-count'), '0 of 6 tags');
  await page.fill('.tab-content.scalars .tag-filter', '');
  assert.equal(await page.textContent('.tab-content.scalars .tag-count'), '6 tags');
});

test('a reduced series whose band is invisibly thin gets no band note', async () => {
  await showCard(page, 'flat');
  const info = await page.evaluate(() => ({ bands: window.__vizd.charts().flat.vizdBands.length }));
  assert.equal(info.bands, 1); // it was reduced: a band exists ...
  assert.equal(await page.textContent('.card[data-tag="flat"] .card-note'), ''); // ... but is not announced
});

test('the Text tab counts cards and the Runs table says "1 text"', async () => {
  await page.goto(`${vizd.url}/#text`);
  await page.waitForSelector('.tab-content.text .card');
  await waitIdle(page);
  assert.equal(await page.textContent('.tab-content.text .tag-count'), '1 card');
  await page.goto(`${vizd.url}/#runs`);
  const counts = await page.textContent(`.runs-table tr[data-run="${RUNS[0]}"] td.number`);
  assert.match(counts, /\b1 text\b/);
  assert.doesNotMatch(counts, /texts/);
});

/** Cards of the Scalars tab wholly inside the window, and the most of them side by side in a row. */
function chartsOnScreen(p) {
  return p.$$eval('.tab-content.scalars .card', (cards) => {
    const inside = cards.filter((c) => {
      const r = c.getBoundingClientRect();
      return c.checkVisibility() && r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
    });
    const rows = new Map();
    for (const c of inside) {
      const top = Math.round(c.getBoundingClientRect().top);
      rows.set(top, (rows.get(top) || 0) + 1);
    }
    return { count: inside.length, across: Math.max(0, ...rows.values()) };
  });
}

test('a 1400x900 window shows at least four charts of a typical run; the card width control changes that', async () => {
  const typical = await startVizd();
  const other = await openBrowser();
  try {
    for (const [i, run] of ['mnist/lr=0.1', 'mnist/lr=0.01', 'mnist/lr=0.001'].entries()) {
      await typical.write({ run, scalars: [
        series('loss/train', 300, (s) => 2 * Math.exp(-s / (60 + i * 20)) + 0.1),
        series('loss/val', 30, (s) => 2 * Math.exp(-s / 6) + 0.2),
        series('accuracy/train', 300, (s) => 1 - Math.exp(-s / 50)),
        series('accuracy/val', 30, (s) => 1 - Math.exp(-s / 5)),
        series('lr', 300, (s) => 0.1 * 0.99 ** s),
      ] });
    }
    const p = other.page;
    await p.goto(typical.url);
    await p.waitForSelector('.card[data-tag="lr"] canvas');
    await waitIdle(p);
    const dense = await chartsOnScreen(p);
    assert.ok(dense.count >= 4, `${dense.count} charts on screen`);
    assert.equal(dense.across, 3); // the one-card group "lr" shares the row of "loss"
    await p.screenshot({ path: `${SCREENSHOTS}/scalars-density.png` });

    // The widest setting: one card a row, fewer on screen; the setting outlives a reload.
    await p.locator('.tab-content.scalars .card-width').fill('1200');
    await waitIdle(p);
    const wide = await chartsOnScreen(p);
    assert.equal(wide.across, 1);
    assert.ok(wide.count < dense.count);
    await p.reload();
    await p.waitForSelector('.card[data-tag="lr"] canvas');
    assert.equal(await p.inputValue('.tab-content.scalars .card-width'), '1200');
    assert.equal((await chartsOnScreen(p)).across, 1);
    await p.locator('.tab-content.scalars .card-width').fill('340');
    assert.equal((await chartsOnScreen(p)).across, 3);
    assert.deepEqual(other.errors, []);
  } finally {
    await other.browser.close();
    await typical.stop();
  }
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
