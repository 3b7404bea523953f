/* runs.test.mjs -- the Runs tab in headless Chromium against a real vizd: every run is listed with its
 * hparams and counts; Delete asks first, does nothing when refused and removes the run when confirmed. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDashboard, screenshot, series, startVizd, waitIdle } from './harness.mjs';

const HTML_RUN = '<b>bold</b> run';
let vizd;
let browser;
let page;
let errors;

before(async () => {
  vizd = await startVizd();
  await vizd.write({ run: 'cifar/resnet18', description: 'baseline', hparams: { lr: 0.1, optimizer: 'sgd', batch: 128 },
    scalars: [series('train/loss', 100, (s) => 1 / (s + 1))] });
  await vizd.write({ run: 'cifar/resnet50', hparams: { lr: 0.05, optimizer: 'adam' },
    scalars: [series('train/loss', 40, (s) => 2 / (s + 1))] });
  await vizd.write({ run: HTML_RUN, description: '<script>window.__xss=1</script>',
    scalars: [series('train/loss', 10, (s) => s)] });
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#runs`, '.runs-table tbody tr'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

function rows() {
  return page.$$eval('.runs-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
}

test('the Runs tab lists every run with description, hparams and counts', async () => {
  const header = await page.$$eval('.runs-table th', (ths) => ths.map((th) => th.textContent));
  assert.deepEqual(header, ['Run', 'Description', 'batch', 'lr', 'optimizer', 'Points', 'Created', 'Updated', '']);
  const table = await rows();
  assert.deepEqual(table.map((r) => r.slice(0, 6)), [
    [HTML_RUN, '<script>window.__xss=1</script>', '', '', '', '10 scalars'],
    ['cifar/resnet18', 'baseline', '128', '0.1', 'sgd', '100 scalars'],
    ['cifar/resnet50', '', '', '0.05', 'adam', '40 scalars'],
  ]);
  for (const row of table) assert.match(row[6], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.$$eval('.runs-table b, .runs-table script', (els) => els.length), 0);
  assert.ok(await page.isHidden('#sidebar'), 'no run selector on the Runs tab');
  await screenshot(page, 'runs.png');
});

test('refusing the confirmation keeps the run', async () => {
  page.once('dialog', (dialog) => dialog.dismiss());
  await page.click('tr[data-run="cifar/resnet50"] .delete-run');
  await waitIdle(page);
  assert.equal((await rows()).length, 3);
  const response = await fetch(`${vizd.url}/api/v1/runs`);
  assert.equal((await response.json()).runs.length, 3);
});

test('confirming deletes the run on the server and from the table', async () => {
  let message = '';
  page.once('dialog', (dialog) => {
    message = dialog.message();
    dialog.accept();
  });
  await page.click('tr[data-run="cifar/resnet50"] .delete-run');
  await page.waitForFunction(() => !document.querySelector('tr[data-run="cifar/resnet50"]'));
  assert.match(message, /cifar\/resnet50/);
  const response = await fetch(`${vizd.url}/api/v1/runs`);
  assert.deepEqual((await response.json()).runs.map((r) => r.name), [HTML_RUN, 'cifar/resnet18']);
  assert.match(await page.textContent('.runs-message'), /Deleted run "cifar\/resnet50"/);
});

test('the Scalars tab no longer shows the deleted run', async () => {
  await page.click('.tab[data-tab="scalars"]');
  await page.waitForSelector('.card[data-tag="train/loss"]');
  await waitIdle(page);
  const runs = await page.$$eval('.run-item .run-name', (els) => els.map((el) => el.textContent));
  assert.deepEqual(runs, [HTML_RUN, 'cifar/resnet18']);
  const drawn = await page.evaluate(() => window.__vizd.charts()['train/loss'].data.datasets
    .filter((d) => d.vizdKind === 'smoothed').map((d) => d.label));
  assert.deepEqual(drawn, [HTML_RUN, 'cifar/resnet18']);
});

test('a run deleted by another client disappears from the open page without a reload', async () => {
  const response = await fetch(`${vizd.url}/api/v1/runs?run=${encodeURIComponent(HTML_RUN)}`, { method: 'DELETE' });
  assert.equal(response.status, 200);
  await page.waitForFunction((run) => ![...document.querySelectorAll('.run-item .run-name')]
    .some((el) => el.textContent === run), HTML_RUN);
  await waitIdle(page);
  const drawn = await page.evaluate(() => window.__vizd.charts()['train/loss'].data.datasets
    .filter((d) => d.vizdKind === 'smoothed').map((d) => d.label));
  assert.deepEqual(drawn, ['cifar/resnet18']);
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
