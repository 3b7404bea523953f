/* gzip.test.mjs -- the dashboard against a real vizd with gzip answers: Chromium sends Accept-Encoding:
 * gzip, so the page, its scripts and the Scalars and Histograms data arrive compressed (checked in each
 * response's headers), and the cards still fetch and draw with a clean console; what the browser decodes
 * from a gzip answer is, byte for byte, the answer vizd sends a client that does not ask for gzip. */

import assert from 'node:assert/strict';
import http from 'node:http';
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

/** The body vizd sends a client that asks for no encoding (node:http adds no Accept-Encoding). */
function identityBody(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ encoding: response.headers['content-encoding'], type: response.headers['content-type'], bytes, text: bytes.toString('utf8') });
      });
    }).on('error', reject);
  });
}

test('the browser decodes a gzip answer to exactly the identity answer', async () => {
  for (const path of ['/api/v1/histograms?tag=layer%2Fw&run=gz%2Frun', '/api/v1/scalars?tag=train%2Floss&run=gz%2Frun&points=0&format=csv']) {
    const identity = await identityBody(`${vizd.url}${path}`);
    assert.equal(identity.encoding, undefined, path);
    const inPage = await page.evaluate(async (p) => {
      const response = await fetch(p);
      return { encoding: response.headers.get('content-encoding'), text: await response.text() };
    }, path);
    assert.equal(inPage.encoding, 'gzip', path);
    assert.ok(inPage.text.length > 10000, `${path}: ${inPage.text.length} characters`);
    assert.equal(inPage.text, identity.text, path);
  }
});

test('the binary columnar scalars arrive compressed and decode to exactly the identity bytes', async () => {
  const path = '/api/v1/scalars?tag=train%2Floss&run=gz%2Frun&points=1000&format=binary';
  const identity = await identityBody(`${vizd.url}${path}`);
  assert.equal(identity.encoding, undefined);
  assert.equal(identity.type, 'application/vnd.vizd.columns');
  const inPage = await page.evaluate(async (p) => {
    const response = await fetch(p);
    return { encoding: response.headers.get('content-encoding'), hex: [...new Uint8Array(await response.arrayBuffer())].map((b) => b.toString(16).padStart(2, '0')).join('') };
  }, path);
  assert.equal(inPage.encoding, 'gzip');
  assert.ok(identity.bytes.length > 10000, `${identity.bytes.length} bytes`);
  assert.equal(inPage.hex, identity.bytes.toString('hex'));
});
