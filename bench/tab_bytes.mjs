/* tab_bytes.mjs -- the bytes each dashboard tab transfers for the tutorial workflow
 * (bench/tutorial_workflow.py), for one or more vizd binaries side by side (e.g. a build from before a
 * change and one from after it; the dashboard is compiled into the binary, so each serves its own).
 *
 *   node bench/tab_bytes.mjs [LABEL=]BINARY [[LABEL=]BINARY ...]      (needs tests/web's npm packages)
 *
 * For each binary: vizd on a fresh database and a free loopback port, the tutorial logged into it, then
 * for each tab a fresh headless Chromium page (nothing cached) opened at /#TAB in a 1400 x 900 window and
 * scrolled to the bottom a screen at a time, waiting at each screen until the dashboard is idle, so every
 * card has fetched what it draws. Bytes are as Chromium's network layer counts them (encodedDataLength:
 * headers plus the body as sent, gzip counted compressed), for every request the page made: the page, its
 * scripts and styles, and its /api/ answers (the data column counts these alone). The live event stream,
 * which never ends, is not counted. */

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { openBrowser, startVizd } from '../tests/web/browser/harness.mjs';

const TABS = ['scalars', 'histograms', 'distributions', 'images', 'tensors', 'graph', 'text', 'runs', 'hparams'];
const ROOT = path.resolve(import.meta.dirname, '..');
const binaries = process.argv.slice(2).map((arg) => {
  const at = arg.indexOf('=');
  return at > 0 ? { label: arg.slice(0, at), binary: arg.slice(at + 1) } : { label: arg, binary: arg };
});
if (binaries.length === 0) {
  console.error('usage: node bench/tab_bytes.mjs [LABEL=]BINARY [[LABEL=]BINARY ...]');
  process.exit(2);
}

async function idle(page) {
  await page.waitForFunction(() => window.__vizd && window.__vizd.idle(), null, { timeout: 120000 });
  await page.waitForTimeout(300); // IntersectionObserver reports, and their fetches start, after a frame
  await page.waitForFunction(() => window.__vizd.idle(), null, { timeout: 120000 });
}

/** {total, data, requests, height} of one tab opened fresh and scrolled through; null when this build's
 * dashboard has no such tab (it then opens the first tab instead). */
async function measureTab(browser, url, tab) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  const bytes = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
  await page.goto(`${url}/#${tab}`);
  await idle(page);
  if (!(await page.evaluate((id) => window.__vizd.state.tab === id, tab))) {
    await page.context().close();
    return null;
  }
  for (let screens = 0; screens < 300; screens++) {
    const atEnd = await page.evaluate(() => window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2);
    if (atEnd) break;
    await page.evaluate(() => window.scrollBy(0, Math.floor(window.innerHeight * 0.9)));
    await idle(page);
  }
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  let total = 0;
  let data = 0;
  for (const [id, n] of bytes) {
    total += n;
    if (new URL(urls.get(id)).pathname.startsWith('/api/')) data += n;
  }
  await cdp.detach();
  await page.context().close();
  return { total, data, requests: bytes.size, height };
}

const results = [];
for (const { label, binary } of binaries) {
  process.env.VIZD_BIN = binary;
  const vizd = await startVizd();
  try {
    execFileSync('python3', [path.join(ROOT, 'bench/tutorial_workflow.py'), vizd.url], { stdio: ['ignore', 'ignore', 'inherit'] });
    const { browser } = await openBrowser();
    const tabs = {};
    for (const tab of TABS) tabs[tab] = await measureTab(browser, vizd.url, tab);
    await browser.close();
    results.push({ label, tabs });
  } finally {
    await vizd.stop();
  }
}

const kb = (n) => (n / 1024).toLocaleString('en-US', { maximumFractionDigits: 0 });
const head = ['Tab', ...results.flatMap(({ label }) => [`${label}: KiB (data)`, 'requests', 'page px'])];
console.log(`| ${head.join(' | ')} |`);
console.log(`| ${head.map(() => '---').join(' | ')} |`);
for (const tab of TABS) {
  const cells = results.flatMap(({ tabs }) => {
    const r = tabs[tab];
    if (!r) return ['(no such tab)', '', ''];
    return [`${kb(r.total)} (${kb(r.data)})`, String(r.requests), r.height.toLocaleString('en-US')];
  });
  console.log(`| ${tab} | ${cells.join(' | ')} |`);
}
