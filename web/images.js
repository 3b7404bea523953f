/* images.js -- the Images tab: one card per run and tag, a step slider, every image (index) of the
 * step in a grid; brightness, contrast and actual size in the sidebar apply to every card (CSS
 * filters, as TensorBoard's image dashboard has them); a click (or Enter on a focused thumbnail) enlarges an image in a dialog.
 *
 * Images are drawn at the card's width (the toolbar's card-width control sizes them), never enlarged
 * past imagesize.js's limit and pixelated when enlarged; "actual size" draws them 1:1 and the card
 * scrolls rather than cropping them.
 *
 * Images are shown with <img> from their blob URL: the browser decodes them, and the server only
 * stores PNG, JPEG, GIF and WebP checked by magic bytes, so no image can carry a script. */

import * as api from './api.js';
import { element } from './dom.js';
import { isEnlarged, maxDisplayWidth, tileMinWidth } from './imagesize.js';
import { MediaCard } from './mediacard.js';
import { createRunTagTab } from './runtagtab.js';

/** The CSS filter for brightness and contrast factors (1 = unchanged). */
export function imageFilter(brightness, contrast) {
  return brightness === 1 && contrast === 1 ? '' : `brightness(${brightness}) contrast(${contrast})`;
}

class ImageCard extends MediaCard {
  constructor(tag, run, ctx, viewer) {
    super(tag, run, ctx, 'image-card');
    this.viewer = viewer;
    this.grid = element('div', 'image-grid');
    this.body.append(this.grid);
    this.shownKey = null;
    // The card's width changes with the window and the card-width control: whether an image is
    // enlarged (pixelated) follows it.
    this.resizeObserver = new ResizeObserver(() => this.markEnlarged());
    this.resizeObserver.observe(this.grid);
  }

  async fetchData() {
    const body = await api.getImages(this.tag, [this.run]);
    return body.series.find((s) => s.run === this.run)?.items || [];
  }

  render() {
    const items = this.stepItems();
    const key = items.map((item) => item.url).join(' ');
    if (key !== this.shownKey) {
      this.shownKey = key;
      this.grid.replaceChildren(...items.map((item) => this.figure(item)));
      if (items.length) this.grid.style.setProperty('--tile', `${tileMinWidth(Math.min(...items.map((i) => i.width)))}px`);
    }
    this.applyDisplay();
    const step = this.slider.step;
    if (items.length === 0) this.setNote('no images');
    else this.setNote(`${items.length} image${items.length === 1 ? '' : 's'} at step ${step} · ${items[0].width}×${items[0].height} ${items[0].type}`);
  }

  figure(item) {
    const fig = element('figure', 'image-item');
    const img = element('img', 'image');
    img.src = api.blobSrc(item.url);
    img.alt = `${this.tag}, step ${item.step}, image ${item.index}`;
    img.width = item.width;
    img.height = item.height;
    img.style.maxWidth = `${maxDisplayWidth(item.width)}px`;
    img.decoding = 'async';
    img.title = 'Click to enlarge';
    // Reachable with Tab; Enter or Space enlarges, Escape (the dialog's own) closes.
    img.tabIndex = 0;
    img.setAttribute('role', 'button');
    const open = () => this.viewer.open(item, this.tag, this.run, img.style.filter);
    img.addEventListener('click', open);
    img.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      open();
    });
    const caption = element('figcaption', 'image-caption', `#${item.index}`);
    fig.append(img, caption);
    return fig;
  }

  applyDisplay() {
    const { state } = this.ctx;
    const filter = imageFilter(state.imageBrightness, state.imageContrast);
    this.grid.classList.toggle('actual-size', state.imageActualSize);
    for (const img of this.grid.querySelectorAll('img')) img.style.filter = filter;
    this.markEnlarged();
  }

  /** Pixelated where an image is drawn wider than its pixels, smooth where it is shrunk. */
  markEnlarged() {
    for (const img of this.grid.querySelectorAll('img')) {
      img.classList.toggle('enlarged', isEnlarged(img.getBoundingClientRect().width, Number(img.getAttribute('width'))));
    }
  }

  destroy() {
    this.resizeObserver.disconnect();
    super.destroy();
  }

  debug() {
    const imgs = [...this.grid.querySelectorAll('img')];
    return { ...super.debug(), images: imgs.length,
      shown: imgs.map((img) => ({ width: img.getBoundingClientRect().width, enlarged: img.classList.contains('enlarged') })) };
  }
}

/** The enlarge dialog, one per tab. */
function createViewer() {
  const dialog = element('dialog', 'image-viewer');
  dialog.setAttribute('aria-label', 'Enlarged image');
  const bar = element('div', 'viewer-bar');
  const caption = element('span', 'viewer-caption');
  const close = element('button', 'card-button', 'Close');
  close.type = 'button';
  close.addEventListener('click', () => dialog.close());
  bar.append(caption, close);
  dialog.append(bar);
  // A click on the backdrop (the dialog itself, outside its content) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  // The <img> exists only while the dialog is open: a closed viewer loads nothing.
  dialog.addEventListener('close', () => dialog.querySelector('.viewer-image')?.remove());
  return {
    el: dialog,
    open(item, tag, run, filter) {
      const img = element('img', 'viewer-image');
      dialog.querySelector('.viewer-image')?.remove();
      dialog.append(img);
      img.src = api.blobSrc(item.url);
      img.alt = `${tag}, step ${item.step}, image ${item.index}`;
      img.style.filter = filter;
      caption.textContent = `${run} · ${tag} · step ${item.step} · #${item.index} · ${item.width}×${item.height}`;
      dialog.showModal();
    },
  };
}

function rangeSetting(ctx, { label, key, min, max, step }) {
  const el = element('div', 'setting');
  const title = element('label', 'setting-label', label);
  const row = element('div', 'smoothing-row');
  const input = element('input');
  Object.assign(input, { type: 'range', min: String(min), max: String(max), step: String(step) });
  input.id = `setting-${key}`;
  title.htmlFor = input.id;
  const value = element('span', 'setting-value');
  input.addEventListener('input', () => ctx.setState({ [key]: Number(input.value) }));
  row.append(input, value);
  el.append(title, row);
  const sync = () => {
    input.value = String(ctx.state[key]);
    value.textContent = `${Math.round(ctx.state[key] * 100)}%`;
  };
  return { el, sync };
}

function buildSettings(ctx) {
  const panel = element('section', 'panel settings');
  panel.append(element('h3', 'panel-title', 'Image settings'));
  const brightness = rangeSetting(ctx, { label: 'Brightness', key: 'imageBrightness', min: 0, max: 3, step: 0.05 });
  const contrast = rangeSetting(ctx, { label: 'Contrast', key: 'imageContrast', min: 0, max: 3, step: 0.05 });
  const actual = element('label', 'setting-check');
  const actualBox = element('input');
  actualBox.type = 'checkbox';
  actualBox.addEventListener('change', () => ctx.setState({ imageActualSize: actualBox.checked }));
  actual.append(actualBox, element('span', null, 'Show actual image size'));
  const reset = element('button', 'card-button', 'Reset');
  reset.type = 'button';
  reset.addEventListener('click', () => ctx.setState({ imageBrightness: 1, imageContrast: 1 }));
  panel.append(brightness.el, contrast.el, actual, reset);
  const sync = () => {
    brightness.sync();
    contrast.sync();
    actualBox.checked = ctx.state.imageActualSize;
  };
  return { panel, sync };
}

export function createImagesTab(ctx) {
  const settings = buildSettings(ctx);
  const viewer = createViewer();
  const tab = createRunTagTab(ctx, {
    cardNoun: ['card', 'cards'],
    id: 'images',
    title: 'Images',
    kind: 'images',
    filterKey: 'imageTagFilter',
    settings: settings.panel,
    onShow: settings.sync,
    drawKeys: ['imageBrightness', 'imageContrast', 'imageActualSize'],
    emptyText: 'No images yet. Write some with POST /api/v1/write ("images") or POST /api/v1/images and they will appear here.',
    createCard: (tag, run) => new ImageCard(tag, run, ctx, viewer),
  });
  tab.content.append(viewer.el);
  const update = tab.update;
  tab.update = (change) => {
    if (change.type === 'state') settings.sync();
    update(change);
  };
  return tab;
}
