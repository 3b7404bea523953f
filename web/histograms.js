/* histograms.js -- the Histograms tab: one card per run and tag, each the steps of one histogram
 * series drawn by histogramchart.js in TensorBoard's offset (ridgelines) or overlay mode, with the
 * time axis following the shared x-axis setting (step / relative / wall time).
 *
 * A card fetches up to STEPS_PER_CARD steps, evenly spread by the server (TensorBoard keeps 50 per
 * run and tag too), rebins all of them to 30 equal bins over the card's union range (rebin.js) and
 * draws. It fetches only while on screen and again when a write touches its run and tag. */

import * as api from './api.js';
import { button, element } from './dom.js';
import { HistogramChart } from './histogramchart.js';
import { DEFAULT_BINS, rebinCard } from './rebin.js';
import { createRunTagTab, radioGroup } from './runtagtab.js';
import { X_AXES, axisTitle } from './xaxis.js';

const STEPS_PER_CARD = 50;
export const HISTOGRAM_MODES = ['offset', 'overlay'];

class HistogramCard {
  constructor(tag, run, ctx) {
    this.tag = tag;
    this.run = run;
    this.ctx = ctx;
    this.steps = [];
    this.card = null; // rebinCard result
    this.loadSeq = 0;
    this.loading = false;
    this.visible = false;
    this.stale = true;
    this.needsDraw = false;
    this.error = null;
    this.drawCount = 0;

    this.el = element('div', 'card hist-card');
    this.el.dataset.tag = tag;
    this.el.dataset.run = run;
    const head = element('div', 'card-head');
    const title = element('span', 'card-title', tag);
    title.title = tag;
    const actions = element('span', 'card-actions');
    const expand = button('Expand', 'Make this card wider and taller', () => {
      const wide = this.el.classList.toggle('wide');
      expand.textContent = wide ? 'Shrink' : 'Expand';
    });
    actions.append(expand);
    head.append(title, actions);
    const runLine = element('div', 'card-run');
    const swatch = element('span', 'swatch');
    swatch.style.backgroundColor = ctx.colorOf(run);
    const runName = element('span', 'run-name', run);
    runName.title = run;
    runLine.append(swatch, runName);
    this.box = element('div', 'chart-box hist-box');
    this.chart = new HistogramChart(this.box);
    this.chart.canvas.setAttribute('role', 'img');
    this.chart.canvas.setAttribute('aria-label', `Histograms of ${tag} in run ${run}`);
    this.note = element('div', 'card-note');
    this.el.append(head, runLine, this.box, this.note);

    this.resizeObserver = new ResizeObserver(() => this.requestDraw());
    this.resizeObserver.observe(this.box);
    this.watchPixelRatio();
  }

  /** Redraws when the devicePixelRatio changes (browser zoom, a move to another screen). */
  watchPixelRatio() {
    const query = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    this.dprQuery = query;
    this.onDprChange = () => {
      query.removeEventListener('change', this.onDprChange);
      if (this.dprQuery !== query) return;
      this.requestDraw();
      this.watchPixelRatio();
    };
    query.addEventListener('change', this.onDprChange);
  }

  setVisible(visible) {
    this.visible = visible;
    if (!visible) return;
    if (this.stale) this.load();
    else if (this.needsDraw) this.draw();
  }

  invalidate() {
    this.stale = true;
    if (this.visible) this.load();
  }

  requestDraw() {
    if (this.visible && !this.stale) this.draw();
    else this.needsDraw = true;
  }

  async load() {
    this.stale = false;
    const seq = ++this.loadSeq;
    this.loading = true;
    try {
      const body = await api.getHistograms(this.tag, [this.run], { steps: STEPS_PER_CARD });
      if (seq !== this.loadSeq) return;
      const series = body.series.find((s) => s.run === this.run);
      this.steps = series ? series.steps : [];
      this.total = series ? series.total : 0;
      this.card = rebinCard(this.steps.map((s) => s.buckets), DEFAULT_BINS);
      this.error = null;
    } catch (error) {
      if (seq !== this.loadSeq) return;
      this.error = error.message;
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
    this.draw();
  }

  draw() {
    this.needsDraw = false;
    const { state } = this.ctx;
    const data = this.card && this.steps.length ? { steps: this.steps, card: this.card, color: this.ctx.colorOf(this.run) } : null;
    this.chart.setData(data);
    this.chart.draw({ mode: state.histogramMode, xAxis: state.xAxis });
    this.drawCount++;
    this.note.classList.toggle('error', this.error !== null);
    if (this.error !== null) this.note.textContent = `cannot load: ${this.error}`;
    else if (!data) this.note.textContent = 'no values';
    else if (this.total > this.steps.length) this.note.textContent = `${this.steps.length} of ${this.total} steps`;
    else this.note.textContent = `${this.steps.length} step${this.steps.length === 1 ? '' : 's'}`;
  }

  /** For tests: what the card holds and drew. */
  debug() {
    return {
      tag: this.tag, run: this.run, visible: this.visible, stale: this.stale, loading: this.loading,
      needsDraw: this.needsDraw, hidden: this.el.hidden, steps: this.steps.map((s) => s.step),
      bins: this.card ? this.card.n : 0, range: this.card ? [this.card.lo, this.card.hi] : null,
      drawCount: this.drawCount, error: this.error,
    };
  }

  destroy() {
    this.loadSeq++;
    this.resizeObserver.disconnect();
    this.dprQuery.removeEventListener('change', this.onDprChange);
    this.dprQuery = null;
    this.chart.destroy();
    this.el.remove();
  }
}

function buildSettings(ctx) {
  const panel = element('section', 'panel settings');
  panel.append(element('h3', 'panel-title', 'Settings'));
  const mode = radioGroup(ctx, {
    name: 'histogram-mode', legend: 'Histogram mode', key: 'histogramMode',
    options: HISTOGRAM_MODES.map((m) => [m, m]),
  });
  const axis = radioGroup(ctx, {
    name: 'histogram-x-axis', legend: 'Time axis', key: 'xAxis',
    options: X_AXES.map((m) => [m, axisTitle(m)]),
  });
  panel.append(mode.el, axis.el);
  return { panel, sync: () => { mode.sync(); axis.sync(); } };
}

export function createHistogramsTab(ctx) {
  const settings = buildSettings(ctx);
  return createRunTagTab(ctx, {
    id: 'histograms',
    title: 'Histograms',
    kind: 'histograms',
    filterKey: 'histogramTagFilter',
    settings: settings.panel,
    onShow: settings.sync,
    drawKeys: ['histogramMode', 'xAxis'],
    emptyText: 'No histogram data yet. Write some with POST /api/v1/write ("histograms") and it will appear here.',
    createCard: (tag, run) => new HistogramCard(tag, run, ctx),
  });
}
