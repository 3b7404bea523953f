/* imagesize.test.mjs -- web/imagesize.js: images at card width, never enlarged past a limit. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TILE_MIN, UPSCALE_MAX, isEnlarged, maxDisplayWidth, tileMinWidth } from '../../../web/imagesize.js';

test('an image is never drawn wider than UPSCALE_MAX times its width', () => {
  assert.equal(UPSCALE_MAX, 8);
  assert.equal(maxDisplayWidth(28), 224);
  assert.equal(maxDisplayWidth(1810), 14480); // big images: the card's width is the limit
});

test('tiles are TILE_MIN wide at least, less only for images too small to be enlarged that much', () => {
  assert.equal(tileMinWidth(266), TILE_MIN);
  assert.equal(tileMinWidth(32), TILE_MIN);
  assert.equal(tileMinWidth(8), 64);
  assert.equal(tileMinWidth(0), 1);
});

test('an image drawn wider than its pixels is enlarged (pixelated); shrunk or 1:1 it is not', () => {
  assert.ok(isEnlarged(256, 32));
  assert.ok(!isEnlarged(400, 1810));
  assert.ok(!isEnlarged(32, 32));
  assert.ok(!isEnlarged(32.4, 32));
});
