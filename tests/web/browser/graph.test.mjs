/* graph.test.mjs -- the Graph tab in headless Chromium against a real vizd: the torchinfo table and its
 * footer figures, the collapsed model, expanding a container, the side panel, the search box, the
 * print(model) panel, and a module named like HTML staying text. */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import path from 'node:path';
import { SCREENSHOTS, openDashboard, screenshot, startVizd, waitIdle } from './harness.mjs';

const fixture = (name) => JSON.parse(fs.readFileSync(new URL(`../../fixtures/torchinfo/${name}.graph.json`, import.meta.url)));
const XSS = '<img src=x onerror=window.__xss=1>';
let vizd;
let browser;
let page;
let errors;

before(async () => {
  vizd = await startVizd();
  const resnet = fixture('resnet18');
  await vizd.write({ run: 'resnet18', graph: resnet });
  const lstm = fixture('lstm');
  lstm.nodes[2].module = XSS;
  lstm.nodes[2].type = '<b>LSTM</b>';
  await vizd.write({ run: 'lstm', graph: lstm });
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#graph`, '.graph-node'));
  await page.selectOption('.graph-run', 'resnet18');
  await page.waitForFunction(() => window.__vizd.graph().run === 'resnet18');
  await waitIdle(page);
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

const boxModules = () => page.$$eval('.graph-node', (els) => els.map((el) => el.dataset.module ?? el.dataset.id));

test('the summary table is the daemon text table, with the footer figures on top', async () => {
  const expected = await (await fetch(`${vizd.url}/api/v1/graph/summary?run=resnet18&format=text&depth=3`)).text();
  assert.equal(await page.textContent('.graph-summary'), expected);
  const stats = await page.$$eval('.graph-stat', (els) => els.map((el) => [el.querySelector('.graph-stat-label').textContent, el.querySelector('.graph-stat-value').textContent]));
  assert.deepEqual(stats[0], ['Total params', '11,689,512']);
  assert.deepEqual(stats.find(([label]) => label.startsWith('Total mult-adds')), ['Total mult-adds (G)', '1.81']);
  await page.selectOption('.graph-depth', '1');
  const depth1 = await (await fetch(`${vizd.url}/api/v1/graph/summary?run=resnet18&format=text&depth=1`)).text();
  await page.waitForFunction((text) => document.querySelector('.graph-summary').textContent === text, depth1);
  await page.selectOption('.graph-depth', '3');
  await page.waitForFunction((text) => document.querySelector('.graph-summary').textContent === text, expected);
  await page.locator('.graph-summary-card').scrollIntoViewIfNeeded();
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.locator('.graph-summary-card').screenshot({ path: path.join(SCREENSHOTS, 'graph-table.png') });
});

test('collapsed, the graph shows the top-level modules with shapes and parameter counts', async () => {
  assert.deepEqual(await boxModules(), ['input:x', 'conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'fc']);
  const conv1 = await page.$$eval('.graph-node[data-module="conv1"] text', (els) => els.map((el) => el.textContent));
  assert.deepEqual(conv1.slice(0, 4), ['Conv2d', '9,408', 'conv1', '1×64×112×112']);
  const labels = await page.$$eval('.graph-edge-label', (els) => els.map((el) => el.textContent));
  assert.ok(labels.includes('1×64×56×56'), labels.join(' '));
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'graph-collapsed.png');
});

test('expanding layer1 shows its BasicBlocks inside a cluster', async () => {
  await page.click('.graph-node[data-module="layer1"] .graph-toggle');
  await page.waitForSelector('.graph-cluster[data-module="layer1"]');
  const modules = await boxModules();
  assert.ok(modules.includes('layer1.0') && modules.includes('layer1.1'), modules.join(' '));
  assert.ok(!modules.includes('layer1'));
  const types = await page.$$eval('.graph-node[data-module^="layer1."] .graph-type', (els) => els.map((el) => el.textContent));
  assert.deepEqual(types, ['BasicBlock', 'BasicBlock']);
  await page.click('.graph-node[data-module="layer1.0"] .graph-toggle');
  await page.waitForSelector('.graph-node[data-module="layer1.0.conv1"]');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'graph-expanded.png');
});

test('clicking a box fills the side panel with its attributes', async () => {
  await page.click('.graph-node[data-module="layer1.0.conv1"]');
  const rows = await page.$$eval('.graph-attrs dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
  const attrs = Object.fromEntries(rows);
  assert.equal(attrs.Module, 'layer1.0.conv1');
  assert.equal(attrs.Type, 'Conv2d');
  assert.equal(attrs['Output shape'], '1×64×56×56');
  assert.equal(attrs['Parameters (own)'], '36,864');
  assert.equal(attrs['Kernel size'], '3×3');
  assert.equal(attrs.stride, '[1,1]');
  assert.ok(await page.isVisible('.graph-node.selected[data-module="layer1.0.conv1"]'));
});

test('the search box expands to and highlights the module it finds', async () => {
  await page.fill('.graph-search', 'layer3.1.bn2');
  await page.waitForSelector('.graph-node.highlight[data-module="layer3.1.bn2"]');
  assert.equal(await page.$$eval('.graph-node.highlight, .graph-cluster.highlight', (els) => els.length), 1);
  assert.equal(await page.textContent('.graph-match-count'), '1 of 1');
  await page.fill('.graph-search', 'no such module');
  assert.equal(await page.textContent('.graph-match-count'), 'no match');
  assert.equal(await page.$$eval('.highlight', (els) => els.length), 0);
  await page.fill('.graph-search', '');
});

test('the repr panel shows print(model)', async () => {
  assert.equal(await page.textContent('.graph-repr'), fixture('resnet18').repr);
});

test('a module named like HTML stays text, in the box, the panel and the table', async () => {
  await page.selectOption('.graph-run', 'lstm');
  await page.waitForFunction(() => window.__vizd.graph().run === 'lstm');
  await waitIdle(page);
  const box = page.locator('.graph-node[data-id="2"]');
  assert.equal(await box.locator('.graph-type').textContent(), '<b>LSTM</b>');
  assert.equal(await box.getAttribute('data-module'), XSS);
  await box.click();
  const attrs = await page.$$eval('.graph-attrs dd', (dds) => dds.map((dd) => dd.textContent));
  assert.ok(attrs.includes(XSS));
  assert.equal(await page.$$eval('.graph-main img, .graph-main b, .graph-stats img', (els) => els.length), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.match(await page.textContent('.graph-summary'), /Total params: 16,547/);
});

test('the console stayed free of errors', () => {
  assert.deepEqual(errors, []);
});
