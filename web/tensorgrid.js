/* tensorgrid.js -- how a tensor becomes a grid of tiles on the Tensors tab, without the DOM:
 *
 *   kernels       [out, in, kh, kw]: one output channel's kernels, one tile per input channel (the
 *                 seed's VGG11 features[3] figure), or one input channel across every output channel
 *   feature_maps  [C, H, W] or [N, C, H, W] (more leading dimensions count as N): one tile per
 *                 channel of sample n
 *   heatmap       [H, W] (leading dimensions count as N): one tile
 *
 * Without a display.kind hint the shape decides: 4-D with kernels of at most 11 x 11 are kernels,
 * other 3-D and 4-D are feature maps, 2-D and 1-D a heatmap. The grid is painted into an RGBA buffer
 * at an integer scale (nearest neighbour, so every value is a block of one colour) with transparent
 * gaps, and a canvas pixel can be traced back to the tensor index it shows. */

import { NAN_RGB, colorIndex, colormapTable } from './colormaps.js';
import { finiteRange, scaleFor } from './normalize.js';

export const TENSOR_KINDS = ['kernels', 'feature_maps', 'heatmap'];
const MAX_KERNEL_SIDE = 11;
export const GRID_GAP = 2;

const product = (dims) => dims.reduce((a, b) => a * b, 1);

/** What the tensor is drawn as: {kind, shape, out, in, batch, channels, h, w}. */
export function describeTensor(shape, hint) {
  const dims = shape.length;
  let kind = hint;
  if (kind === 'kernels' && dims !== 4) kind = undefined;
  if (kind === 'feature_maps' && dims < 3) kind = 'heatmap';
  if (!TENSOR_KINDS.includes(kind)) {
    if (dims === 4 && shape[2] <= MAX_KERNEL_SIDE && shape[3] <= MAX_KERNEL_SIDE) kind = 'kernels';
    else if (dims >= 3) kind = 'feature_maps';
    else kind = 'heatmap';
  }
  if (kind === 'kernels') {
    return { kind, shape, out: shape[0], in: shape[1], h: shape[2], w: shape[3] };
  }
  if (kind === 'feature_maps') {
    return { kind, shape, batch: product(shape.slice(0, -3)), channels: shape.at(-3), h: shape.at(-2), w: shape.at(-1) };
  }
  if (dims === 1) return { kind, shape, batch: 1, h: 1, w: shape[0] };
  return { kind, shape, batch: product(shape.slice(0, -2)), h: shape.at(-2), w: shape.at(-1) };
}

/**
 * The tiles shown for a selection: [{offset, prefix, label}], each an h x w block of the flat data
 * starting at `offset`; prefix is the tile's leading indices (the pixel adds [y, x]).
 * @param {{axis?: 'out'|'in', channel?: number, n?: number}} selection
 */
export function tilesOf(desc, selection = {}) {
  const tiles = [];
  const size = desc.h * desc.w;
  if (desc.kind === 'kernels') {
    const axis = selection.axis === 'in' ? 'in' : 'out';
    const channel = clampIndex(selection.channel, axis === 'out' ? desc.out : desc.in);
    const count = axis === 'out' ? desc.in : desc.out;
    for (let k = 0; k < count; k++) {
      const [o, i] = axis === 'out' ? [channel, k] : [k, channel];
      tiles.push({ offset: (o * desc.in + i) * size, prefix: [o, i], label: axis === 'out' ? `in ${i}` : `out ${o}` });
    }
    return tiles;
  }
  const n = clampIndex(selection.n, desc.batch);
  const batched = desc.shape.length > (desc.kind === 'feature_maps' ? 3 : 2);
  if (desc.kind === 'feature_maps') {
    for (let c = 0; c < desc.channels; c++) {
      tiles.push({ offset: (n * desc.channels + c) * size, prefix: batched ? [n, c] : [c], label: `channel ${c}` });
    }
    return tiles;
  }
  tiles.push({ offset: n * size, prefix: batched ? [n] : [], label: '' });
  return tiles;
}

function clampIndex(i, size) {
  const k = Number.isInteger(i) ? i : 0;
  return Math.min(Math.max(k, 0), Math.max(size - 1, 0));
}

/**
 * Columns, rows and an integer scale for `count` tiles of h x w within maxWidth CSS pixels:
 * about square, each tile at most maxTile pixels on its longer side.
 */
export function layoutGrid(count, h, w, { maxWidth = 800, maxTile = 360, gap = GRID_GAP } = {}) {
  let cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  const fit = Math.max(1, Math.floor((maxWidth + gap) / (w + gap)));
  cols = Math.min(cols, fit, Math.max(count, 1));
  const byWidth = Math.floor((maxWidth + gap) / cols - gap) / w;
  const scale = Math.max(1, Math.floor(Math.min(byWidth, maxTile / Math.max(h, w))));
  const rows = Math.max(1, Math.ceil(count / cols));
  const tileW = w * scale;
  const tileH = h * scale;
  return {
    count, cols, rows, scale, gap, tileW, tileH, h, w,
    width: cols * tileW + (cols - 1) * gap,
    height: rows * tileH + (rows - 1) * gap,
  };
}

/**
 * Paints the tiles into an RGBA buffer of layout.width x layout.height.
 * @param {Float32Array|Float64Array} data the whole tensor
 * @param {{colormap: string, mode: string, globalRange: object}} options
 */
export function paintGrid(data, tiles, layout, { colormap, mode, globalRange }) {
  const { width, height, cols, scale, gap, tileW, tileH, h, w } = layout;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const lut = colormapTable(colormap);
  const global = globalRange || finiteRange(data);
  tiles.forEach((tile, k) => {
    const scaleOf = scaleFor(mode, finiteRange(data, tile.offset, tile.offset + h * w), global);
    const left = (k % cols) * (tileW + gap);
    const top = Math.floor(k / cols) * (tileH + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = colorIndex(scaleOf(data[tile.offset + y * w + x]));
        const r = i < 0 ? NAN_RGB[0] : lut[i * 3];
        const g = i < 0 ? NAN_RGB[1] : lut[i * 3 + 1];
        const b = i < 0 ? NAN_RGB[2] : lut[i * 3 + 2];
        for (let dy = 0; dy < scale; dy++) {
          let p = ((top + y * scale + dy) * width + left + x * scale) * 4;
          for (let dx = 0; dx < scale; dx++, p += 4) {
            rgba[p] = r;
            rgba[p + 1] = g;
            rgba[p + 2] = b;
            rgba[p + 3] = 255;
          }
        }
      }
    }
  });
  return rgba;
}

/** The tile and cell under grid pixel (px, py): {tile, y, x} or null over a gap or outside. */
export function hitTest(layout, px, py) {
  const { cols, count, gap, tileW, tileH, scale } = layout;
  if (px < 0 || py < 0) return null;
  const col = Math.floor(px / (tileW + gap));
  const row = Math.floor(py / (tileH + gap));
  const inX = px - col * (tileW + gap);
  const inY = py - row * (tileH + gap);
  if (col >= cols || inX >= tileW || inY >= tileH) return null;
  const tile = row * cols + col;
  if (tile >= count) return null;
  return { tile, y: Math.floor(inY / scale), x: Math.floor(inX / scale) };
}

/** "[3, 1, 0, 2] = -0.0123" style text for a hovered cell. */
export function cellText(prefix, y, x, value) {
  return `[${[...prefix, y, x].join(', ')}] = ${formatValue(value)}`;
}

export function formatValue(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  return abs >= 1e-3 && abs < 1e5 ? String(Number(v.toPrecision(5))) : v.toExponential(4);
}

/** The tensor's bytes as numbers: float32 or float64, little-endian. */
export function decodeTensor(buffer, dtype) {
  const bytes = dtype === 'float64' ? 8 : 4;
  const count = Math.floor(buffer.byteLength / bytes);
  const view = new DataView(buffer);
  const out = dtype === 'float64' ? new Float64Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = dtype === 'float64' ? view.getFloat64(i * bytes, true) : view.getFloat32(i * bytes, true);
  return out;
}
