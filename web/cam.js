/* cam.js -- class-activation maps drawn over their image the way pytorch-grad-cam does it, so a CAM
 * looks in vizd as it looks in a notebook:
 *
 *   resizeBilinear  cv2.resize(cam, (width, height)) with INTER_LINEAR, the resize grad-cam's
 *                   scale_cam_image does: pixel centres aligned ((d + 0.5) * scale - 0.5), edges
 *                   replicated, arithmetic in float32
 *   showCamOnImage  show_cam_on_image(img, mask, use_rgb=True, image_weight=w):
 *                     heatmap = applyColorMap(uint8(255 * mask), COLORMAP_JET) / 255
 *                     cam = (1 - w) * heatmap + w * img;  cam = cam / max(cam);  uint8(255 * cam)
 *                   in float32 as numpy does it, with truncation to bytes.
 *
 * NaN in the mask gets the NaN colour as its heatmap and never counts towards max(cam). Pure: no DOM. */

import { NAN_RGB, colormapTable } from './colormaps.js';

const fround = Math.fround;

/** cv2.resize(src, (dw, dh), interpolation=INTER_LINEAR) of a float32 h x w plane. */
export function resizeBilinear(src, sh, sw, dh, dw) {
  const axis = (dsize, ssize) => {
    const scale = ssize / dsize;
    const index = new Int32Array(dsize);
    const frac = new Float32Array(dsize);
    for (let d = 0; d < dsize; d++) {
      let f = fround((d + 0.5) * scale - 0.5);
      let s = Math.floor(f);
      f = fround(f - s);
      if (s < 0) { s = 0; f = 0; }
      if (s >= ssize - 1) { s = ssize - 1; f = 0; }
      index[d] = s;
      frac[d] = f;
    }
    return { index, frac };
  };
  const xs = axis(dw, sw);
  const ys = axis(dh, sh);
  // horizontal pass per source row, then the vertical pass, as OpenCV's resizeGeneric does
  const rows = new Float32Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < dw; x++) {
      const s = xs.index[x];
      const f = xs.frac[x];
      const right = Math.min(s + 1, sw - 1);
      rows[y * dw + x] = fround(fround(src[y * sw + s] * fround(1 - f)) + fround(src[y * sw + right] * f));
    }
  }
  const out = new Float32Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    const s = ys.index[y];
    const f = ys.frac[y];
    const below = Math.min(s + 1, sh - 1);
    const a = fround(1 - f);
    for (let x = 0; x < dw; x++) {
      out[y * dw + x] = fround(fround(rows[s * dw + x] * a) + fround(rows[below * dw + x] * f));
    }
  }
  return out;
}

/**
 * show_cam_on_image with use_rgb=True.
 * @param {Uint8ClampedArray} image RGBA bytes of width x height (alpha ignored)
 * @param {ArrayLike<number>} mask width x height values in [0, 1] (NaN allowed)
 * @param {number} imageWeight 0..1
 * @returns {Uint8ClampedArray} RGBA bytes, opaque
 */
export function showCamOnImage(image, mask, width, height, imageWeight) {
  const jet = colormapTable('jet');
  const n = width * height;
  const cam = new Float32Array(n * 3);
  const heatWeight = fround(1 - imageWeight);
  const w = fround(imageWeight);
  let max = -Infinity;
  for (let p = 0; p < n; p++) {
    const m = mask[p];
    let rgb;
    if (Number.isNaN(m)) {
      rgb = NAN_RGB;
    } else {
      const level = Math.trunc(fround(255 * fround(m)));
      const i = level < 0 ? 0 : level > 255 ? 255 : level; // np.uint8 of a value in [0, 255]
      rgb = [jet[i * 3], jet[i * 3 + 1], jet[i * 3 + 2]];
    }
    for (let c = 0; c < 3; c++) {
      const heat = fround(rgb[c] / 255);
      const pixel = fround(image[p * 4 + c] / 255);
      const v = fround(fround(heatWeight * heat) + fround(w * pixel));
      cam[p * 3 + c] = v;
      if (!Number.isNaN(m) && v > max) max = v;
    }
  }
  if (!(max > 0)) max = 1; // nothing finite, or a black image under a zero heatmap
  const out = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      out[p * 4 + c] = Math.trunc(fround(255 * fround(cam[p * 3 + c] / max)));
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}
