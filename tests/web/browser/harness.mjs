/* harness.mjs -- what every browser test file needs: its own vizd on a fresh database and a free
 * port, a way to write data to it, and headless system Chromium (never a downloaded browser) with
 * every console error and page error collected, so a test can assert there were none. */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '../../..');
export const SCREENSHOTS = path.join(ROOT, 'build/screenshots');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts $VIZD_BIN on a fresh database (with extra command-line flags, e.g. --import DIR); resolves
 * once GET /healthz answers ok. */
export async function startVizd(extraArgs = []) {
  const bin = process.env.VIZD_BIN;
  if (!bin) throw new Error('set VIZD_BIN to the vizd binary, e.g. VIZD_BIN=build/vizd');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vizd-web-'));
  const port = await freePort();
  const child = spawn(path.resolve(ROOT, bin), ['--db', path.join(dir, 'runs.sqlite'), '--port', String(port), '--host', '127.0.0.1', ...extraArgs],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vizd exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok && (await response.text()).trim() === 'ok') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('vizd did not answer /healthz within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async write(body) {
      const response = await fetch(`${url}/api/v1/write`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`write answered ${response.status}: ${text}`);
      return JSON.parse(text);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium with one page; `errors` collects console errors and uncaught page errors. */
export async function openBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  return { browser, page, errors };
}

/** openBrowser, then the dashboard at `url` (with its #tab), waiting for `readySelector` and for the
 * dashboard to be idle. */
export async function openDashboard(url, readySelector) {
  const opened = await openBrowser();
  await opened.page.goto(url);
  await opened.page.waitForSelector(readySelector);
  await waitIdle(opened.page);
  return opened;
}

/** Waits until the dashboard has no refresh or card fetch in flight. */
export async function waitIdle(page) {
  await page.waitForFunction(() => window.__vizd && window.__vizd.idle());
}

/** Saves build/screenshots/NAME of the whole page. The viewport is grown to the page's height
 * first, so that every card is on screen and has loaded, then put back. */
/** Scrolls the card of `tag` on screen and waits until it has fetched and drawn (cards off screen
 * neither fetch nor draw). */
export async function showCard(page, tag) {
  await page.locator(`.card[data-tag="${tag.replace(/["\\]/g, '\\$&')}"]`).scrollIntoViewIfNeeded();
  await page.waitForFunction((t) => {
    const card = window.__vizd.cardState(t);
    return card && card.visible && !card.stale && !card.needsDraw && !card.loading;
  }, tag);
}

export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name);
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, Math.min(height, 4000)) });
  await waitIdle(page);
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
  return file;
}

/** Saves build/screenshots/NAME of one element as it is now (no resizing, so a tooltip stays up). */
export async function screenshotOf(locator, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name);
  await locator.screenshot({ path: file });
  return file;
}

/** Steps 0..n-1 with values f(step), in the columnar form, wall times one second apart. */
export function series(tag, n, f, { firstStep = 0, wallStart = 1764000000 } = {}) {
  const steps = Array.from({ length: n }, (_, i) => firstStep + i);
  return { tag, steps, values: steps.map(f), wall_times: steps.map((s) => wallStart + s) };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
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
/** An 8-bit RGB PNG of width x height with pixel(x, y) -> [r, g, b]. */
export function png(width, height, pixel) {
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter: none
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * (1 + width * 3) + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
