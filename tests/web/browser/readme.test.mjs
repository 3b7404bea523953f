/* readme.test.mjs -- the README's writing examples are true: with the dashboard already open, running
 * the README's curl command, and then its Python example, makes their curves appear without a reload.
 * The commands are taken from README.md itself (only the port is changed), so the README cannot drift
 * from what works. */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openDashboard, screenshot, showCard, startVizd } from './harness.mjs';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The first fenced or indented block of README.md that starts with `first` (indentation removed). */
function readmeBlock(first) {
  const fenced = README.match(/```python\n([\s\S]*?)```/);
  if (first === 'python') return fenced[1];
  const lines = README.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(first));
  assert.ok(start >= 0, `README.md has no example starting with ${first}`);
  const block = [];
  for (let i = start; i < lines.length && lines[i].startsWith('    '); i++) block.push(lines[i].slice(4));
  return block.join('\n');
}

let vizd;
let browser;
let page;
let errors;

before(async () => {
  vizd = await startVizd();
  await vizd.write({ run: 'already-here', scalars: [{ tag: 'other/metric', steps: [0, 1], values: [1, 2] }] });
  ({ browser, page, errors } = await openDashboard(vizd.url, '.card[data-tag="other/metric"]'));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

const port = () => new URL(vizd.url).port;

test("the README's curl example makes its curve appear in the open page", async () => {
  const command = readmeBlock('curl -X POST').replaceAll('127.0.0.1:6006', `127.0.0.1:${port()}`);
  execFileSync('bash', ['-c', command], { stdio: 'pipe' });
  await page.waitForSelector('.card[data-tag="train/loss"]', { timeout: 10000 });
  await showCard(page, 'train/loss');
  const points = await page.evaluate(() => {
    const chart = window.__vizd.charts()['train/loss'];
    return chart.data.datasets.filter((d) => d.label === 'mnist/lr=0.1').map((d) => d.data.length);
  });
  assert.ok(points.length > 0 && points.every((n) => n === 5), `drawn: ${points}`);
});

test("the README's Python example makes its curves appear in the open page", async () => {
  const program = readmeBlock('python').replaceAll('127.0.0.1:6006', `127.0.0.1:${port()}`);
  execFileSync('python3', ['-c', program], { stdio: 'pipe' });
  await page.waitForSelector('.card[data-tag="train/acc"]', { timeout: 10000 });
  await showCard(page, 'train/acc');
  const points = await page.evaluate(() => window.__vizd.charts()['train/acc'].data.datasets
    .filter((d) => d.label === 'mnist/lr=0.1').map((d) => d.data.length));
  assert.ok(points.length > 0 && points.every((n) => n === 100), `drawn: ${points}`);
  await screenshot(page, 'readme-examples.png');
  assert.deepEqual(errors, []);
});
