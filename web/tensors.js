/* tensors.js -- the Tensors tab: one card per run and tag, drawn on a canvas from the tensor's raw
 * little-endian bytes (GET /api/v1/blobs/ID): conv kernels [out, in, kh, kw] as the grid of every
 * output filter at one input channel (chosen by a control; the seed's figure of a conv layer), or one
 * output filter's kernels, or for an RGB first layer every filter as a colour tile, feature maps [C, H, W] / [N, C, H, W] as one tile per channel,
 * heatmaps [H, W] as one tile (a feature map a page of 32 or 64 channels at a time, so one card stays
 * a screen or two tall however many channels it has; a tile-size control sets how big a tile is
 * drawn, and a map bigger than its tiles is fetched already reduced by the server to the tile's device
 * pixels, each pixel the mean of the area it covers, so only what is drawn crosses the wire), with the
 * colormaps of colormaps.js and the normalisations of normalize.js; tensorgrid.js lays the tiles out and
 * paints them.
 *
 * A heatmap whose display.overlay names an image tag of the same run is a class-activation map: it
 * is drawn over that tag's image of the same step with pytorch-grad-cam's show_cam_on_image blend
 * (cam.js), with a slider for image_weight. Hovering a pixel names its tensor indices and value;
 * Export PNG downloads what the canvas shows. NaN is drawn magenta and never stops a card. */

import * as api from './api.js';
import { resizeBilinear, showCamOnImage } from './cam.js';
import { COLORMAPS } from './colormaps.js';
import { button, downloadBlob, element } from './dom.js';
import { MediaCard } from './mediacard.js';
import { NORMALIZE_MODES, finiteRange, scaleFor } from './normalize.js';
import { createRunTagTab } from './runtagtab.js';
import {
  areaCellText, cellText, channelPage, coveredSpan, decodeTensor, describeTensor, formatValue, hitTest, kernelView, layoutGrid, paintGrid, tileSize, tilesOf,
} from './tensorgrid.js';

const DEFAULT_COLORMAP = { kernels: 'bwr', feature_maps: 'viridis', heatmap: 'jet' };
const NORMALIZE_TITLES = {
  tile: 'per tile min–max', global: 'global min–max', symmetric: 'symmetric ±max|x|', none: 'none (0..1 as written)',
};
const MAX_CACHED = 4; // tensors kept decoded per card (the steps a slider just passed)
const PAGE_SIZES = [32, 64]; // feature-map channels drawn at once
const TILE = { min: 16, max: 360, step: 8 }; // the tile-size control, CSS px on a tile's longer side

/** The default tile size: one tile may fill the card; in a grid, tiles stay small enough to see many
 * (a page of 32 feature maps at 64 px is 0.5 MB fetched, at 96 px it would be 1.2 MB). */
function defaultTile(kind, count) {
  if (count <= 1) return 360;
  return kind === 'feature_maps' ? 64 : 120;
}

/** The ?size= to fetch a feature map's planes at: its tiles' side in device pixels (at most 2 per CSS
 * pixel), or null when the planes are no bigger than that and come whole. */
function reducedSide(desc, tileCss) {
  const side = Math.ceil(tileCss * Math.min(2, window.devicePixelRatio || 1));
  return Math.max(desc.h, desc.w) > side ? side : null;
}

function selectControl(labelText, options, onChange) {
  const label = element('label', 'control');
  label.append(element('span', 'control-label', labelText));
  const select = element('select', 'control-select');
  for (const [value, text] of options) {
    const option = element('option', null, text);
    option.value = value;
    select.append(option);
  }
  select.addEventListener('change', () => onChange(select.value));
  label.append(select);
  return { el: label, select };
}

function rangeControl(labelText, onChange, { step = 1 } = {}) {
  const label = element('label', 'control');
  label.append(element('span', 'control-label', labelText));
  const input = element('input', 'control-range');
  Object.assign(input, { type: 'range', min: '0', max: '0', step: String(step), value: '0' });
  const value = element('span', 'control-value');
  input.addEventListener('input', () => onChange(Number(input.value)));
  label.append(input, value);
  return { el: label, input, value };
}

/** A safe file name: run_tag_step12.png with anything odd replaced. */
export function exportName(run, tag, step) {
  return `${run}_${tag}_step${step}`.replace(/[^A-Za-z0-9._=-]+/g, '_').slice(0, 150) + '.png';
}

class TensorCard extends MediaCard {
  constructor(tag, run, ctx) {
    super(tag, run, ctx, 'tensor-card');
    this.view = { page: 0, pageSize: PAGE_SIZES[0], tile: null, axis: 'in', channel: 0, n: 0, index: 0, colormap: null, normalize: null, weight: null, overlay: true };
    this.cache = new Map(); // blob url -> {data, range}
    this.images = new Map(); // image blob url -> {width, height, rgba}
    this.hover = null;
    this.shown = null; // what was drawn last, for tests

    const set = (patch) => {
      Object.assign(this.view, patch);
      this.requestDraw();
    };
    this.indexControl = rangeControl('Index', (index) => set({ index }));
    this.axisControl = selectControl('Show', [['in', 'every output filter'], ['out', 'one output filter'],
      ['rgb', 'filters as RGB colour']], (axis) => set({ axis, channel: 0 }));
    this.channelControl = rangeControl('Input channel', (channel) => set({ channel }));
    this.sampleControl = rangeControl('Sample', (n) => set({ n, page: 0 }));
    this.pager = element('span', 'control pager');
    this.prevPage = button('‹', 'Previous channels', () => set({ page: this.view.page - 1 }));
    this.nextPage = button('›', 'Next channels', () => set({ page: this.view.page + 1 }));
    this.pageText = element('span', 'control-value page-text');
    this.pager.append(element('span', 'control-label', 'Channels'), this.prevPage, this.pageText, this.nextPage);
    this.pageSizeControl = selectControl('Per page', PAGE_SIZES.map((n) => [String(n), String(n)]),
      (size) => set({ pageSize: Number(size), page: 0 }));
    this.tileControl = rangeControl('Tile', (tile) => set({ tile }), { step: TILE.step });
    Object.assign(this.tileControl.input, { min: String(TILE.min), max: String(TILE.max) });
    this.colormapControl = selectControl('Colormap', COLORMAPS.map((c) => [c, c]), (colormap) => set({ colormap }));
    this.normalizeControl = selectControl('Normalize', [...NORMALIZE_MODES, 'none'].map((m) => [m, NORMALIZE_TITLES[m]]),
      (normalize) => set({ normalize }));
    const overlay = element('label', 'control control-check');
    this.overlayBox = element('input');
    this.overlayBox.type = 'checkbox';
    this.overlayBox.checked = true;
    this.overlayBox.addEventListener('change', () => set({ overlay: this.overlayBox.checked }));
    this.overlayLabel = element('span', 'control-label', 'Overlay');
    overlay.append(this.overlayBox, this.overlayLabel);
    this.overlayControl = { el: overlay };
    this.weightControl = rangeControl('Image weight', (weight) => set({ weight }), { step: 0.05 });
    this.weightControl.input.max = '1';
    this.controls = element('div', 'tensor-controls');
    this.controls.append(this.indexControl.el, this.axisControl.el, this.channelControl.el, this.sampleControl.el,
      this.colormapControl.el, this.normalizeControl.el, this.overlayControl.el, this.weightControl.el,
      this.tileControl.el, this.pager, this.pageSizeControl.el);

    this.canvasBox = element('div', 'tensor-box');
    this.canvas = element('canvas', 'tensor-canvas');
    this.canvas.width = 0;
    this.canvas.height = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `Tensor ${tag} of run ${run}`);
    this.tooltip = element('div', 'tensor-tooltip');
    this.tooltip.hidden = true;
    this.canvasBox.append(this.canvas, this.tooltip);
    this.canvas.addEventListener('mousemove', (event) => this.onHover(event));
    this.canvas.addEventListener('mouseleave', () => {
      this.tooltip.hidden = true;
    });
    this.info = element('div', 'tensor-info');
    this.body.append(this.controls, this.canvasBox, this.info);
    this.actions.append(button('Export PNG', 'Download what the canvas shows as a PNG file', () => this.exportPng()));
  }

  async fetchData() {
    const body = await api.getTensors(this.tag, [this.run]);
    return body.series.find((s) => s.run === this.run)?.items || [];
  }

  /** The tensor of `item` decoded, with its finite range; given a page {start, end} of a paged feature
   * map, only those channels (the server slices them: ?channels=START:END), and given a size, every plane
   * reduced to at most size x size (?size=N, float32); a part has the whole tensor's range from the
   * listing, so "global" and "symmetric" mean the same on every page and at every size. */
  async tensorOf(item, { page = null, size = null } = {}) {
    const whole = page === null && size === null;
    const url = whole ? item.url : api.tensorPartUrl(item, { page, size });
    if (!this.cache.has(url)) {
      const buffer = await api.getBlobBytes(url);
      const data = decodeTensor(buffer, size ? 'float32' : item.dtype);
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value);
      const range = finiteRange(data);
      this.cache.set(url, { data, range: whole ? range : itemRange(item, range) });
    }
    return this.cache.get(url);
  }

  /** RGBA pixels of an image blob, decoded by the browser. */
  async imagePixels(url) {
    if (!this.images.has(url)) {
      const img = new Image();
      img.src = api.blobSrc(url);
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const g = canvas.getContext('2d', { willReadFrequently: true });
      g.drawImage(img, 0, 0);
      const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
      if (this.images.size >= MAX_CACHED) this.images.delete(this.images.keys().next().value);
      this.images.set(url, { width: canvas.width, height: canvas.height, rgba: data });
    }
    return this.images.get(url);
  }

  /** The overlay image item for a CAM at `item`'s step: the same index if there is one, else the first. */
  async overlayItem(item, overlayTag) {
    const body = await api.getImages(overlayTag, [this.run]);
    const items = (body.series.find((s) => s.run === this.run)?.items || []).filter((i) => i.step === item.step);
    return items.find((i) => i.index === item.index) || items[0] || null;
  }

  async render(seq) {
    const items = this.stepItems();
    setRange(this.indexControl, items.length, this.view.index);
    this.indexControl.el.hidden = items.length <= 1;
    if (items.length === 0) {
      this.clear();
      this.setNote('no tensors');
      return;
    }
    const item = items.find((i) => i.index === this.view.index) || items[0];
    const display = item.display || {};
    // A feature map of more channels than a page fetches only the page's channels.
    const fullDesc = describeTensor(item.shape, display.kind);
    const paging = fullDesc.kind === 'feature_maps' ? channelPage(fullDesc.channels, this.view.pageSize, this.view.page) : null;
    const sliced = paging !== null && paging.pages > 1;
    let shape = sliced ? item.shape.map((d, i) => (i === item.shape.length - 3 ? paging.end - paging.start : d)) : item.shape;
    // A feature map bigger than its tiles comes reduced to them (the tile's side in device pixels).
    const tileCss = this.view.tile ?? defaultTile('feature_maps', paging ? paging.end - paging.start : 0);
    const size = fullDesc.kind === 'feature_maps' ? reducedSide(fullDesc, tileCss) : null;
    const reduced = size ? tileSize(fullDesc.h, fullDesc.w, size) : null;
    if (reduced) shape = [...shape.slice(0, -2), reduced.h, reduced.w];
    const { data, range } = await this.tensorOf(item, { page: sliced ? paging : null, size });
    if (seq !== this.drawSeq) return;
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      this.clear();
      this.setNote(`cannot draw: ${data.length} values for shape [${shape.join(', ')}]`, true);
      return;
    }
    const desc = describeTensor(shape, fullDesc.kind);
    const isCam = desc.kind === 'heatmap' && typeof display.overlay === 'string';
    const colormap = this.view.colormap || display.colormap || DEFAULT_COLORMAP[desc.kind];
    const inUnitRange = range.min !== null && range.min >= 0 && range.max <= 1;
    const mode = this.view.normalize || display.normalize || (isCam && inUnitRange ? 'none' : 'tile');
    const weight = this.view.weight ?? display.image_weight ?? 0.5;
    this.syncControls(desc, { colormap, mode, weight, isCam });

    let tiles = tilesOf(desc, { axis: this.view.axis, channel: this.view.channel, n: this.view.n });
    if (paging) this.view.page = paging.page;
    if (sliced) tiles = tiles.map((tile) => renumberChannel(tile, paging.start)); // the page's channels are start..end-1
    const maxTile = this.view.tile ?? defaultTile(desc.kind, tiles.length);
    this.syncGridControls(fullDesc, paging, maxTile, tiles.length > 1 || desc.kind !== 'heatmap');
    const maxWidth = Math.max(160, this.canvasBox.clientWidth || 400);
    let note = '';
    if (isCam && this.view.overlay) {
      const image = await this.overlayItem(item, display.overlay);
      if (seq !== this.drawSeq) return;
      if (image) {
        const pixels = await this.imagePixels(image.url);
        if (seq !== this.drawSeq) return;
        this.drawCam(data, range, desc, tiles[0], pixels, { mode, weight, maxWidth, image });
        this.info.textContent = this.infoText(item, range);
        this.setNote(`class-activation map over "${display.overlay}" #${image.index}, image weight ${weight}`);
        return;
      }
      note = `no image "${display.overlay}" at step ${item.step}: the heatmap alone`;
    }
    const layout = layoutGrid(tiles.length, desc.h, desc.w, { maxWidth, maxTile });
    const rgba = paintGrid(data, tiles, layout, { colormap, mode, globalRange: range });
    this.putPixels(rgba, layout.width, layout.height, layout.width * layout.cssScale);
    this.hover = { type: 'grid', layout, tiles, data, desc, full: reduced ? fullDesc : null };
    this.shown = { type: 'grid', kind: desc.kind, tiles: tiles.length, colormap, mode, step: item.step, index: item.index,
      width: layout.width, height: layout.height, scale: layout.scale, gap: layout.gap, cols: layout.cols,
      cssScale: layout.cssScale, maxTile, channels: paging ? [paging.start, paging.end] : null, sliced, size,
      planes: [desc.h, desc.w],
      view: desc.kind === 'kernels' ? kernelView(desc, this.view.axis) : null };
    this.info.textContent = this.infoText(item, range, sliced ? paging : null);
    this.setNote(note || tileNote(fullDesc, { ...this.view, size: reduced }, tiles.length, paging), false);
  }

  /** The pager (feature maps with more channels than a page) and the tile-size control (grids). */
  syncGridControls(desc, paging, maxTile, isGrid) {
    const paged = paging !== null && paging.pages > 1;
    this.pager.hidden = !paged;
    this.pageSizeControl.el.hidden = !(paging !== null && desc.channels > PAGE_SIZES[0]);
    this.pageSizeControl.select.value = String(this.view.pageSize);
    if (paging) {
      this.prevPage.disabled = paging.page === 0;
      this.nextPage.disabled = paging.page >= paging.pages - 1;
      this.pageText.textContent = `${paging.start}–${paging.end - 1} of ${desc.channels}`;
    }
    this.tileControl.el.hidden = !isGrid;
    this.tileControl.input.value = String(maxTile);
    this.tileControl.value.textContent = `${maxTile}px`;
  }

  drawCam(data, range, desc, tile, pixels, { mode, weight, maxWidth, image }) {
    const { width, height, rgba } = pixels;
    const size = desc.h * desc.w;
    const scale = scaleFor(mode, finiteRange(data, tile.offset, tile.offset + size), range);
    const mask = new Float32Array(size);
    for (let i = 0; i < size; i++) mask[i] = scale(data[tile.offset + i]);
    const resized = resizeBilinear(mask, desc.h, desc.w, height, width);
    const out = showCamOnImage(rgba, resized, width, height, weight);
    const cssWidth = Math.min(maxWidth, Math.max(width, Math.min(320, width * 8)));
    this.putPixels(out, width, height, cssWidth);
    this.hover = { type: 'cam', width, height, tile, data, desc };
    this.shown = { type: 'cam', kind: desc.kind, tiles: 1, mode, weight, step: image.step, width, height, overlay: image.url };
  }

  putPixels(rgba, width, height, cssWidth) {
    this.canvas.width = width;
    this.canvas.height = height;
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.style.height = `${(height * cssWidth) / width}px`;
    const g = this.canvas.getContext('2d');
    g.putImageData(new ImageData(rgba, width, height), 0, 0);
  }

  clear() {
    this.canvas.width = 0;
    this.canvas.height = 0;
    this.hover = null;
    this.shown = null;
    this.info.textContent = '';
  }

  infoText(item, range, page = null) {
    const stats = range.min === null ? 'no finite values' : `min ${fmt(range.min)} · max ${fmt(range.max)}`;
    const nan = range.nan ? ` · ${range.nan} NaN${page ? ` in channels ${page.start}–${page.end - 1}` : ''}` : '';
    return `[${item.shape.join(', ')}] ${item.dtype} · ${stats}${nan}`;
  }

  syncControls(desc, { colormap, mode, weight, isCam }) {
    const kernels = desc.kind === 'kernels';
    const view = kernels ? kernelView(desc, this.view.axis) : null;
    this.axisControl.el.hidden = !kernels;
    this.channelControl.el.hidden = !kernels || view === 'rgb';
    if (kernels) {
      const rgbOption = this.axisControl.select.querySelector('option[value="rgb"]');
      rgbOption.hidden = rgbOption.disabled = desc.in !== 3; // colour tiles need three input channels
      this.axisControl.select.value = view;
      this.channelControl.el.firstChild.textContent = view === 'out' ? 'Output filter' : 'Input channel';
      if (view !== 'rgb') setRange(this.channelControl, view === 'out' ? desc.out : desc.in, this.view.channel);
    }
    const batched = !kernels && desc.batch > 1;
    this.sampleControl.el.hidden = !batched;
    if (batched) setRange(this.sampleControl, desc.batch, this.view.n);
    const camShown = isCam && this.view.overlay;
    // show_cam_on_image is always jet; colour tiles are their own colours
    this.colormapControl.el.hidden = camShown || view === 'rgb';
    this.colormapControl.select.value = colormap;
    this.normalizeControl.select.value = mode;
    this.overlayControl.el.hidden = !isCam;
    this.weightControl.el.hidden = !camShown;
    this.weightControl.input.value = String(weight);
    this.weightControl.value.textContent = Number(weight).toFixed(2);
  }

  onHover(event) {
    const hover = this.hover;
    if (!hover || !this.canvas.clientWidth) return;
    const px = Math.floor((event.offsetX * this.canvas.width) / this.canvas.clientWidth);
    const py = Math.floor((event.offsetY * this.canvas.height) / this.canvas.clientHeight);
    let text = null;
    if (hover.type === 'grid') {
      const hit = hitTest(hover.layout, px, py);
      if (hit) {
        const tile = hover.tiles[hit.tile];
        const at = tile.offset + hit.y * hover.desc.w + hit.x;
        if (tile.rgb) {
          const size = hover.desc.h * hover.desc.w;
          const rgb = [0, 1, 2].map((c) => formatValue(hover.data[at + c * size])).join(', ');
          text = `[${tile.prefix[0]}, 0:3, ${hit.y}, ${hit.x}] = (${rgb})`;
        } else if (hover.full) {
          const rows = coveredSpan(hit.y, hover.full.h, hover.desc.h);
          const cols = coveredSpan(hit.x, hover.full.w, hover.desc.w);
          text = areaCellText(tile.prefix, rows, cols, hover.data[at]);
        } else {
          text = cellText(tile.prefix, hit.y, hit.x, hover.data[at]);
        }
      }
    } else if (px >= 0 && py >= 0 && px < hover.width && py < hover.height) {
      const y = Math.min(hover.desc.h - 1, Math.floor((py * hover.desc.h) / hover.height));
      const x = Math.min(hover.desc.w - 1, Math.floor((px * hover.desc.w) / hover.width));
      text = `${cellText(hover.tile.prefix, y, x, hover.data[hover.tile.offset + y * hover.desc.w + x])} · pixel (${px}, ${py})`;
    }
    this.tooltip.hidden = text === null;
    if (text === null) return;
    this.tooltip.textContent = text;
    const boxWidth = this.canvasBox.clientWidth;
    const left = event.offsetX + this.canvas.offsetLeft + 14;
    this.tooltip.style.left = `${Math.max(0, Math.min(left, boxWidth - this.tooltip.offsetWidth))}px`;
    this.tooltip.style.top = `${event.offsetY + this.canvas.offsetTop + 14}px`;
  }

  exportPng() {
    if (!this.shown) return;
    const name = exportName(this.run, this.tag, this.slider.step);
    this.canvas.toBlob((blob) => {
      if (blob) downloadBlob(name, blob);
    }, 'image/png');
  }

  debug() {
    return { ...super.debug(), shown: this.shown, view: { ...this.view } };
  }
}

/** The whole tensor's range from the listing (min, max of its finite values), with the page's NaN count;
 * the page's own range when the listing has none. */
function itemRange(item, page) {
  if (typeof item.min !== 'number' || typeof item.max !== 'number') return page;
  return { min: item.min, max: item.max, absMax: Math.max(Math.abs(item.min), Math.abs(item.max)), finite: page.finite, nan: page.nan };
}

/** A tile of a page of channels, named by its channel in the whole tensor (start + its index in the page). */
function renumberChannel(tile, start) {
  const prefix = [...tile.prefix];
  prefix[prefix.length - 1] += start;
  return { ...tile, prefix, label: `channel ${prefix.at(-1)}` };
}

function setRange(control, size, value) {
  control.input.max = String(Math.max(0, size - 1));
  control.input.value = String(Math.min(value, Math.max(0, size - 1)));
  control.input.disabled = size <= 1;
  control.value.textContent = `${control.input.value} / ${Math.max(0, size - 1)}`;
}

function fmt(v) {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

function tileNote(desc, view, count, paging) {
  if (desc.kind === 'kernels') {
    const axis = kernelView(desc, view.axis);
    if (axis === 'rgb') return `${count} filters ${desc.h}×${desc.w}, input channels 0, 1, 2 as red, green, blue`;
    return axis === 'in'
      ? `${count} filters ${desc.h}×${desc.w} at input channel ${Math.min(view.channel, desc.in - 1)} of ${desc.in}`
      : `output filter ${Math.min(view.channel, desc.out - 1)}: ${count} kernels ${desc.h}×${desc.w}, one per input channel`;
  }
  if (desc.kind === 'feature_maps') {
    const sample = desc.batch > 1 ? `, sample ${Math.min(view.n, desc.batch - 1)}` : '';
    const reduced = view.size ? `, fetched as ${view.size.h}×${view.size.w} area means` : '';
    if (paging && paging.pages > 1) return `channels ${paging.start}–${paging.end - 1} of ${desc.channels}, ${desc.h}×${desc.w}${sample}${reduced}`;
    return `${count} channels ${desc.h}×${desc.w}${sample}${reduced}`;
  }
  return `heatmap ${desc.h}×${desc.w}`;
}

export function createTensorsTab(ctx) {
  return createRunTagTab(ctx, {
    cardNoun: ['card', 'cards'],
    id: 'tensors',
    title: 'Tensors',
    kind: 'tensors',
    filterKey: 'tensorTagFilter',
    settings: null,
    drawKeys: [],
    emptyText: 'No tensors yet. Write some with POST /api/v1/write ("tensors") or POST /api/v1/tensors and they will appear here.',
    createCard: (tag, run) => new TensorCard(tag, run, ctx),
    runWideKinds: ['images'], // a CAM redraws when its overlay image arrives
  });
}
