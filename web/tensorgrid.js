/* tensorgrid.js -- how a tensor becomes a grid of tiles on the Tensors tab, without the DOM:
 *
 *   kernels       [out, in, kh, kw]: by default one input channel across every output filter (one
 *                 tile per filter: the seed's grid of a conv layer's 64 filters); or one output
 *                 filter's kernels, a tile per input channel; or, for a first layer on RGB input
 *                 (in = 3), every filter as one colour tile, its three input channels as R, G, B
 *   feature_maps  [C, H, W] or [N, C, H, W] (more leading dimensions count as N): one tile per
 *                 channel of sample n
 *   heatmap       [H, W] (leading dimensions count as N): one tile
 *
 * Without a display.kind hint the shape decides: 4-D with kernels of at most 11 x 11 are kernels,
 * other 3-D and 4-D are feature maps, 2-D and 1-D a heatmap. The grid is painted into an RGBA buffer
 * at an integer scale (nearest neighbour, so every value is a block of one colour) with gaps in a
 * neutral grey: white gaps would vanish into bwr's white zero, and a transparent gap shows the white
 * card. A canvas pixel can be traced back to the tensor index it shows. */

import { NAN_RGB, colorIndex, colormapTable } from './colormaps.js';
import { finiteRange, scaleFor } from './normalize.js';

export const TENSOR_KINDS = ['kernels', 'feature_maps', 'heatmap'];
const MAX_KERNEL_SIDE = 11;
export const GRID_GAP = 3;
export const GAP_RGB = [112, 112, 112]; // neutral grey: neither bwr's white zero nor either of its ends
// Colour tiles centre on grey (a weight of 0 is half intensity in every channel): white sets them apart.
export const RGB_GAP_RGB = [255, 255, 255];
export const KERNEL_VIEWS = ['in', 'out', 'rgb']; // across output filters; of one output filter; RGB tiles

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

/** The kernel view a selection asks for, or 'in' (every output filter) when it cannot be shown:
 * colour tiles need exactly three input channels. */
export function kernelView(desc, axis) {
  if (axis === 'rgb') return desc.in === 3 ? 'rgb' : 'in';
  return axis === 'out' ? 'out' : 'in';
}

/**
 * The tiles shown for a selection: [{offset, prefix, label, rgb?}], each an h x w block of the flat
 * data starting at `offset`; prefix is the tile's leading indices (the pixel adds [y, x]). An rgb
 * tile is three such blocks one after the other (the filter's input channels 0, 1, 2).
 * @param {{axis?: 'in'|'out'|'rgb', channel?: number, n?: number}} selection
 */
export function tilesOf(desc, selection = {}) {
  const tiles = [];
  const size = desc.h * desc.w;
  if (desc.kind === 'kernels') {
    const axis = kernelView(desc, selection.axis);
    if (axis === 'rgb') {
      for (let o = 0; o < desc.out; o++) tiles.push({ offset: o * 3 * size, prefix: [o], label: `out ${o}`, rgb: true });
      return tiles;
    }
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
 * Columns, rows and a scale for `count` tiles of h x w within maxWidth CSS pixels: about square, each
 * tile at most maxTile CSS pixels on its longer side. A tile smaller than that is enlarged by an
 * integer scale (every value a block of one colour); a bigger one (a 224 x 224 feature map) is painted
 * 1:1 and the whole canvas shown smaller, cssScale < 1, with gaps widened so they stay GRID_GAP wide on
 * screen. width and height are the canvas's pixels; its CSS width is width * cssScale.
 */
export function layoutGrid(count, h, w, { maxWidth = 800, maxTile = 360, gap = GRID_GAP } = {}) {
  const side = Math.max(h, w, 1);
  const cssScale = side > maxTile ? maxTile / side : 1;
  const paintGap = cssScale < 1 ? Math.ceil(gap / cssScale) : gap;
  const room = maxWidth / cssScale; // the width available, in canvas pixels
  let cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  const fit = Math.max(1, Math.floor((room + paintGap) / (w + paintGap)));
  cols = Math.min(cols, fit, Math.max(count, 1));
  const byWidth = Math.floor((room + paintGap) / cols - paintGap) / w;
  const scale = cssScale < 1 ? 1 : Math.max(1, Math.floor(Math.min(byWidth, maxTile / side)));
  const rows = Math.max(1, Math.ceil(count / cols));
  const tileW = w * scale;
  const tileH = h * scale;
  return {
    count, cols, rows, scale, gap: paintGap, tileW, tileH, h, w, cssScale,
    width: cols * tileW + (cols - 1) * paintGap,
    height: rows * tileH + (rows - 1) * paintGap,
  };
}

/** The channels one page of a feature map shows: [start, end) of page `page` (clamped), pages. */
export function channelPage(channels, pageSize, page) {
  const pages = Math.max(1, Math.ceil(channels / pageSize));
  const p = Math.min(Math.max(Number.isInteger(page) ? page : 0, 0), pages - 1);
  return { start: p * pageSize, end: Math.min(channels, (p + 1) * pageSize), page: p, pages };
}

/** The height and width the server reduces an h x w plane to for ?size=side (docs/API.md): unchanged when
 * it fits, else the longer side becomes `side` and the other keeps the aspect, rounded, at least 1. */
export function tileSize(h, w, side) {
  const longer = Math.max(h, w);
  if (longer <= side) return { h, w };
  const scaled = (n) => Math.max(1, Math.floor((n * side + Math.floor(longer / 2)) / longer));
  return { h: scaled(h), w: scaled(w) };
}

/** The input rows (or columns) [from, to) that pixel k of an axis of `n` pixels reduced to `m` covers. */
export function coveredSpan(k, n, m) {
  return [Math.floor((k * n) / m), Math.min(n, Math.ceil(((k + 1) * n) / m))];
}

/**
 * Paints the tiles into an RGBA buffer of layout.width x layout.height.
 * @param {Float32Array|Float64Array} data the whole tensor
 * @param {{colormap: string, mode: string, globalRange: object}} options
 */
export function paintGrid(data, tiles, layout, { colormap, mode, globalRange }) {
  const { width, height, cols, scale, gap, tileW, tileH, h, w } = layout;
  const rgba = new Uint8ClampedArray(width * height * 4);
  paintGaps(rgba, layout, tiles[0]?.rgb ? RGB_GAP_RGB : GAP_RGB);
  const lut = colormapTable(colormap);
  const global = globalRange || finiteRange(data);
  const size = h * w;
  tiles.forEach((tile, k) => {
    // An rgb tile is normalised over its three channels together, so the filter's hue survives.
    const scaleOf = scaleFor(mode, finiteRange(data, tile.offset, tile.offset + (tile.rgb ? 3 : 1) * size), global);
    const left = (k % cols) * (tileW + gap);
    const top = Math.floor(k / cols) * (tileH + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let r;
        let g;
        let b;
        const at = tile.offset + y * w + x;
        if (tile.rgb) {
          const [tr, tg, tb] = [scaleOf(data[at]), scaleOf(data[at + size]), scaleOf(data[at + 2 * size])];
          const nan = Number.isNaN(tr) || Number.isNaN(tg) || Number.isNaN(tb);
          [r, g, b] = nan ? NAN_RGB : [Math.round(tr * 255), Math.round(tg * 255), Math.round(tb * 255)];
        } else {
          const i = colorIndex(scaleOf(data[at]));
          r = i < 0 ? NAN_RGB[0] : lut[i * 3];
          g = i < 0 ? NAN_RGB[1] : lut[i * 3 + 1];
          b = i < 0 ? NAN_RGB[2] : lut[i * 3 + 2];
        }
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

/** The gaps between tiles in `color`; the empty place after the last tile stays transparent. */
function paintGaps(rgba, { width, cols, rows, count, gap, tileW, tileH }, color) {
  const fill = (x0, y0, x1, y1) => {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) rgba.set([...color, 255], (y * width + x) * 4);
    }
  };
  for (let row = 0; row < rows; row++) {
    const inRow = Math.min(cols, count - row * cols);
    const top = row * (tileH + gap);
    for (let col = 1; col < inRow; col++) fill(col * (tileW + gap) - gap, top, col * (tileW + gap), top + tileH);
    if (row > 0) fill(0, top - gap, width, top); // under a full row
  }
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

/** "[3, 40:44, 12:16] mean = 0.0123": a pixel of a reduced plane, the mean of the rows and columns it covers. */
export function areaCellText(prefix, rows, cols, value) {
  const span = ([from, to]) => (to - from === 1 ? String(from) : `${from}:${to}`);
  return `[${[...prefix, span(rows), span(cols)].join(', ')}] ${rows[1] - rows[0] > 1 || cols[1] - cols[0] > 1 ? 'mean ' : ''}= ${formatValue(value)}`;
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
