/* scalars.test.mjs -- the Scalars tab in headless Chromium against a real vizd: curves of two runs are
 * drawn in their colours, smoothing changes them, the tag filter hides cards, untrusted names stay
 * text, zoom refetches at full resolution, a write shows up live, and the console stays clean. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SCREENSHOTS, openDashboard, screenshot, screenshotOf, series, showCard, startVizd, waitIdle } from './harness.mjs';

const XSS_TAG = '<img src=x onerror=window.__xss=1>';
const RUN_A = 'mnist/lr=0.1';
const RUN_B = 'mnist/lr=0.01';
let vizd;
let browser;
let page;
let errors;

/** Smoothed y values drawn for each run on the card of `tag`. */
function smoothedData(tag) {
  return page.evaluate((t) => {
    const chart = window.__vizd.charts()[t];
    return chart.data.datasets.filter((d) => d.vizdKind === 'smoothed').map((d) => ({ run: d.label, ys: d.data.map((p) => p.y) }));
  }, tag);
}

before(async () => {
  vizd = await startVizd();
  const noise = (s) => Math.sin(s * 12.9898) * 0.05;
  await vizd.write({ run: RUN_A, hparams: { lr: 0.1, optimizer: 'sgd' }, scalars: [
    series('train/loss', 200, (s) => 2 * Math.exp(-s / 60) + 0.1 + noise(s)),
    series('train/acc', 200, (s) => 1 - Math.exp(-s / 50) + noise(s) / 2),
    series('eval/loss', 20, (s) => 2 * Math.exp(-s / 6) + 0.2, { firstStep: 0 }),
  ] });
  await vizd.write({ run: RUN_B, hparams: { lr: 0.01, optimizer: 'adam' }, scalars: [
    series('train/loss', 150, (s) => 2.2 * Math.exp(-s / 90) + 0.3 + noise(s + 7)),
    series('train/acc', 150, (s) => 0.9 * (1 - Math.exp(-s / 80)) + noise(s) / 2),
    { tag: XSS_TAG, steps: [0, 1, 2], values: [1, 2, 'NaN'], wall_times: [1764000000, 1764000001.5, 1764000002] },
  ] });
  // A long series with a single spike: the server reduces it and the band must show the spike.
  await vizd.write({ run: RUN_A, scalars: [
    series('perf/throughput', 20000, (s) => (s === 12345 ? 500 : 100 + Math.sin(s / 1500) * 10 + Math.sin(s * 78.233) * 6)),
  ] });
  ({ browser, page, errors } = await openDashboard(vizd.url, '.card[data-tag="train/loss"] canvas'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('both runs are listed with their colours and ticked', async () => {
  const runs = await page.$$eval('.run-item', (items) => items.map((item) => ({
    name: item.querySelector('.run-name').textContent,
    checked: item.querySelector('input[type=checkbox]').checked,
    color: getComputedStyle(item.querySelector('.swatch')).backgroundColor,
  })));
  assert.deepEqual(runs, [
    { name: RUN_B, checked: true, color: 'rgb(66, 80, 102)' },
    { name: RUN_A, checked: true, color: 'rgb(18, 181, 203)' },
  ]);
});

test('the curves of both runs are drawn on the canvas in the run colours', async () => {
  await showCard(page, 'train/loss');
  const counts = await page.evaluate(() => {
    const chart = window.__vizd.charts()['train/loss'];
    const { width, height } = chart.canvas;
    const pixels = chart.ctx.getImageData(0, 0, width, height).data;
    const near = (i, [r, g, b]) => pixels[i + 3] > 200 && Math.abs(pixels[i] - r) < 8 && Math.abs(pixels[i + 1] - g) < 8 && Math.abs(pixels[i + 2] - b) < 8;
    const counts = { first: 0, second: 0 };
    for (let i = 0; i < pixels.length; i += 4) {
      if (near(i, [0x42, 0x50, 0x66])) counts.first++;
      if (near(i, [0x12, 0xb5, 0xcb])) counts.second++;
    }
    return counts;
  });
  assert.ok(counts.first > 100, `pixels of the first run's colour: ${counts.first}`);
  assert.ok(counts.second > 100, `pixels of the second run's colour: ${counts.second}`);
  const data = await smoothedData('train/loss');
  assert.deepEqual(data.map((d) => d.run), [RUN_B, RUN_A]);
  assert.deepEqual(data.map((d) => d.ys.length), [150, 200]);
});

test('cards are grouped by the tag prefix', async () => {
  const groups = await page.$$eval('.group', (els) => els.map((g) => ({
    name: g.querySelector('.group-name').textContent,
    tags: [...g.querySelectorAll('.card')].map((c) => c.querySelector('.card-title').textContent),
  })));
  assert.deepEqual(groups, [
    { name: XSS_TAG, tags: [XSS_TAG] },
    { name: 'eval', tags: ['eval/loss'] },
    { name: 'perf', tags: ['perf/throughput'] },
    { name: 'train', tags: ['train/acc', 'train/loss'] },
  ]);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'scalars.png');
});

test('moving the smoothing slider changes the drawn curves', async () => {
  await showCard(page, 'train/loss');
  const before = await smoothedData('train/loss');
  await page.evaluate(() => {
    const range = document.getElementById('smoothing-range');
    range.value = '0.95';
    range.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.equal(await page.inputValue('.smoothing-number'), '0.95');
  const smoothed = await smoothedData('train/loss');
  assert.notDeepEqual(smoothed, before);
  // At weight 0 the smoothed line is the raw data.
  await page.evaluate(() => {
    const range = document.getElementById('smoothing-range');
    range.value = '0';
    range.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const raw = await page.evaluate(() => {
    const chart = window.__vizd.charts()['train/loss'];
    return chart.data.datasets.filter((d) => d.vizdKind === 'raw').map((d) => d.data.map((p) => p.y));
  });
  assert.deepEqual((await smoothedData('train/loss')).map((d) => d.ys), raw);
  await page.fill('.smoothing-number', '0.6');
  await page.dispatchEvent('.smoothing-number', 'change');
});

test('the tag filter hides the cards that do not match', async () => {
  await page.fill('.tag-filter', 'LOSS$');
  const visible = () => page.$$eval('.card', (cards) => cards.filter((c) => c.checkVisibility()).map((c) => c.dataset.tag));
  assert.deepEqual(await visible(), ['eval/loss', 'train/loss']);
  await page.fill('.tag-filter', '(unclosed');
  assert.deepEqual(await visible(), []);
  assert.ok(await page.$eval('.tag-filter', (el) => el.classList.contains('invalid')));
  await page.fill('.tag-filter', '');
  assert.equal((await visible()).length, 5);
});

test('a tag made of HTML shows as text and runs nothing', async () => {
  const title = await page.$eval(`.card[data-tag="${XSS_TAG.replace(/"/g, '\\"')}"] .card-title`, (el) => el.textContent);
  assert.equal(title, XSS_TAG);
  assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test('a reduced series is drawn with a min/max band that keeps the spike', async () => {
  await showCard(page, 'perf/throughput');
  const info = await page.evaluate(() => {
    const chart = window.__vizd.charts()['perf/throughput'];
    const band = chart.vizdBands[0].band;
    return { bands: chart.vizdBands.length, max: Math.max(...band.map((b) => b.max)), width: chart.chartArea.width,
      points: chart.data.datasets[1].data.length };
  });
  assert.equal(info.bands, 1);
  assert.equal(info.max, 500);
  // M4: at most 4 points per pixel of the width fetched for; the y axis's labels, known only once the
  // data is drawn, take a few pixels of that (a card refetches only when its width changes by 20 %).
  assert.ok(info.points <= 4 * 1.2 * info.width, `${info.points} points for ${info.width} px`);
  assert.match(await page.textContent('.card[data-tag="perf/throughput"] .card-note'), /of 20,000 points/);
});

test('dragging across a chart refetches the selected steps at full resolution; double click resets', async () => {
  await showCard(page, 'perf/throughput');
  const card = page.locator('.card[data-tag="perf/throughput"]');
  const requests = [];
  const onRequest = (request) => request.url().includes('/api/v1/scalars') && requests.push(new URL(request.url()));
  page.on('request', onRequest);
  const area = await page.evaluate(() => window.__vizd.charts()['perf/throughput'].chartArea);
  const box = await card.locator('canvas').boundingBox();
  const y = box.y + (area.top + area.bottom) / 2;
  await page.mouse.move(box.x + area.left + area.width * 0.6, y);
  await page.mouse.down();
  await page.mouse.move(box.x + area.left + area.width * 0.62, y, { steps: 5 });
  await page.mouse.up();
  await waitIdle(page);
  const zoomed = requests.find((u) => u.searchParams.has('start'));
  assert.ok(zoomed, 'a request with start and end');
  const start = Number(zoomed.searchParams.get('start'));
  const end = Number(zoomed.searchParams.get('end'));
  assert.ok(start > 11000 && end < 13500 && end - start < 1000, `zoomed to ${start}..${end}`);
  const data = await page.evaluate(() => window.__vizd.charts()['perf/throughput'].data.datasets[0].data.map((p) => p.x));
  assert.equal(data.length, end - start + 1, 'every point of the range, unreduced');
  assert.ok(await card.locator('.card-button', { hasText: 'Reset zoom' }).isVisible());
  await screenshot(page, 'scalars-zoomed.png');
  await card.locator('canvas').dblclick({ position: { x: area.left + 20, y: area.top + 20 } });
  await waitIdle(page);
  const reset = await page.evaluate(() => window.__vizd.charts()['perf/throughput'].data.datasets[0].data);
  assert.equal(reset[0].x, 0);
  assert.equal(reset[reset.length - 1].x, 19999);
  page.off('request', onRequest);
});

test('hovering shows a value table under the chart: every run at the hovered step', async () => {
  await showCard(page, 'train/loss');
  const card = page.locator('.card[data-tag="train/loss"]');
  const table = card.locator('.value-table');
  assert.ok(await table.isHidden());
  const area = await page.evaluate(() => window.__vizd.charts()['train/loss'].chartArea);
  const box = await card.locator('canvas').boundingBox();
  const asked = [];
  const onRequest = (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/api/v1/scalars') asked.push(Object.fromEntries(url.searchParams));
  };
  page.on('request', onRequest);
  await page.mouse.move(box.x + area.left + area.width * 0.3, box.y + area.top + area.height / 2);
  await table.waitFor({ state: 'visible' });
  // Over a step axis the series carry no wall times (the chart's fetch leaves them out): the hovered
  // points' are fetched when the mouse rests, and the Relative cells fill in when they arrive.
  await page.waitForFunction(() => [...document.querySelectorAll('.card[data-tag="train/loss"] .value-table tbody tr')]
    .every((tr) => tr.cells[4].textContent !== ''));
  page.off('request', onRequest);
  const head = await table.locator('th').allTextContents();
  assert.deepEqual(head, ['Run', 'Smoothed', 'Value', 'Step', 'Relative']);
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    cells: [...tr.cells].map((td) => td.textContent),
    color: getComputedStyle(tr.querySelector('.swatch')).backgroundColor,
  })));
  assert.deepEqual(rows.map((r) => r.cells[0]), [RUN_B, RUN_A]);
  assert.deepEqual(rows.map((r) => r.color), ['rgb(66, 80, 102)', 'rgb(18, 181, 203)']);
  // The hovered step of each run, and its raw value as stored, relative time one second per step.
  const step = Number(rows[1].cells[3].replace(/,/g, ''));
  assert.ok(step > 20 && step < 100, rows[1].cells.join(' | '));
  const expected = 2 * Math.exp(-step / 60) + 0.1 + Math.sin(step * 12.9898) * 0.05;
  assert.equal(Number(rows[1].cells[2]), Number(expected.toPrecision(5)));
  assert.equal(rows[1].cells[4], step < 60 ? `${step}s` : `${Number((step / 60).toFixed(2))}m`);
  // Only small requests: wall times alone, of each run's first point and of the hovered step.
  assert.ok(asked.length >= 2, JSON.stringify(asked));
  assert.ok(asked.every((q) => q.format === 'binary' && q.fields === 'wall_time' && q.points === '1'), JSON.stringify(asked));
  assert.ok(asked.some((q) => q.start === undefined), 'the runs\' first points');
  assert.ok(asked.some((q) => q.start === String(step) && q.end === String(step)), JSON.stringify(asked));
  const [cardBox, tableBox] = [await card.boundingBox(), await table.boundingBox()];
  await page.screenshot({ path: `${SCREENSHOTS}/scalars-value-table.png`, clip: { x: cardBox.x, y: cardBox.y,
    width: Math.max(cardBox.width, tableBox.width), height: tableBox.y + tableBox.height - cardBox.y } });
  await page.mouse.move(0, 0);
  await table.waitFor({ state: 'hidden' });
});

test('over a relative-time axis the value table shows the relative time, fetched with the wall times', async () => {
  await showCard(page, 'train/loss');
  const asked = [];
  const onRequest = (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/api/v1/scalars') asked.push([url.searchParams.get('format'), url.searchParams.get('fields')]);
  };
  page.on('request', onRequest);
  await page.check('input[name="x-axis"][value="relative"]');
  await waitIdle(page);
  page.off('request', onRequest);
  assert.ok(asked.length >= 1, 'switching to a time axis refetches');
  assert.ok(asked.every(([format, fields]) => format === 'binary' && fields === 'step,value,wall_time'), JSON.stringify(asked));
  const card = page.locator('.card[data-tag="train/loss"]');
  const table = card.locator('.value-table');
  const area = await page.evaluate(() => window.__vizd.charts()['train/loss'].chartArea);
  const box = await card.locator('canvas').boundingBox();
  await page.mouse.move(box.x + area.left + area.width * 0.3, box.y + area.top + area.height / 2);
  await table.waitFor({ state: 'visible' });
  const cells = await table.locator('tbody tr').nth(1).locator('td').allTextContents();
  const step = Number(cells[3].replace(/,/g, ''));
  // One second per step (the series' wall times), counted from the run's first point.
  assert.equal(cells[4], step < 60 ? `${step}s` : `${Number((step / 60).toFixed(2))}m`);
  await page.mouse.move(0, 0);
  await table.waitFor({ state: 'hidden' });
  await page.check('input[name="x-axis"][value="step"]');
  await waitIdle(page);
});

test('a chart over steps asks for the binary columnar answer without wall times', async () => {
  const asked = [];
  const onRequest = (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/api/v1/scalars') asked.push([url.searchParams.get('format'), url.searchParams.get('fields')]);
  };
  page.on('request', onRequest);
  await page.reload();
  await page.waitForSelector('.card[data-tag="train/loss"] canvas');
  await waitIdle(page);
  page.off('request', onRequest);
  assert.ok(asked.length >= 1);
  assert.deepEqual([...new Set(asked.map((a) => a.join(' ')))], ['binary step,value']);
  assert.equal((await smoothedData('train/loss')).length, 2, 'both runs drawn from the columns');
});

test('unticking a run removes its curves', async () => {
  await showCard(page, 'train/loss');
  await page.locator('.run-item', { hasText: RUN_B }).locator('input[type=checkbox]').uncheck();
  assert.deepEqual((await smoothedData('train/loss')).map((d) => d.run), [RUN_A]);
  await page.locator('.run-item', { hasText: RUN_B }).locator('input[type=checkbox]').check();
  await waitIdle(page);
  assert.deepEqual((await smoothedData('train/loss')).map((d) => d.run), [RUN_B, RUN_A]);
});

test('x axis modes and log scale redraw the chart', async () => {
  await showCard(page, 'train/loss');
  await page.check('input[name="x-axis"][value="relative"]');
  let xs = await page.evaluate(() => window.__vizd.charts()['train/loss'].data.datasets[1].data.map((p) => p.x));
  assert.equal(xs[0], 0);
  assert.equal(xs[10], 10);
  await page.check('input[name="x-axis"][value="wall"]');
  xs = await page.evaluate(() => window.__vizd.charts()['train/loss'].data.datasets[1].data.map((p) => p.x));
  assert.equal(xs[0], 1764000000);
  await page.check('input[name="x-axis"][value="step"]');
  await page.locator('.setting-check', { hasText: 'Log scale' }).locator('input[type=checkbox]').check();
  assert.equal(await page.evaluate(() => window.__vizd.charts()['train/loss'].scales.y.type), 'logarithmic');
  await page.locator('.setting-check', { hasText: 'Log scale' }).locator('input[type=checkbox]').uncheck();
  await page.locator('.setting-check', { hasText: 'Ignore outliers' }).locator('input[type=checkbox]').check();
  await showCard(page, 'perf/throughput');
  const max = await page.evaluate(() => window.__vizd.charts()['perf/throughput'].scales.y.max);
  assert.ok(max < 200, `y max ${max} leaves the spike out`);
  await page.locator('.setting-check', { hasText: 'Ignore outliers' }).locator('input[type=checkbox]').uncheck();
});

test('a write made while the page is open appears without a reload', async () => {
  await page.evaluate(() => { window.__notReloaded = true; });
  await page.evaluate(() => window.scrollTo(0, 0));
  await vizd.write({ run: RUN_A, scalars: [{ tag: 'train/loss', step: 500, value: 0.05 }, { tag: 'live/new_tag', step: 0, value: 1 }] });
  await vizd.write({ run: 'mnist/lr=1', scalars: [series('train/loss', 50, (s) => 3 - s / 50)] });
  await page.waitForSelector('.card[data-tag="live/new_tag"]');
  // Cards load only while on screen: bring the changed one in.
  await showCard(page, 'train/loss');
  await page.waitForFunction(() => {
    const chart = window.__vizd.charts()['train/loss'];
    const runs = chart.data.datasets.filter((d) => d.vizdKind === 'smoothed').map((d) => d.label);
    const a = chart.data.datasets.find((d) => d.vizdKind === 'smoothed' && d.label === 'mnist/lr=0.1');
    return runs.length === 3 && a.data[a.data.length - 1].x === 500;
  });
  assert.equal(await page.evaluate(() => window.__notReloaded), true);
  assert.ok(await page.isVisible('.run-item >> text=mnist/lr=1'));
  await page.evaluate(() => window.scrollTo(0, 0));
  await waitIdle(page);
  await screenshot(page, 'scalars-live.png');
});

test('CSV and JSON downloads hold every point, non-finite values included', async () => {
  async function download(tag, format) {
    const button = page.locator(`.card[data-tag="${tag}"] .card-button`, { hasText: format });
    const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
    let text = '';
    for await (const chunk of await file.createReadStream()) text += chunk;
    return { name: file.suggestedFilename(), text };
  }
  const csv = await download(XSS_TAG, 'CSV');
  assert.equal(csv.name, '_img_src_x_onerror_window.__xss_1_.csv');
  assert.equal(csv.text, `run,step,wall_time,value\n${RUN_B},0,1764000000,1\n${RUN_B},1,1764000001.5,2\n${RUN_B},2,1764000002,NaN\n`);
  const json = JSON.parse((await download(XSS_TAG, 'JSON')).text);
  assert.equal(json.tag, XSS_TAG);
  assert.deepEqual(json.series[0].points, [[0, 1764000000, 1], [1, 1764000001.5, 2], [2, 1764000002, 'NaN']]);
  const perf = await download('perf/throughput', 'CSV');
  assert.equal(perf.text.trim().split('\n').length, 20001, 'every point of the 20,000, not the reduced ones');
});

test('the run filter is a case-insensitive regex over run names and hides the other runs', async () => {
  await showCard(page, 'train/loss');
  await page.fill('.run-filter', 'LR=0\\.1$');
  const names = () => page.$$eval('.run-item .run-name', (els) => els.map((el) => el.textContent));
  assert.deepEqual(await names(), [RUN_A]);
  assert.deepEqual((await smoothedData('train/loss')).map((d) => d.run), [RUN_A]);
  await page.fill('.run-filter', 'lr=(0');
  assert.ok(await page.$eval('.run-filter', (el) => el.classList.contains('invalid')));
  assert.deepEqual(await names(), []);
  await page.fill('.run-filter', '');
  await waitIdle(page);
  assert.equal((await names()).length, 3);
  assert.equal((await smoothedData('train/loss')).length, 3);
});

test('expanding a card refetches its reduced series for the new width', async () => {
  await showCard(page, 'perf/throughput');
  const card = page.locator('.card[data-tag="perf/throughput"]');
  const pointsAsked = [];
  const onRequest = (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/api/v1/scalars' && url.searchParams.get('tag') === 'perf/throughput') {
      pointsAsked.push(Number(url.searchParams.get('points')));
    }
  };
  page.on('request', onRequest);
  const narrow = await page.evaluate(() => window.__vizd.charts()['perf/throughput'].chartArea.width);
  await card.locator('.card-button', { hasText: 'Expand' }).click();
  await page.waitForFunction(() => window.__vizd.charts()['perf/throughput'].chartArea.width > 600);
  // The card refetches once the resize has settled (a quarter of a second).
  for (let waited = 0; pointsAsked.length === 0 && waited < 5000; waited += 50) await page.waitForTimeout(50);
  await waitIdle(page);
  page.off('request', onRequest);
  const wide = await page.evaluate(() => window.__vizd.charts()['perf/throughput'].chartArea.width);
  assert.ok(pointsAsked.length >= 1, 'refetched after the resize');
  assert.ok(Math.abs(pointsAsked[pointsAsked.length - 1] - wide) <= 2, `asked ${pointsAsked} for ${wide} px (was ${narrow})`);
  await screenshotOf(card, 'scalars-expanded.png');
  await card.locator('.card-button', { hasText: 'Shrink' }).click();
});

test('chart settings survive a reload', async () => {
  await page.fill('.smoothing-number', '0.9');
  await page.dispatchEvent('.smoothing-number', 'change');
  await page.check('input[name="x-axis"][value="relative"]');
  await page.reload();
  await page.waitForSelector('.card canvas');
  await waitIdle(page);
  assert.equal(await page.inputValue('.smoothing-number'), '0.9');
  assert.equal(await page.inputValue('#smoothing-range'), '0.9');
  assert.ok(await page.isChecked('input[name="x-axis"][value="relative"]'));
  assert.equal(await page.evaluate(() => window.__vizd.state.smoothing), 0.9);
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
