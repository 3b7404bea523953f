/* media.test.mjs -- the Images, Tensors and Text tabs in headless Chromium against a real vizd.
 * Real PNGs (made with zlib by the harness), a conv weight [8, 4, 3, 3] (the seed's VGG11 features[3] in small),
 * a feature map [6, 16, 16] with a NaN, a grad-cam heatmap [7, 7] over an image of the same step,
 * and a Markdown note with a <script> and a javascript: link. Checked: the image grid, brightness,
 * enlarge; kernel tiles, switching channels, hover, export; the NaN colour; the CAM blend pixel for
 * pixel against web/cam.js; Markdown rendered with the script never run and no javascript: href;
 * a clean console. Screenshots go to build/screenshots. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resizeBilinear, showCamOnImage } from '../../../web/cam.js';
import { openDashboard, png, screenshot, screenshotOf, startVizd, waitIdle } from './harness.mjs';

const RUN = 'cnn/vgg11';
const RUN_B = 'cnn/resnet18';
let vizd;
let browser;
let page;
let errors;

// ---- data ------------------------------------------------------------------------------------

const f32 = (values) => Buffer.from(new Float32Array(values).buffer).toString('base64');

// The CAM's image: a 64 x 48 gradient with a bright square (the "object").
const CAM_W = 64;
const CAM_H = 48;
const camPixel = (x, y) => (x >= 36 && x < 52 && y >= 8 && y < 24 ? [240, 200, 60] : [40 + x * 2, 60 + y * 2, 120]);
// A grad-cam mask in [0, 1] peaking over the square (cell (2, 5) of 7 x 7).
const CAM = Array.from({ length: 49 }, (_, i) => {
  const y = Math.floor(i / 7);
  const x = i % 7;
  return Math.exp(-((x - 5) ** 2 + (y - 2) ** 2) / 3);
});
// Seeded kernels [8, 4, 3, 3] with both signs; a feature map [6, 16, 16] with one NaN.
const KERNELS = Array.from({ length: 8 * 4 * 9 }, (_, i) => Math.sin(i * 12.9898) * 0.5 + (i % 9 === 4 ? 0.3 : 0));
// A first conv layer on RGB input [64, 3, 7, 7]: filter o is a blob whose colour turns with o.
const CONV1 = Array.from({ length: 64 * 3 * 49 }, (_, i) => {
  const o = Math.floor(i / 147);
  const c = Math.floor((i % 147) / 49);
  const y = Math.floor((i % 49) / 7) - 3;
  const x = (i % 7) - 3;
  return Math.cos(o / 5 + (c * 2 * Math.PI) / 3) * Math.exp(-(x * x + y * y) / 6) + Math.sin(i * 7.31) * 0.05;
});
const FEATURES = Array.from({ length: 6 * 256 }, (_, i) => {
  const c = Math.floor(i / 256);
  const y = Math.floor((i % 256) / 16);
  const x = i % 16;
  return Math.max(0, Math.sin((x + c) / (2 + c)) * Math.cos((y - c) / 3));
});
FEATURES[256 * 2 + 16 * 3 + 5] = NaN; // channel 2, (3, 5)

const MARKDOWN = [
  '# Experiment notes',
  '',
  'Training **VGG11** on *CIFAR-10* with `lr = 0.01`.',
  '',
  '## Results',
  '',
  '- top-1: 91.2%',
  '- top-5: 99.1%',
  '  - best at epoch 30',
  '1. warm-up',
  '2. cosine decay',
  '',
  '| layer | params |',
  '|:------|-------:|',
  '| features.0 | 1,792 |',
  '| features.3 | 73,856 |',
  '',
  '```python',
  'conv1 = dict(model.features.named_children())["3"]',
  'print(conv1.weight.shape)  # <b>not bold</b>',
  '```',
  '',
  '<script>window.__xss = 1</script>',
  '<img src=x onerror="window.__xss = 3">',
  '',
  '[click me](javascript:window.__xss=2) and [docs](https://pytorch.org/docs "PyTorch").',
].join('\n');

// ---- helpers ---------------------------------------------------------------------------------

const cardStates = (tabId) => page.evaluate((id) => window.__vizd.cardStates(id), tabId);
const cardSel = (tab, tag, run = RUN) => `.tab-content.${tab} .card[data-tag="${tag}"][data-run="${run}"]`;

/** Scrolls the card on screen and waits until it has fetched and drawn. */
async function showCard(tab, tag, run = RUN) {
  await page.locator(cardSel(tab, tag, run)).scrollIntoViewIfNeeded();
  await page.waitForFunction(([id, t, r]) => {
    const card = window.__vizd.cardStates(id).find((c) => c.tag === t && c.run === r);
    return card && card.visible && !card.stale && !card.loading && !card.needsDraw && card.drawCount > 0;
  }, [tab, tag, run]);
  return (await cardStates(tab)).find((c) => c.tag === tag && c.run === run);
}

/** Waits until the card has drawn again after an action. */
async function redrawn(tab, tag, before, run = RUN) {
  await page.waitForFunction(([id, t, r, n]) => {
    const card = window.__vizd.cardStates(id).find((c) => c.tag === t && c.run === r);
    return card && card.drawCount > n && !card.loading && !card.needsDraw;
  }, [tab, tag, run, before.drawCount]);
  return (await cardStates(tab)).find((c) => c.tag === tag && c.run === run);
}

/** What a canvas holds: opaque pixels, distinct colours, magenta pixels and a fingerprint. */
function canvasPixels(selector) {
  return page.$eval(selector, (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let opaque = 0;
    let magenta = 0;
    let hash = 0;
    const colors = new Set();
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0) opaque++;
      if (data[i] === 255 && data[i + 1] === 0 && data[i + 2] === 255 && data[i + 3] === 255) magenta++;
      colors.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      hash = (hash * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2] + 17 * data[i + 3]) >>> 0;
    }
    return { opaque, magenta, colors: colors.size, hash, width: canvas.width, height: canvas.height };
  });
}

/** Puts the card in the middle of the viewport, clear of the sticky top bar. */
async function centre(tab, tag) {
  await page.locator(cardSel(tab, tag)).evaluate((el) => el.scrollIntoView({ block: 'center' }));
}

/** Sets a range input's value as a user would, firing input. */
async function slide(selector, value) {
  await page.$eval(selector, (input, v) => {
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

// ---- set-up ----------------------------------------------------------------------------------

before(async () => {
  vizd = await startVizd();
  const inputs = [];
  for (let index = 0; index < 4; index++) {
    inputs.push({ tag: 'inputs', step: 1, index,
      data: png(32, 32, (x, y) => [(x * 8 + index * 60) % 256, (y * 8) % 256, index * 50]).toString('base64') });
  }
  inputs.push({ tag: 'inputs', step: 0, index: 0, data: png(32, 32, () => [90, 90, 90]).toString('base64') });
  inputs.push({ tag: 'cam/input', step: 5, data: png(CAM_W, CAM_H, camPixel).toString('base64') });
  await vizd.write({
    run: RUN,
    images: inputs,
    tensors: [
      { tag: 'features.3.weight', step: 0, shape: [8, 4, 3, 3], data: f32(KERNELS), display: { kind: 'kernels', colormap: 'bwr' } },
      { tag: 'conv1.weight', step: 0, shape: [64, 3, 7, 7], data: f32(CONV1), display: { kind: 'kernels', colormap: 'bwr' } },
      { tag: 'features.3.output', step: 0, shape: [6, 16, 16], data: f32(FEATURES), display: { kind: 'feature_maps', colormap: 'viridis' } },
      { tag: 'cam/heatmap', step: 5, shape: [7, 7], data: f32(CAM),
        display: { kind: 'heatmap', colormap: 'jet', overlay: 'cam/input', image_weight: 0.5 } },
    ],
    texts: [{ tag: 'notes', step: 0, text: MARKDOWN }, { tag: 'notes', step: 1, text: 'Second note: *still* fine.' }],
  });
  await vizd.write({ run: RUN_B, images: [{ tag: 'inputs', step: 0, data: png(16, 16, (x) => [x * 16, 0, 0]).toString('base64') }] });
  ({ browser, page, errors } = await openDashboard(`${vizd.url}/#images`, cardSel('images', 'inputs')));
});

after(async () => {
  await browser?.close();
  await vizd?.stop();
});

// ---- Images ----------------------------------------------------------------------------------

test('images: a card per run and tag, the last step\'s images in a grid, a step slider', async () => {
  const cards = (await cardStates('images')).map((c) => [c.tag, c.run]);
  assert.deepEqual(cards, [['cam/input', RUN], ['inputs', RUN_B], ['inputs', RUN]]);
  const card = await showCard('images', 'inputs');
  assert.deepEqual(card.steps, [0, 1]);
  assert.equal(card.step, 1);
  assert.equal(card.images, 4);
  await page.waitForFunction((sel) => [...document.querySelectorAll(`${sel} img`)].every((img) => img.complete && img.naturalWidth === 32),
    cardSel('images', 'inputs'));
  await slide(`${cardSel('images', 'inputs')} .step-slider`, 0);
  const back = await redrawn('images', 'inputs', card);
  assert.equal(back.step, 0);
  assert.equal(back.images, 1);
  await slide(`${cardSel('images', 'inputs')} .step-slider`, 1);
  await redrawn('images', 'inputs', back);
});

test('images: brightness and contrast set a CSS filter; actual size shows natural pixels', async () => {
  const img = `${cardSel('images', 'inputs')} img`;
  assert.equal(await page.$eval(img, (el) => el.style.filter), '');
  await slide('#setting-imageBrightness', 1.5);
  await slide('#setting-imageContrast', 0.8);
  await page.waitForFunction((sel) => document.querySelector(sel).style.filter === 'brightness(1.5) contrast(0.8)', img);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'images.png');
  const actual = page.locator('aside .setting-check', { hasText: 'actual image size' }).locator('input');
  await actual.check();
  await page.waitForFunction((sel) => document.querySelector(sel).getBoundingClientRect().width === 32, img);
  await actual.uncheck();
  await slide('#setting-imageBrightness', 1);
  await slide('#setting-imageContrast', 1);
});

test('images: a click enlarges the image in a dialog', async () => {
  const img = page.locator(`${cardSel('images', 'inputs')} img`).nth(2);
  await img.click();
  const dialog = page.locator('dialog.image-viewer');
  await page.waitForFunction(() => document.querySelector('dialog.image-viewer').open);
  assert.match(await dialog.locator('.viewer-caption').textContent(), /cnn\/vgg11 · inputs · step 1 · #2 · 32×32/);
  const box = await dialog.locator('img').boundingBox();
  assert.ok(box.width >= 256, `enlarged width ${box.width}`);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('dialog.image-viewer').open);
});

// ---- Tensors ---------------------------------------------------------------------------------

test('kernels open on every output filter at input channel 0, in bwr, with grey gaps; the controls switch', async () => {
  await page.goto(`${vizd.url}/#tensors`);
  await page.waitForSelector(cardSel('tensors', 'features.3.weight'));
  const card = await showCard('tensors', 'features.3.weight');
  assert.equal(card.shown.kind, 'kernels');
  assert.equal(card.shown.view, 'in');
  assert.equal(card.shown.tiles, 8); // one per output filter
  assert.equal(card.shown.colormap, 'bwr');
  const sel = cardSel('tensors', 'features.3.weight');
  assert.equal(await page.textContent(`${sel} .card-note`), '8 filters 3×3 at input channel 0 of 4');
  const canvas = `${sel} canvas`;
  const first = await canvasPixels(canvas);
  // 8 tiles of 3 x 3 blocks on a 3 x 3 grid: every pixel of the first two rows and the gaps between
  // them and in the last row is opaque; only the empty ninth place is transparent.
  const { scale, gap, cols } = card.shown;
  assert.equal(cols, 3);
  const tile = 3 * scale;
  assert.equal(first.opaque, first.width * first.height - tile * (tile + 0) - gap * tile);
  assert.ok(first.colors > 8, `distinct colours: ${first.colors}`);
  // The gap between the first two tiles is neutral grey, not white.
  const gapPixel = await page.$eval(canvas, (c, x) => [...c.getContext('2d').getImageData(x, 0, 1, 1).data], tile);
  assert.deepEqual(gapPixel, [112, 112, 112, 255]);
  await slide(`${sel} .control:has(.control-label:text-is("Input channel")) input`, 3);
  const after = await redrawn('tensors', 'features.3.weight', card);
  assert.equal(after.view.channel, 3);
  assert.notEqual((await canvasPixels(canvas)).hash, first.hash);
  // One output filter: one tile per input channel; the colour view is offered only for 3 input channels.
  assert.equal(await page.$eval(`${sel} .control-select >> nth=0`, (s) => s.querySelector('option[value="rgb"]').disabled), true);
  await page.selectOption(`${sel} .control-select >> nth=0`, 'out');
  const byOut = await redrawn('tensors', 'features.3.weight', after);
  assert.equal(byOut.shown.tiles, 4);
  await slide(`${sel} .control:has(.control-label:text-is("Output filter")) input`, 3);
  await redrawn('tensors', 'features.3.weight', byOut);
});

test('a first conv layer opens on all 64 filters, and shows them as RGB colour tiles on request', async () => {
  const sel = cardSel('tensors', 'conv1.weight');
  const card = await showCard('tensors', 'conv1.weight');
  assert.equal(card.shown.tiles, 64);
  assert.equal(card.shown.cols, 8);
  assert.equal(card.shown.view, 'in');
  await screenshotOf(page.locator(sel), 'tensors-conv1-filters.png');
  assert.equal(await page.$eval(`${sel} .control-select >> nth=0`, (s) => s.querySelector('option[value="rgb"]').disabled), false);
  await page.selectOption(`${sel} .control-select >> nth=0`, 'rgb');
  const rgb = await redrawn('tensors', 'conv1.weight', card);
  assert.equal(rgb.shown.view, 'rgb');
  assert.equal(rgb.shown.tiles, 64);
  assert.ok(await page.locator(`${sel} .control:has(.control-label:text-is("Input channel"))`).isHidden());
  assert.ok(await page.locator(`${sel} .control:has(.control-label:text-is("Colormap"))`).isHidden());
  assert.match(await page.textContent(`${sel} .card-note`), /^64 filters 7×7, input channels 0, 1, 2 as red, green, blue$/);
  // The centre of filter 0 is red-dominated (cos(0) on R), that of filter 10 is not the same colour.
  const { scale, gap } = rgb.shown;
  const centre = (k) => page.$eval(`${sel} canvas`, (c, [x, y]) => [...c.getContext('2d').getImageData(x, y, 1, 1).data],
    [(k % 8) * (7 * scale + gap) + Math.floor(3.5 * scale), Math.floor(k / 8) * (7 * scale + gap) + Math.floor(3.5 * scale)]);
  const [c0, c10] = [await centre(0), await centre(10)];
  assert.ok(c0[0] > 200 && c0[0] > c0[1] && c0[0] > c0[2], `filter 0 centre ${c0}`);
  assert.notDeepEqual(c10.slice(0, 3), c0.slice(0, 3));
  // Hover names the filter and its three input-channel values.
  const box = await page.locator(`${sel} canvas`).boundingBox();
  const css = box.width / (await page.$eval(`${sel} canvas`, (c) => c.width));
  await page.mouse.move(box.x + Math.floor(3.5 * scale) * css, box.y + Math.floor(3.5 * scale) * css);
  const tooltip = page.locator(`${sel} .tensor-tooltip`);
  await tooltip.waitFor({ state: 'visible' });
  assert.match(await tooltip.textContent(), /^\[0, 0:3, 3, 3\] = \(-?[\d.]+, -?[\d.]+, -?[\d.]+\)$/);
  await page.mouse.move(0, 0);
  await screenshotOf(page.locator(sel), 'tensors-conv1-rgb.png');
});

test('kernels: hovering a pixel names its indices and value', async () => {
  await centre('tensors', 'features.3.weight');
  const card = (await cardStates('tensors')).find((c) => c.tag === 'features.3.weight' && c.run === RUN);
  const canvas = page.locator(`${cardSel('tensors', 'features.3.weight')} canvas`);
  const box = await canvas.boundingBox();
  const cell = box.width / (await canvas.evaluate((c) => c.width)) * card.shown.scale;
  // tile 0 (input channel 0), cell (1, 2) of output channel 3
  await page.mouse.move(box.x + cell * 2.5, box.y + cell * 1.5);
  const tooltip = page.locator(`${cardSel('tensors', 'features.3.weight')} .tensor-tooltip`);
  await tooltip.waitFor({ state: 'visible' });
  const expected = Math.fround(KERNELS[(3 * 4 + 0) * 9 + 1 * 3 + 2]);
  assert.equal(await tooltip.textContent(), `[3, 0, 1, 2] = ${Number(expected.toPrecision(5))}`);
  await screenshotOf(page.locator(cardSel('tensors', 'features.3.weight')), 'tensors-kernels.png');
  await page.mouse.move(0, 0);
});

test('kernels: Export PNG downloads the grid', async () => {
  const download = page.waitForEvent('download');
  await page.click(`${cardSel('tensors', 'features.3.weight')} button:text-is("Export PNG")`);
  const file = await download;
  assert.equal(file.suggestedFilename(), 'cnn_vgg11_features.3.weight_step0.png');
  const bytes = await (await file.createReadStream()).toArray();
  assert.deepEqual([...Buffer.concat(bytes).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

test('feature maps: one tile per channel, NaN in magenta, colormap and normalisation switch', async () => {
  const card = await showCard('tensors', 'features.3.output');
  assert.equal(card.shown.kind, 'feature_maps');
  assert.equal(card.shown.tiles, 6);
  assert.equal(card.shown.colormap, 'viridis');
  await centre('tensors', 'features.3.output');
  const canvas = `${cardSel('tensors', 'features.3.output')} canvas`;
  const pixels = await canvasPixels(canvas);
  assert.equal(pixels.magenta, card.shown.scale ** 2); // the one NaN, as a block
  assert.match(await page.textContent(`${cardSel('tensors', 'features.3.output')} .tensor-info`), /\[6, 16, 16\] float32 .* 1 NaN/);
  await screenshotOf(page.locator(cardSel('tensors', 'features.3.output')), 'tensors-feature-maps.png');
  await page.selectOption(`${cardSel('tensors', 'features.3.output')} .control-select >> nth=1`, 'gray');
  const gray = await redrawn('tensors', 'features.3.output', card);
  assert.equal(gray.shown.colormap, 'gray');
  assert.notEqual((await canvasPixels(canvas)).hash, pixels.hash);
  await page.selectOption(`${cardSel('tensors', 'features.3.output')} .control-select >> nth=2`, 'global');
  const global = await redrawn('tensors', 'features.3.output', gray);
  assert.equal(global.shown.mode, 'global');
});

test('class-activation map: the heatmap over its image, byte for byte as show_cam_on_image', async () => {
  const card = await showCard('tensors', 'cam/heatmap');
  await centre('tensors', 'cam/heatmap');
  assert.equal(card.shown.type, 'cam');
  assert.equal(card.shown.mode, 'none'); // a mask already in [0, 1] is used as written
  assert.deepEqual([card.shown.width, card.shown.height], [CAM_W, CAM_H]);
  const canvas = `${cardSel('tensors', 'cam/heatmap')} canvas`;
  const image = new Uint8ClampedArray(CAM_W * CAM_H * 4);
  for (let y = 0; y < CAM_H; y++) for (let x = 0; x < CAM_W; x++) image.set([...camPixel(x, y), 255], (y * CAM_W + x) * 4);
  const expected = showCamOnImage(image, resizeBilinear(Float32Array.from(CAM), 7, 7, CAM_H, CAM_W), CAM_W, CAM_H, 0.5);
  const actual = await page.$eval(canvas, (c) => [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data]);
  assert.equal(actual.length, expected.length);
  let differing = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) differing++;
  assert.equal(differing, 0);
  await page.mouse.move(0, 0);
  const box = await page.locator(canvas).boundingBox();
  await page.mouse.move(box.x + box.width * (5.5 / 7), box.y + box.height * (2.5 / 7));
  assert.match(await page.textContent(`${cardSel('tensors', 'cam/heatmap')} .tensor-tooltip`), /^\[2, 5\] = 1 · pixel/);
  await screenshotOf(page.locator(cardSel('tensors', 'cam/heatmap')), 'tensors-cam.png');
  await page.mouse.move(0, 0);
  await slide(`${cardSel('tensors', 'cam/heatmap')} .control:has(.control-label:text-is("Image weight")) input`, 0.8);
  const heavier = await redrawn('tensors', 'cam/heatmap', card);
  assert.equal(heavier.shown.weight, 0.8);
  const weighted = await page.$eval(canvas, (c) => [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data]);
  assert.notDeepEqual(weighted, actual);
});

test('class-activation map: a heatmap written before its image becomes a CAM when the image arrives', async () => {
  await vizd.write({ run: RUN, tensors: [{ tag: 'late/heatmap', step: 2, shape: [7, 7], data: f32(CAM),
    display: { kind: 'heatmap', colormap: 'jet', overlay: 'late/input' } }] });
  await page.goto(`${vizd.url}/#tensors`);
  await page.waitForSelector(cardSel('tensors', 'late/heatmap'));
  const alone = await showCard('tensors', 'late/heatmap');
  assert.notEqual(alone.shown.type, 'cam'); // no image yet: the heatmap alone
  await vizd.write({ run: RUN, images: [{ tag: 'late/input', step: 2, data: png(CAM_W, CAM_H, camPixel).toString('base64') }] });
  await page.waitForFunction((r) => {
    const card = window.__vizd.cardStates('tensors').find((c) => c.tag === 'late/heatmap' && c.run === r);
    return card && card.shown && card.shown.type === 'cam';
  }, RUN);
});

// ---- Text ------------------------------------------------------------------------------------

test('text: Markdown renders headings, lists, code and tables; newest step first', async () => {
  await page.goto(`${vizd.url}/#text`);
  await page.waitForSelector(cardSel('text', 'notes'));
  const card = await showCard('text', 'notes');
  assert.equal(card.entries, 2);
  const md = `${cardSel('text', 'notes')} .markdown[data-index="0"]`;
  assert.deepEqual(await page.$$eval(`${cardSel('text', 'notes')} .text-step-number`, (els) => els.map((e) => e.textContent)), ['step 1', 'step 0']);
  const notes = page.locator(`${cardSel('text', 'notes')} .text-entry`).nth(1);
  assert.equal(await notes.locator('h1').textContent(), 'Experiment notes');
  assert.equal(await notes.locator('h2').textContent(), 'Results');
  assert.deepEqual(await notes.locator('.markdown > ul > li').evaluateAll((els) => els.map((e) => e.firstChild.textContent)), ['top-1: 91.2%', 'top-5: 99.1%']);
  assert.equal(await notes.locator('ul ul li').textContent(), 'best at epoch 30');
  assert.equal(await notes.locator('ol > li').count(), 2);
  assert.equal(await notes.locator('pre code.language-python').textContent(),
    'conv1 = dict(model.features.named_children())["3"]\nprint(conv1.weight.shape)  # <b>not bold</b>\n');
  assert.deepEqual(await notes.locator('table tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent))),
    [['layer', 'params'], ['features.0', '1,792'], ['features.3', '73,856']]);
  assert.equal(await notes.locator('table td').nth(1).evaluate((td) => td.style.textAlign), 'right');
  assert.equal(await page.locator(md).count(), 2);
});

test('text: a <script> stays text and never runs; no javascript: link exists', async () => {
  const notes = page.locator(`${cardSel('text', 'notes')} .text-entry`).nth(1);
  assert.match(await notes.textContent(), /<script>window\.__xss = 1<\/script>/);
  assert.match(await notes.textContent(), /<img src=x onerror="window\.__xss = 3">/);
  assert.equal(await page.locator('.tab-content script, .tab-content img[src="x"]').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  const hrefs = await page.$$eval('a[href]', (links) => links.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.every((href) => !/^\s*javascript:/i.test(href)), hrefs.join(' '));
  assert.ok(hrefs.includes('https://pytorch.org/docs'));
  assert.match(await notes.textContent(), /click me and docs\./);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'text.png');
});

test('a text written while the page is open appears without reload', async () => {
  await vizd.write({ run: RUN, texts: [{ tag: 'notes', step: 2, text: '### Live\n\nwritten later' }] });
  await page.waitForFunction(() => [...document.querySelectorAll('.text-step-number')].some((e) => e.textContent === 'step 2'));
  await waitIdle(page);
  assert.equal(await page.locator('.text-entry h3').first().textContent(), 'Live');
});

test('the console stayed clean', () => {
  assert.deepEqual(errors, []);
});
