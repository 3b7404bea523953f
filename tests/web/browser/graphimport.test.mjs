/* graphimport.test.mjs -- a model graph that came from an event file: resnet18 written by the real
 * torch.utils.tensorboard add_graph, imported with vizd --import, drawn by the Graph tab in headless
 * Chromium. The summary panel says why there is no table; the trace's constants are not drawn; a
 * block's residual add (aten::add) has its two inbound arrows. Screenshot: graph-import-block.png. */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDashboard, screenshot, startVizd, waitIdle } from './harness.mjs';

const ROOT = new URL('../../../', import.meta.url).pathname;
const WRITE_GRAPH = `
import sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, "tests/fixtures/torchinfo")
import torch, make_expected
from torch.utils.tensorboard import SummaryWriter
with SummaryWriter(sys.argv[1]) as writer:
    writer.add_graph(make_expected.ResNet(), torch.rand(1, 3, 64, 64))
`;
let logdir;
let vizd;
let browser;
let page;
let errors;

before(async () => {
  logdir = fs.mkdtempSync(path.join(os.tmpdir(), 'vizd-graph-import-'));
  execFileSync('python3', ['-c', WRITE_GRAPH, path.join(logdir, 'resnet18')], { cwd: ROOT });
  vizd = await startVizd(['--import', logdir]);
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#graph`, '.graph-node'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
  if (logdir) fs.rmSync(logdir, { recursive: true, force: true });
});

test('the summary panel gives the reason there is no table, and no figures are shown', async () => {
  assert.match(await page.textContent('.graph-summary'), /^No summary: .*GraphDef.*parameter counts/);
  assert.equal(await page.$$eval('.graph-stat', (els) => els.length), 0);
});

test('collapsed, the scopes are the model\'s modules, fed from the input', async () => {
  const boxes = await page.$$eval('.graph-node', (els) => els.map((el) => el.dataset.module ?? el.dataset.op ?? el.dataset.id));
  assert.deepEqual(boxes.slice(0, 5), ['input:x', 'conv1', 'bn1', 'relu', 'maxpool']);
  assert.ok(boxes.includes('layer4') && boxes.includes('fc') && boxes.includes('output:output.1'), boxes.join(' '));
  assert.equal(await page.$$eval('.graph-node[data-op="Constant"], .graph-node[data-op="ListConstruct"]', (els) => els.length), 0);
});

test('a block expanded shows its add with two inbound arrows: the main path and the block input', async () => {
  await page.click('.graph-node[data-module="layer1"] .graph-toggle');
  await page.waitForSelector('.graph-node[data-module="layer1.0"]');
  await page.click('.graph-node[data-module="layer1.0"] .graph-toggle');
  await page.waitForSelector('.graph-node[data-module="layer1.0.conv1"]');
  await waitIdle(page);
  const add = await page.$eval('.graph-cluster[data-module="layer1.0"]', () => {
    const ops = [...document.querySelectorAll('.graph-node.kind-op[data-op="add"]')];
    return ops.map((el) => el.dataset.id);
  });
  assert.equal(add.length, 1, add.join(' '));
  const sources = await page.$$eval(`.graph-edge[data-to="${add[0]}"]`, (els) => els.map((el) => {
    const from = document.querySelector(`.graph-node[data-id="${CSS.escape(el.dataset.from)}"]`);
    return from.dataset.module;
  }));
  assert.deepEqual(sources.sort(), ['layer1.0.bn2', 'maxpool']);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'graph-import-block.png');
});

test('the console stayed free of errors', () => {
  assert.deepEqual(errors, []);
});
