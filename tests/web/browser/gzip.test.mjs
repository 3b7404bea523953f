/* gzip.test.mjs -- the dashboard against a real vizd with gzip answers: Chromium sends Accept-Encoding:
 * gzip, so the page, its scripts and the Scalars and Histograms data arrive compressed (checked in each
 * response's headers), and the cards still fetch and draw with a clean console. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openBrowser, series, showCard, startVizd, waitIdle } from './harness.mjs';

let vizd;
let browser;
let page;
let errors;
const seen = new Map(); // path -> response headers

before(async () => {
  vizd = await startVizd();
  const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7) + i / 1000);
  await vizd.write({
    run: 'gz/run', scalars: [series('train/loss', 3000, (s) => 1 / (1 + s))],
    histograms: Array.from({ length: 20 }, (_, step) => ({ tag: 'layer/w', step, values: values.map((v) => v + step) })),
  });
  ({ browser, page, errors } = await openBrowser());
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (response.status() === 200) seen.set(url.pathname, response.headers());
  });
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

const drawn = (tabId) => page.waitForFunction((id) => {
  const cards = window.__vizd.cardStates(id);
  return window.__vizd.idle() && cards.length > 0 && cards.every((c) => c.hidden || !c.visible || (!c.stale && !c.loading && !c.needsDraw));
}, tabId);

test('the page, scalars and histograms arrive gzip-compressed and draw', async () => {
  await page.goto(vizd.url);
  await waitIdle(page);
  await showCard(page, 'train/loss');
  await page.goto(`${vizd.url}/#histograms`);
  await waitIdle(page);
  await drawn('histograms');
  for (const path of ['/', '/vendor/chart.umd.js', '/api/v1/scalars', '/api/v1/histograms']) {
    const headers = seen.get(path);
    assert.ok(headers, `no 200 answer for ${path}: saw ${[...seen.keys()].join(' ')}`);
    assert.equal(headers['content-encoding'], 'gzip', path);
    assert.match(headers.vary, /Accept-Encoding/, path);
  }
  const histogram = (await page.evaluate(() => window.__vizd.cardStates('histograms')))[0];
  assert.equal(histogram.tag, 'layer/w');
  assert.deepEqual(errors, []);
});
