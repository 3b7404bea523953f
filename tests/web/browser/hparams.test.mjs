/* hparams.test.mjs -- the HParams tab and the Runs table's metric columns in headless Chromium against a
 * real vizd:
 *   - one row per run, a column per hparam and per add_hparams metric (its last value by default), names
 *     and values from clients shown as text
 *   - sorting by a column (natural order, missing values last), both ways, with aria-sort
 *   - brushing an axis of the parallel-coordinates plot filters the rows; a click on the axis clears it;
 *     the same filter typed into a column's min/max boxes
 *   - hovering a line highlights the run's row and scatter point; hovering a row highlights its line
 *   - runs selected here are the runs the Scalars tab draws
 *   - a metric column added here (a tag's min) shows in the Runs table too, which sorts by it
 *   - 1,000 runs load: every one plotted, the table's first 200 and the rest on request (the time is
 *     printed, not asserted)
 * Screenshots: build/screenshots/hparams-light.png, hparams-dark.png, hparams-brushed.png,
 * hparams-hover.png, hparams-1000.png, runs-metrics.png. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDashboard, screenshot, screenshotOf, series, startVizd, waitIdle } from './harness.mjs';

const HTML_RUN = '<img src=x onerror="window.__xss=1">';
const RUNS = [
  // name, hparams, accuracy values at steps 0.., final loss
  ['sweep/a', { lr: 0.1, optimizer: 'sgd', layers: 'conv10' }, [0.5, 0.7, 0.6]],
  ['sweep/b', { lr: 0.01, optimizer: 'adam', layers: 'conv3' }, [0.8, 0.9]],
  ['sweep/c', { lr: 0.001, optimizer: 'adam', layers: 'conv9' }, [0.3, 0.35]],
  ['sweep/d', { lr: 0.03, optimizer: 'sgd', layers: '<b>deep</b>' }, [0.55, 0.45]],
];

let vizd;
let browser;
let page;
let errors;

before(async () => {
  vizd = await startVizd();
  for (const [run, hparams, acc] of RUNS) {
    await vizd.write({ run, hparams: { ...hparams, metrics: ['hparam/accuracy'] }, scalars: [
      series('hparam/accuracy', acc.length, (s) => acc[s]),
      series('train/loss', 20, (s) => (1 + RUNS.findIndex((r) => r[0] === run)) / (s + 1))] });
  }
  await vizd.write({ run: HTML_RUN, scalars: [series('train/loss', 20, (s) => 5 / (s + 1))] });
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#hparams`, '.hp-table tbody tr'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

const tableRuns = () => page.$$eval('.hp-table tbody tr', (trs) => trs.map((tr) => tr.dataset.run));
const header = () => page.$$eval('.hp-table thead tr:first-child th', (ths) => ths.map((th) => th.textContent));
const cell = (run, column) => page.evaluate(([r, c]) => {
  const titles = [...document.querySelectorAll('.hp-table thead tr:first-child th')].map((th) => th.textContent);
  const tr = [...document.querySelectorAll('.hp-table tbody tr')].find((row) => row.dataset.run === r);
  return tr.cells[titles.indexOf(c)].textContent;
}, [run, column]);

async function clickHeader(title) {
  await page.locator('.hp-table thead th .hp-sort', { hasText: title }).first().click();
}

test('a row per run, a column per hparam and the last value of each add_hparams metric', async () => {
  assert.deepEqual(await header(), ['Selected', 'Run', 'layers', 'lr', 'optimizer', 'hparam/accuracy (last)']);
  assert.deepEqual(await tableRuns(), [HTML_RUN, 'sweep/a', 'sweep/b', 'sweep/c', 'sweep/d']);
  assert.equal(await cell('sweep/a', 'hparam/accuracy (last)'), '0.6');
  assert.equal(await cell('sweep/b', 'lr'), '0.01');
  assert.equal(await cell('sweep/d', 'layers'), '<b>deep</b>');
  assert.equal(await cell(HTML_RUN, 'lr'), '');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.$$eval('.hparams b, .hparams img', (els) => els.length), 0);
  // A line per run with values, in the run's colour; a dot per run with both scatter values.
  assert.equal(await page.$$eval('.hp-parcoords path.hp-line[data-run]', (els) => els.length), 4);
  assert.equal(await page.$$eval('.hp-scatter circle.hp-dot', (els) => els.length), 4);
  assert.deepEqual(await page.$$eval('.hp-parcoords .hp-axis-label', (els) => els.map((el) => el.firstChild.textContent)),
    ['layers', 'lr', 'optimizer', 'hparam/accuracy (last)']);
  await screenshot(page, 'hparams-light.png');
  await page.selectOption('#theme', 'dark');
  await waitIdle(page);
  await screenshot(page, 'hparams-dark.png');
  await page.selectOption('#theme', 'light');
  await waitIdle(page);
});

test('sorting by a column: natural order, numbers by value, missing values last both ways', async () => {
  await clickHeader('layers');
  assert.deepEqual(await tableRuns(), ['sweep/d', 'sweep/b', 'sweep/c', 'sweep/a', HTML_RUN]);
  assert.equal(await page.getAttribute('.hp-table th[data-key="h:layers"]', 'aria-sort'), 'ascending');
  await clickHeader('lr');
  assert.deepEqual(await tableRuns(), ['sweep/c', 'sweep/b', 'sweep/d', 'sweep/a', HTML_RUN]);
  await clickHeader('lr');
  assert.deepEqual(await tableRuns(), ['sweep/a', 'sweep/d', 'sweep/b', 'sweep/c', HTML_RUN]);
  assert.equal(await page.getAttribute('.hp-table th[data-key="h:lr"]', 'aria-sort'), 'descending');
  // From the keyboard: the header is a button.
  await page.focus('.hp-table th[data-key="m:last:hparam/accuracy"] .hp-sort');
  await page.keyboard.press('Enter');
  assert.deepEqual(await tableRuns(), ['sweep/c', 'sweep/d', 'sweep/a', 'sweep/b', HTML_RUN]);
});

test('brushing an axis keeps the runs inside it; a click on the axis clears it', async () => {
  const hit = await page.locator('.hp-parcoords .hp-axis-hit[data-key="h:lr"]').boundingBox();
  const x = hit.x + hit.width / 2;
  const top = hit.y + 4; // the hit area reaches 4 px past the axis
  const height = hit.height - 8;
  // The top 40% of a log axis from 0.001 to 0.1: lr >= 10^-1.8.
  await page.mouse.move(x, top + 1);
  await page.mouse.down();
  await page.mouse.move(x, top + height * 0.2, { steps: 4 });
  await page.mouse.move(x, top + height * 0.4, { steps: 4 });
  await page.mouse.up();
  await waitIdle(page);
  assert.deepEqual((await tableRuns()).sort(), ['sweep/a', 'sweep/d']);
  assert.deepEqual(await page.evaluate(() => window.__vizd.hparams().filters), ['h:lr']);
  assert.equal(await page.$$eval('.hp-parcoords path.hp-line[data-run]', (els) => els.length), 2);
  assert.equal(await page.$$eval('.hp-parcoords path.hp-line.out', (els) => els.length), 2);
  assert.match(await page.textContent('.hp-count'), /^2 of 5 runs$/);
  const min = Number(await page.inputValue('.hp-filter-row .hp-min >> nth=0'));
  assert.ok(min > 0.01 && min < 0.03, `the lr box shows the brushed minimum, ${min}`);
  await screenshot(page, 'hparams-brushed.png');
  await page.mouse.click(x, top + height / 2);
  await waitIdle(page);
  assert.equal((await tableRuns()).length, 5);
  assert.deepEqual(await page.evaluate(() => window.__vizd.hparams().filters), []);
});

test('typing a range into a metric column filters like a brush, and draws one on its axis', async () => {
  const boxes = page.locator('.hp-filter-row td').nth(5); // selected, run, layers, lr, optimizer, accuracy
  await boxes.locator('.hp-min').fill('0.5');
  await boxes.locator('.hp-min').press('Enter');
  await boxes.locator('.hp-max').fill('0.7');
  await boxes.locator('.hp-max').press('Tab');
  await waitIdle(page);
  assert.deepEqual((await tableRuns()).sort(), ['sweep/a']);
  assert.equal(await page.$$eval('.hp-axis[data-key="m:last:hparam/accuracy"] .hp-brush', (els) => els.length), 1);
  await page.click('.hp-clear');
  await waitIdle(page);
  assert.equal((await tableRuns()).length, 5);
});

/** Page coordinates of the middle of the first segment of a run's line. */
async function onLine(run) {
  return page.evaluate((r) => {
    const path = [...document.querySelectorAll('.hp-parcoords path.hp-line')].find((p) => p.dataset.run === r);
    const [x0, y0, x1, y1] = path.getAttribute('d').match(/-?[\d.]+/g).map(Number);
    const box = path.ownerSVGElement.getBoundingClientRect();
    return { x: box.left + (x0 + x1) / 2, y: box.top + (y0 + y1) / 2 };
  }, run);
}

test('hovering a line highlights its run in the table and the scatter, and the other way round', async () => {
  const { x, y } = await onLine('sweep/b');
  await page.mouse.move(x - 20, y - 40);
  await page.mouse.move(x, y, { steps: 5 });
  await page.waitForFunction(() => window.__vizd.hparams().highlighted === 'sweep/b');
  assert.deepEqual(await page.$$eval('.hparams .highlight', (els) => els.map((el) => `${el.tagName.toLowerCase()} ${el.dataset.run}`).sort()),
    ['circle sweep/b', 'path sweep/b', 'tr sweep/b']);
  assert.equal(await page.textContent('.hp-tooltip'), 'sweep/b');
  await screenshotOf(page.locator('.hparams'), 'hparams-hover.png');
  await page.hover('.hp-table tbody tr[data-run="sweep/c"]');
  await page.waitForFunction(() => window.__vizd.hparams().highlighted === 'sweep/c');
  assert.equal(await page.$$eval('.hp-parcoords path.highlight', (els) => els.map((el) => el.dataset.run).join()), 'sweep/c');
  await page.mouse.move(5, 5);
  await page.waitForFunction(() => window.__vizd.hparams().highlighted === null);
});

test('runs selected in HParams are the runs the Scalars tab draws', async () => {
  await page.fill('.hp-filter', 'optimizer=adam');
  await page.waitForFunction(() => window.__vizd.hparams().shown.length === 2);
  await page.click('.hp-tick-shown');
  assert.deepEqual(await page.$$eval('.hp-table tbody input[type=checkbox]', (els) => els.map((el) => el.checked)), [true, true]);
  await page.click('.tab[data-tab="scalars"]');
  await page.waitForSelector('.card[data-tag="train/loss"]');
  await waitIdle(page);
  const drawn = () => page.evaluate(() => window.__vizd.charts()['train/loss'].data.datasets
    .filter((d) => d.vizdKind === 'smoothed').map((d) => d.label));
  await page.waitForFunction(() => window.__vizd.charts()['train/loss']);
  assert.deepEqual(await drawn(), ['sweep/b', 'sweep/c']);
  const ticked = await page.$$eval('.run-item input', (els) => els.filter((el) => el.checked).length);
  assert.equal(ticked, 2);
  // Unticking one in the HParams table takes it off the charts too.
  await page.click('.tab[data-tab="hparams"]');
  await waitIdle(page);
  await page.uncheck('.hp-table tbody tr[data-run="sweep/c"] input[type=checkbox]');
  await page.click('.tab[data-tab="scalars"]');
  await waitIdle(page);
  await page.waitForFunction(() => window.__vizd.charts()['train/loss'].data.datasets.filter((d) => d.vizdKind === 'smoothed').length === 1);
  assert.deepEqual(await drawn(), ['sweep/b']);
  await page.click('.tab[data-tab="hparams"]');
  await waitIdle(page);
  await page.click('.hp-tick-all');
  await page.fill('.hp-filter', '');
  await page.waitForFunction(() => window.__vizd.hparams().shown.length === 5);
});

test('a metric column added in HParams (a tag\'s min) is a sortable column of the Runs table too', async () => {
  await page.selectOption('.hp-tag-select', 'train/loss');
  await page.selectOption('.hp-stat-select', 'min');
  await page.click('.hp-add-metric');
  await page.waitForFunction(() => [...document.querySelectorAll('.hp-table thead th')].some((th) => th.textContent === 'train/loss (min)'));
  await waitIdle(page);
  assert.equal(await cell('sweep/c', 'train/loss (min)'), '0.15'); // 3 / 20
  assert.equal(await cell(HTML_RUN, 'train/loss (min)'), '0.25');
  await page.click('.tab[data-tab="runs"]');
  await page.waitForSelector('#panel-runs .runs-table th[data-key="m:min:train/loss"]');
  await waitIdle(page);
  const runsHeader = await page.$$eval('#panel-runs .runs-table th', (ths) => ths.map((th) => th.textContent));
  assert.deepEqual(runsHeader, ['Run', 'Description', 'layers', 'lr', 'optimizer', 'hparam/accuracy (last)',
    'train/loss (min)', 'Points', 'Created', 'Updated', '']);
  await page.click('#panel-runs .runs-table th[data-key="m:min:train/loss"] .hp-sort');
  const order = await page.$$eval('#panel-runs .runs-table tbody tr', (trs) => trs.map((tr) => tr.dataset.run));
  assert.deepEqual(order, ['sweep/a', 'sweep/b', 'sweep/c', 'sweep/d', HTML_RUN]);
  await screenshot(page, 'runs-metrics.png');
  await page.click('.tab[data-tab="hparams"]');
  await waitIdle(page);
  await page.click('.hp-chip[data-key="m:min:train/loss"] .hp-chip-remove');
  await page.waitForFunction(() => !document.querySelector('.hp-table th[data-key="m:min:train/loss"]'));
});

test('new writes update the metric values without a reload', async () => {
  await vizd.write({ run: 'sweep/c', scalars: [{ tag: 'hparam/accuracy', step: 5, value: 0.99 }] });
  await page.waitForFunction(() => [...document.querySelectorAll('.hp-table tbody tr')]
    .find((tr) => tr.dataset.run === 'sweep/c')?.textContent.includes('0.99'));
});

test('with 1,000 runs the tab plots every line and lists 200 rows until asked, as the Runs tab does', async () => {
  const many = await startVizd();
  try {
    const writes = [];
    for (let i = 0; i < 1000; i++) {
      writes.push(many.write({ run: `grid/${String(i).padStart(4, '0')}`,
        hparams: { lr: 10 ** (-4 + (i % 10) / 3), batch: 2 ** (4 + (i % 5)), opt: ['sgd', 'adam', 'adamw'][i % 3], metrics: ['hparam/acc'] },
        scalars: [{ tag: 'hparam/acc', steps: [0, 1], values: [i / 2000, i / 1000] }] }));
      if (writes.length === 16) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    const started = Date.now();
    await page.goto(`${many.url}/#hparams`);
    await page.waitForFunction(() => document.querySelectorAll('.hp-parcoords path.hp-line[data-run]').length === 1000);
    await waitIdle(page);
    console.log(`# HParams tab with 1,000 runs: table and plots drawn ${Date.now() - started} ms after navigation`);
    // Every run is plotted; the table lists the first 200 until asked for all.
    assert.equal(await page.$$eval('.hp-table tbody tr', (els) => els.length), 200);
    assert.match(await page.textContent('.hp-more'), /first 200 of 1,000 runs/);
    await screenshot(page, 'hparams-1000.png');
    await page.click('.hp-show-all');
    await page.waitForFunction(() => document.querySelectorAll('.hp-table tbody tr').length === 1000);
    assert.ok(await page.isHidden('.hp-more'));
    assert.equal(await cell('grid/0999', 'hparam/acc (last)'), '0.999');
    // The Runs tab, too, lays out the first 200 rows until asked for all.
    await page.click('.tab[data-tab="runs"]');
    const runRows = '.tab-content.runs .runs-table tbody tr';
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 200, runRows);
    await waitIdle(page);
    assert.match(await page.textContent('.runs-more'), /first 200 of 1,000 runs\./);
    await page.click('.runs-show-all');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 1000, runRows);
    assert.ok(await page.isHidden('.runs-more'));
  } finally {
    await many.stop();
  }
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
