/* graphfit.test.mjs -- the Graph tab's "Fit" on resnet18, in headless Chromium against a real vizd:
 * Fit shows the graph at a readable scale (at least graphlayout.js's MIN_FIT_SCALE, so 11 px module
 * names are 9 px or more on screen), fitting the graph's width and leaving its height to panning; after
 * zooming out Fit brings that scale back; after "Expand all" (a graph about 20 times taller), zooming
 * out and panning away, Fit changes the view again so that the expanded graph's whole width is in view,
 * from its top. Screenshots: build/screenshots/graph-fit-expanded-light.png and -dark.png. */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { MIN_FIT_SCALE } from '../../../web/graphlayout.js';
import { openDashboard, screenshot, startVizd, waitIdle } from './harness.mjs';

const fixture = (name) => JSON.parse(fs.readFileSync(new URL(`../../fixtures/torchinfo/${name}.graph.json`, import.meta.url)));
let vizd;
let browser;
let page;
let errors;

const graphView = () => page.evaluate(() => window.__vizd.graph().view);
/** The drawn graph's box and the view's, in page pixels. */
const boxes = () => page.evaluate(() => {
  const rect = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width }; };
  return { graph: rect(document.querySelector('.graph-viewport')), view: rect(document.querySelector('.graph-view')) };
});
/** The on-screen height of a module name's text, in px. */
const nameHeight = () => page.$eval('.graph-node .graph-name', (el) => el.getBoundingClientRect().height);

async function zoomOut(times) {
  for (let i = 0; i < times; i++) await page.click('.graph-zoom button[title="Zoom out"]');
}

before(async () => {
  vizd = await startVizd();
  await vizd.write({ run: 'resnet18', graph: fixture('resnet18') });
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#graph`, '.graph-node'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

test('the graph opens fitted at a readable scale', async () => {
  const view = await graphView();
  assert.ok(view.k >= MIN_FIT_SCALE, `scale ${view.k}`);
  assert.ok(await nameHeight() >= 9, `module names ${await nameHeight()} px tall`);
  const { graph, view: box } = await boxes();
  assert.ok(graph.left >= box.left && graph.right <= box.right, JSON.stringify({ graph, box }));
});

test('after zooming out, Fit brings the readable scale back', async () => {
  const fitted = await graphView();
  await zoomOut(4);
  assert.ok((await graphView()).k < MIN_FIT_SCALE * 0.5);
  await page.click('.graph-fit');
  assert.deepEqual(await graphView(), fitted);
});

test('after Expand all, Fit shows the expanded graph\'s whole width, from its top, readably', async () => {
  const collapsedHeight = (await boxes()).graph.bottom - (await boxes()).graph.top;
  await page.click('.graph-expand-all');
  await page.waitForFunction(() => window.__vizd.graph().boxes > 50);
  await waitIdle(page);
  const expanded = await boxes();
  assert.ok(expanded.graph.bottom - expanded.graph.top > 5 * collapsedHeight, 'Expand all did not open the graph');
  // Move away: zoom out and drag the graph off to the side.
  await zoomOut(3);
  const { view } = await boxes();
  await page.mouse.move(view.left + 200, view.top + 200);
  await page.mouse.down();
  await page.mouse.move(view.left + 700, view.top + 50, { steps: 5 });
  await page.mouse.up();
  const away = await graphView();
  assert.ok(away.k < MIN_FIT_SCALE, JSON.stringify(away));
  await page.click('.graph-fit');
  const fitted = await graphView();
  assert.notDeepEqual(fitted, away);
  assert.ok(fitted.k >= MIN_FIT_SCALE, `scale ${fitted.k}`);
  assert.ok(await nameHeight() >= 9, `module names ${await nameHeight()} px tall`);
  const { graph, view: box } = await boxes();
  assert.ok(graph.left >= box.left - 0.5 && graph.right <= box.right + 0.5, `graph ${graph.left}..${graph.right} in view ${box.left}..${box.right}`);
  assert.ok(Math.abs(graph.top - (box.top + fitted.y)) < 40, `graph top ${graph.top}, view top ${box.top}`);
  assert.ok(graph.bottom > box.bottom, 'the expanded graph is taller than the view: the rest is panned to');
  await page.locator('.graph-view').scrollIntoViewIfNeeded();
  for (const theme of ['light', 'dark']) {
    await page.selectOption('#theme', theme);
    await waitIdle(page);
    await screenshot(page, `graph-fit-expanded-${theme}.png`);
  }
  await page.selectOption('#theme', 'system');
});

test('the console has no errors', () => {
  assert.deepEqual(errors, []);
});
