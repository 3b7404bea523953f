/* bench_dashboard_many_runs.mjs -- whether the dashboard stays usable with 1,000 runs x 100 tags, in
 * headless Chromium (a benchmark, not a test: it prints figures and asserts nothing).
 *
 * A vizd on a fresh database gets RUNS runs of TAGS scalar tags of 20 steps each (one columnar write per
 * run). Then, REPEATS times, a fresh page opens the dashboard and the script times from navigation:
 *   run list   until the sidebar lists every run (its .run-item elements);
 *   first chart until the first card (the first tag in natural order) has fetched and drawn every run;
 *   idle       until no refresh or card fetch is in flight (window.__vizd.idle());
 * and after that, on the loaded page:
 *   filter     typing a run filter that keeps 10 runs, until the list shows 10 and the page is idle again;
 *   unfilter   clearing it, until the list shows every run and the page is idle again.
 * It also counts the requests the page made while loading, by path. Medians of the repeats, with the
 * range. The tests/web conventions hold: system Chromium (CHROMIUM_BIN, default /usr/bin/chromium) through
 * playwright-core, no downloaded browser.
 *
 *   make build/vizd && (cd tests/web && npm ci) && node bench/bench_dashboard_many_runs.mjs [RUNS] [TAGS] [REPEATS]
 *   (VIZD_BIN overrides build/vizd) */

import os from 'node:os';
import { openBrowser, startVizd } from '../tests/web/browser/harness.mjs';

const RUNS = Number(process.argv[2] || 1000);
const TAGS = Number(process.argv[3] || 100);
const REPEATS = Number(process.argv[4] || 3);
const STEPS = 20;
process.env.VIZD_BIN ||= 'build/vizd';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figure = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)} - ${Math.max(...xs).toFixed(0)})`;

async function waitIdle(page) {
  await page.waitForFunction(() => window.__vizd && window.__vizd.idle(), null, { timeout: 300000, polling: 20 });
}

async function waitRunItems(page, n) {
  await page.waitForFunction((count) => document.querySelectorAll('.run-item').length === count, n,
    { timeout: 300000, polling: 20 });
}

const vizd = await startVizd();
const steps = Array.from({ length: STEPS }, (_, i) => i);
let start = performance.now();
for (let r = 0; r < RUNS; r++) {
  await vizd.write({
    run: `sweep/run${String(r).padStart(4, '0')}`,
    hparams: { lr: 10 ** -(1 + (r % 4)), seed: r },
    scalars: Array.from({ length: TAGS }, (_, t) => ({
      tag: `metric${t}`, steps, values: steps.map((s) => (t + 1) / (s + 1) + (r % 10) * 0.01),
    })),
  });
}
console.log(`${RUNS} runs x ${TAGS} tags x ${STEPS} steps written in ${((performance.now() - start) / 1000).toFixed(1)} s`);

const { browser, page, errors } = await openBrowser();
const figures = { runList: [], firstChart: [], idle: [], filter: [], unfilter: [] };
let requests = {};
try {
  for (let i = 0; i < REPEATS; i++) {
    requests = {};
    const onRequest = (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith('/api/')) requests[path] = (requests[path] || 0) + 1;
    };
    page.on('request', onRequest);
    await page.goto('about:blank');
    start = performance.now();
    await page.goto(vizd.url);
    const runListDone = waitRunItems(page, RUNS).then(() => performance.now() - start);
    const firstChartDone = page.waitForFunction(() => {
      const card = window.__vizd && window.__vizd.cardState('metric0');
      return card && card.visible && !card.stale && !card.needsDraw && !card.loading;
    }, null, { timeout: 300000, polling: 20 }).then(() => performance.now() - start);
    figures.runList.push(await runListDone);
    figures.firstChart.push(await firstChartDone);
    await waitIdle(page);
    figures.idle.push(performance.now() - start);
    page.off('request', onRequest);

    const filter = page.locator('.run-filter');
    start = performance.now();
    await filter.fill('run000[0-9]$');
    await waitRunItems(page, 10);
    await waitIdle(page);
    figures.filter.push(performance.now() - start);
    start = performance.now();
    await filter.fill('');
    await waitRunItems(page, RUNS);
    await waitIdle(page);
    figures.unfilter.push(performance.now() - start);
  }
  const charts = await page.evaluate(() => Object.keys(window.__vizd.charts()).length);
  console.log(`dashboard with ${RUNS} runs x ${TAGS} tags, ${REPEATS} page loads (median, range):`);
  console.log(`  run list rendered (${RUNS} runs):           ${figure(figures.runList)}`);
  console.log(`  first chart drawn (metric0, every run):    ${figure(figures.firstChart)}`);
  console.log(`  page idle (${charts} cards with a chart):       ${figure(figures.idle)}`);
  console.log(`  run filter keeping 10 runs, until idle:    ${figure(figures.filter)}`);
  console.log(`  filter cleared, until idle:                ${figure(figures.unfilter)}`);
  console.log(`  API requests of one load: ${Object.entries(requests).map(([p, n]) => `${p} x${n}`).join(', ')}`);
  console.log(`  load average at the end (other work on the machine): ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  if (errors.length) console.log(`  page errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
  await vizd.stop();
}
