/* security.test.mjs -- the dashboard under vizd's Content-Security-Policy, in headless Chromium against a
 * real vizd: every tab, with data of every kind (scalars, histograms, images, tensors drawn as kernels
 * and as a class-activation map, Markdown text, a model graph), is visited and drawn, and the browser
 * reports no CSP violation (securitypolicyviolation events, collected from before the first script runs)
 * and no console error. The page also refuses to be framed. And a read over more runs than vizd answers
 * at once (256) is split by web/api.js into requests vizd accepts, the series joined in order.
 * Screenshots of every tab go to build/screenshots/csp-*.png. */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { openBrowser, screenshot, series, startVizd, waitIdle } from './harness.mjs';

let vizd;
let browser;
let page;
let errors;

const TABS = ['scalars', 'histograms', 'distributions', 'images', 'tensors', 'graph', 'text', 'runs'];

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** A 24 x 24 RGB PNG: a gradient. */
function png() {
  const w = 24;
  const raw = Buffer.alloc(w * (1 + w * 3));
  for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) raw.set([x * 10, y * 10, 128], y * (1 + w * 3) + 1 + x * 3);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(w, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const f32 = (values) => Buffer.from(new Float32Array(values).buffer).toString('base64');
const resnet = JSON.parse(fs.readFileSync(new URL('../../fixtures/torchinfo/resnet18.graph.json', import.meta.url)));

before(async () => {
  vizd = await startVizd();
  await vizd.write({
    run: 'cnn',
    hparams: { lr: 0.1 },
    scalars: [series('train/loss', 200, (s) => 1 / (1 + s))],
    histograms: [0, 1, 2].map((step) => ({ tag: 'fc.weight', step, values: Array.from({ length: 200 }, (_, i) => Math.sin(i + step)) })),
    images: [{ tag: 'inputs', step: 0, data: png().toString('base64') }],
    tensors: [
      { tag: 'conv.weight', step: 0, shape: [4, 2, 3, 3], data: f32(Array.from({ length: 72 }, (_, i) => Math.sin(i))),
        display: { kind: 'kernels', colormap: 'bwr' } },
      { tag: 'cam', step: 0, shape: [7, 7], data: f32(Array.from({ length: 49 }, (_, i) => i / 49)),
        display: { kind: 'heatmap', colormap: 'jet', overlay: 'inputs', image_weight: 0.5 } },
    ],
    texts: [{ tag: 'notes', step: 0, text: '# Notes\n\n*fine*, `code`, [a link](https://example.org)' }],
    graph: resnet,
  });
  ({ browser, page, errors } = await openBrowser());
  // Registered before any of the page's scripts: every violation of the policy, with what it blocked.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  await page.goto(vizd.url);
  await waitIdle(page);
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('every tab draws under the Content-Security-Policy without a violation or a console error', async () => {
  for (const tab of TABS) {
    await page.goto(`${vizd.url}/#${tab}`);
    await page.waitForSelector(`.tab-content.${tab}`, { state: 'attached' });
    await waitIdle(page);
    // Scroll through the tab so that every lazy card fetches and draws.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await waitIdle(page);
    await screenshot(page, `csp-${tab}.png`);
  }
  const drawn = await page.evaluate(() => ({
    canvases: document.querySelectorAll('canvas').length,
    images: [...document.querySelectorAll('img')].filter((img) => img.complete && img.naturalWidth > 0).length,
  }));
  assert.ok(drawn.canvases > 0, 'no canvas was drawn');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(errors, []);
});

test('images, kernels and the class-activation map load from blobs under img-src', async () => {
  await page.goto(`${vizd.url}/#images`);
  await page.waitForSelector('.tab-content.images img');
  await waitIdle(page);
  await page.waitForFunction(() => [...document.querySelectorAll('.tab-content.images img')]
    .some((img) => img.complete && img.naturalWidth === 24));
  await page.goto(`${vizd.url}/#tensors`);
  await page.waitForSelector('.tab-content.tensors canvas');
  await waitIdle(page);
  await screenshot(page, 'csp-tensors-drawn.png');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(errors, []);
});

test('the dashboard refuses to be framed by another page', async () => {
  const response = await page.goto(vizd.url);
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  // A page of another origin framing the dashboard: the frame stays empty.
  const other = await browser.newPage();
  await other.setContent(`<iframe id="f" src="${vizd.url}/" width="400" height="300"></iframe>`);
  await other.waitForTimeout(500);
  const frame = other.frames().find((f) => f.url().startsWith(vizd.url));
  const framedText = frame ? await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '') : '';
  assert.ok(!framedText.includes('vizd'), `the dashboard rendered inside a frame: ${framedText.slice(0, 80)}`);
  await other.close();
});

test('an inline script is blocked and reported: the violations above would have been seen', async () => {
  await page.goto(vizd.url);
  await waitIdle(page);
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true;';
    document.body.append(script);
  });
  await page.waitForFunction(() => window.__cspViolations.length > 0);
  assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
  assert.match((await page.evaluate(() => window.__cspViolations))[0], /^script-src/);
  errors.length = 0; // the console reports the refusal; that one was ours
});

test('a read over 300 runs is split into requests of at most 256 runs, the series in order', async () => {
  const runs = Array.from({ length: 300 }, (_, i) => `many/run-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < runs.length; i += 50) {
    await Promise.all(runs.slice(i, i + 50).map((run, k) => vizd.write({ run, scalars: [{ tag: 'split/x', step: 0, value: i + k }] })));
  }
  const requested = [];
  const listener = (request) => {
    const url = new URL(request.url());
    // points=10 is this read's: the Scalars tab's own card of split/x may fetch at the same time (live update).
    if (url.pathname === '/api/v1/scalars' && url.searchParams.get('points') === '10') requested.push(url.searchParams.getAll('run').length);
  };
  page.on('request', listener);
  const answer = await page.evaluate(async (names) => {
    const api = await import('/api.js');
    const { tag, series } = await api.getScalars('split/x', names, { points: 10 });
    return { tag, series: series.map((s) => ({ run: s.run, values: [...s.values] })) }; // plain arrays cross over
  }, runs);
  page.off('request', listener);
  assert.deepEqual(requested.sort((a, b) => a - b), [44, 256]);
  assert.equal(answer.tag, 'split/x');
  assert.deepEqual(answer.series.map((s) => s.run), runs);
  assert.deepEqual(answer.series.map((s) => s.values[0]), runs.map((_, i) => i));
  // And vizd itself refuses what the dashboard no longer sends.
  const query = runs.slice(0, 257).map((run) => `run=${encodeURIComponent(run)}`).join('&');
  const refused = await fetch(`${vizd.url}/api/v1/scalars?tag=split/x&${query}`);
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).error.path, 'run');
});
