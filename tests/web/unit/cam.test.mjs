/* cam.test.mjs -- web/cam.js against pytorch-grad-cam: OpenCV's bilinear resize and
 * show_cam_on_image's blend, on cases worked out from the formula and on a case whose expected
 * bytes come from running show_cam_on_image (OpenCV + numpy) itself. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resizeBilinear, showCamOnImage } from '../../../web/cam.js';

const rgba = (pixels) => Uint8ClampedArray.from(pixels.flatMap(([r, g, b]) => [r, g, b, 255]));
const rgb = (bytes) => [...bytes].filter((_, i) => i % 4 !== 3);

test('blend: heatmap = jet(uint8(255 * mask)) / 255, cam = (1 - w) heatmap + w image, over max', () => {
  // mask 1 -> jet[255] = (128, 0, 0); mask 0 -> jet[0] = (0, 0, 128). w = 0.5.
  // A (white, mask 1): 0.5 * (128/255, 0, 0) + 0.5 * (1, 1, 1) = (0.75098, 0.5, 0.5) = the maximum
  // B (black, mask 0): (0, 0, 0.25098) -> 255 * 0.25098 / 0.75098 = 85.2 -> 85
  const out = showCamOnImage(rgba([[255, 255, 255], [0, 0, 0]]), [1, 0], 2, 1, 0.5);
  assert.deepEqual(rgb(out), [255, 169, 169, 0, 0, 85]);
  assert.deepEqual([out[3], out[7]], [255, 255]);
});

test('blend: image weight 0 is the heatmap alone, stretched to its maximum; 1 is the image alone', () => {
  // jet[127] = (126, 255, 130); the maximum is 1 (g), so the bytes come back as they were
  assert.deepEqual(rgb(showCamOnImage(rgba([[9, 9, 9]]), [0.5], 1, 1, 0)), [126, 255, 130]);
  // 255 * (60/255) / (200/255) = 76.5 -> 76 (truncated)
  assert.deepEqual(rgb(showCamOnImage(rgba([[60, 200, 100]]), [0.3], 1, 1, 1)), [76, 255, 127]);
});

test('blend: NaN in the mask is marked magenta and leaves max(cam) alone', () => {
  const out = showCamOnImage(rgba([[0, 0, 0], [0, 0, 0]]), [NaN, 0], 2, 1, 0);
  // the finite pixel is jet[0] = (0, 0, 128): max = 128/255; magenta (1, 0, 1) / max saturates
  assert.deepEqual(rgb(out), [255, 0, 255, 0, 0, 255]);
});

test('resize: OpenCV INTER_LINEAR, half-pixel centres, edges replicated', () => {
  // 1x2 -> 1x4: x = (d + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> 0, 0.25, 0.75, 1 of the way
  assert.deepEqual([...resizeBilinear([0, 1], 1, 2, 1, 4)], [0, 0.25, 0.75, 1]);
  // 2x2 -> 4x4 is the same along both axes
  const out = resizeBilinear([0, 1, 2, 3], 2, 2, 4, 4);
  assert.deepEqual([...out.slice(0, 4)], [0, 0.25, 0.75, 1]);
  assert.deepEqual([...out.slice(4, 8)], [0.5, 0.75, 1.25, 1.5]);
  assert.deepEqual([...out.slice(12, 16)], [2, 2.25, 2.75, 3]);
  // same size: unchanged
  assert.deepEqual([...resizeBilinear([1, 2, 3, 4], 2, 2, 2, 2)], [1, 2, 3, 4]);
});

test('a 3x3 CAM over a 5x4 image gives the bytes grad-cam gives', () => {
  // Expected values from cv2.resize(cam, (5, 4)) and show_cam_on_image(img / 255, mask,
  // use_rgb=True, image_weight=0.3) with opencv-python and numpy.
  const cam = [0, 0.5, 1, 0.25, 0.75, 0.1, 0.9, 0.3, 0.6];
  const image = [0, 100, 20, 60, 130, 20, 120, 160, 20, 180, 190, 20, 240, 220, 20, 10, 100, 90, 70, 130, 90, 130, 160,
    90, 190, 190, 90, 250, 220, 90, 20, 100, 160, 80, 130, 160, 140, 160, 160, 200, 190, 160, 4, 220, 160, 30, 100, 230,
    90, 130, 230, 150, 160, 230, 210, 190, 230, 14, 220, 230];
  const resized = [0, 0.2, 0.5, 0.8, 1, 0.15625, 0.35625, 0.65625, 0.525, 0.4375, 0.49375, 0.52875, 0.58125, 0.405,
    0.2875, 0.9, 0.66, 0.3, 0.48, 0.6];
  const expected = [0, 30, 98, 18, 94, 190, 127, 233, 99, 239, 113, 6, 166, 68, 6, 3, 51, 211, 21, 207, 211, 224, 211,
    27, 166, 242, 104, 121, 251, 167, 91, 214, 148, 135, 224, 123, 194, 233, 82, 83, 242, 212, 1, 186, 233, 176, 30, 71,
    211, 198, 71, 46, 176, 255, 141, 242, 179, 170, 251, 89];
  const mask = resizeBilinear(Float32Array.from(cam), 3, 3, 4, 5);
  mask.forEach((v, i) => assert.ok(Math.abs(v - resized[i]) < 1e-6, `mask ${i}: ${v} vs ${resized[i]}`));
  const pixels = [];
  for (let p = 0; p < 20; p++) pixels.push(image.slice(p * 3, p * 3 + 3));
  assert.deepEqual(rgb(showCamOnImage(rgba(pixels), mask, 5, 4, 0.3)), expected);
});
