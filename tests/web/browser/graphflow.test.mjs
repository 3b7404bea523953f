/* graphflow.test.mjs -- the Graph tab drawing the data flow of a real resnet18 as the Python client's
 * add_graph sends it (tests/web/browser/model_graphs.py, real torch), in headless Chromium against a
 * real vizd: op nodes as ellipses, each residual add with its two inbound arrows, arrow labels from the
 * tensor each edge carries, a collapsed container's border-crossing arrows merged and given back when it
 * is expanded. Screenshots (build/screenshots/graph-flow-*.png): collapsed, one block expanded, all. */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { openDashboard, screenshot, startVizd, waitIdle } from './harness.mjs';

const ROOT = new URL('../../../', import.meta.url).pathname;
let vizd;
let browser;
let page;
let errors;
let graph;
const idOf = (module) => graph.nodes.find((n) => n.kind !== 'op' && n.module === module).id;
const addIn = (module) => graph.nodes.find((n) => n.kind === 'op' && n.op === 'add' && n.parent === idOf(module)).id;

before(async () => {
  ({ resnet18: graph } = JSON.parse(execFileSync('python3', ['tests/web/browser/model_graphs.py', 'resnet18'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 })));
  vizd = await startVizd();
  await vizd.write({ run: 'resnet18', graph });
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#graph`, '.graph-node'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

/** The arrows on screen as "from>to" (module names, op names, input/output ids) with their labels. */
async function arrows() {
  return page.evaluate(() => {
    const name = (id) => {
      const el = document.querySelector(`.graph-node[data-id="${CSS.escape(id)}"]`);
      return el?.dataset.module ?? (el?.dataset.op ? `${el.dataset.op}@${id}` : id);
    };
    return [...document.querySelectorAll('.graph-edge')].map((p) => ({
      from: p.dataset.from, to: p.dataset.to, text: `${name(p.dataset.from)}>${name(p.dataset.to)}`, count: Number(p.dataset.count),
    }));
  });
}

const labels = () => page.$$eval('.graph-edge-label', (els) => els.map((el) => el.textContent));

test('collapsed: the stem, the four stages, a flatten op and the output, labelled with true shapes', async () => {
  const boxes = await page.$$eval('.graph-node', (els) => els.map((el) => el.dataset.module ?? el.dataset.op ?? el.dataset.id));
  assert.deepEqual(boxes, ['input:x', 'conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'flatten', 'fc', 'output:output']);
  assert.equal(await page.$$eval('.graph-node.kind-op ellipse', (els) => els.length), 1);
  const shown = (await arrows()).map((a) => a.text);
  assert.ok(shown.includes(`avgpool>flatten@${graph.nodes.find((n) => n.op === 'flatten').id}`), shown.join(' '));
  assert.ok(shown.includes('fc>output:output'), shown.join(' '));
  const text = await labels();
  assert.ok(text.includes('1×512') && text.includes('1×512×1×1') && text.includes('1×1000'), text.join(' '));
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'graph-flow-collapsed.png');
});

test('one block expanded: its add has two inbound arrows, from bn2 and from the downsample', async () => {
  await page.click('.graph-node[data-module="layer2"] .graph-toggle');
  await page.waitForSelector('.graph-node[data-module="layer2.0"]');
  await page.click('.graph-node[data-module="layer2.0"] .graph-toggle');
  await page.waitForSelector('.graph-node[data-module="layer2.0.conv1"]');
  await waitIdle(page);
  const add = addIn('layer2.0');
  const into = (await arrows()).filter((a) => a.to === add).map((a) => a.text.split('>')[0]).sort();
  assert.deepEqual(into, ['layer2.0.bn2', 'layer2.0.downsample']);
  assert.ok(await page.isVisible(`.graph-node.kind-op[data-id="${add}"] ellipse`));
  // Coming from the collapsed layer1: one arrow to conv1 and one to the downsample, each one tensor.
  const fromLayer1 = (await arrows()).filter((a) => a.text.startsWith('layer1>'));
  assert.deepEqual(fromLayer1.map((a) => [a.text, a.count]).sort(),
    [['layer1>layer2.0.conv1', 1], ['layer1>layer2.0.downsample', 1]]);
  assert.ok((await labels()).includes('1×64×56×56'));
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'graph-flow-block.png');
});

test('collapsing the block merges the arrows crossing its border; expanding gives them back', async () => {
  const expandedCount = (await arrows()).length;
  await page.click('.graph-cluster[data-module="layer2.0"] .graph-toggle');
  await page.waitForSelector('.graph-node[data-module="layer2.0"]');
  await waitIdle(page);
  const shown = await arrows();
  assert.deepEqual(shown.filter((a) => a.text.includes('layer2.0')).map((a) => a.text).sort(),
    ['layer1>layer2.0', 'layer2.0>layer2.1'].sort());
  assert.ok(shown.length < expandedCount);
  await page.click('.graph-node[data-module="layer2.0"] .graph-toggle');
  await page.waitForSelector('.graph-node[data-module="layer2.0.conv1"]');
  await waitIdle(page);
  assert.equal((await arrows()).length, expandedCount);
});

test('all expanded: every block has an add with exactly two inbound arrows', async () => {
  await page.click('.graph-expand-all');
  await page.waitForSelector('.graph-node[data-module="layer4.1.conv2"]');
  await waitIdle(page);
  const shown = await arrows();
  for (const layer of [1, 2, 3, 4]) {
    for (const block of [0, 1]) {
      const name = `layer${layer}.${block}`;
      assert.equal(shown.filter((a) => a.to === addIn(name)).length, 2, name);
    }
  }
  assert.equal(await page.$$eval('.graph-node.kind-op', (els) => els.length), 9);
  await screenshot(page, 'graph-flow-expanded.png');
});

test('clicking an op shows what it is, where it ran and how many inputs it has', async () => {
  await page.dispatchEvent(`.graph-node[data-id="${addIn('layer3.0')}"]`, 'click'); // off screen at this zoom
  const attrs = Object.fromEntries(await page.$$eval('.graph-attrs dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.deepEqual(attrs, { Op: 'add', In: 'layer3.0', 'Output shape': '1×256×14×14', dtype: 'float32', Inputs: '2' });
});

test('the console stayed free of errors', () => {
  assert.deepEqual(errors, []);
});
