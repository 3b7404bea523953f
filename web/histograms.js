/* histograms.js -- the Histograms tab: one card per run and tag, each the steps of one histogram
 * series drawn by histogramchart.js in TensorBoard's offset (ridgelines) or overlay mode, with the
 * time axis following the shared x-axis setting (step / relative / wall time).
 *
 * A card fetches up to STEPS_PER_CARD steps, evenly spread by the server (TensorBoard keeps 50 per
 * run and tag too), rebins all of them to 30 equal bins over the card's union range (rebin.js) and
 * draws. It fetches only while on screen and again when a write touches its run and tag (lazycard.js). */

import * as api from './api.js';
import { cardFrame, expandButton, runLine, showStepsNote } from './cardframe.js';
import { element } from './dom.js';
import { HistogramChart } from './histogramchart.js';
import { LazyCard } from './lazycard.js';
import { DEFAULT_BINS, rebinCard } from './rebin.js';
import { createRunTagTab, radioGroup } from './runtagtab.js';
import { X_AXES, axisTitle } from './xaxis.js';

const STEPS_PER_CARD = 50;
export const HISTOGRAM_MODES = ['offset', 'overlay'];

class HistogramCard extends LazyCard {
  constructor(tag, run, ctx) {
    super();
    this.tag = tag;
    this.run = run;
    this.ctx = ctx;
    this.steps = [];
    this.card = null; // rebinCard result
    this.drawCount = 0;

    const { el, head, actions } = cardFrame('card hist-card', tag);
    this.el = el;
    this.el.dataset.run = run;
    actions.append(expandButton(this.el));
    this.box = element('div', 'chart-box hist-box');
    this.chart = new HistogramChart(this.box);
    this.chart.canvas.setAttribute('role', 'img');
    this.chart.canvas.setAttribute('aria-label', `Histograms of ${tag} in run ${run}`);
    this.note = element('div', 'card-note');
    this.el.append(head, runLine(run, ctx.colorOf(run)), this.box, this.note);

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

  fetchData() {
    return api.getHistograms(this.tag, [this.run], { steps: STEPS_PER_CARD });
  }

  receive(body) {
    const series = body.series.find((s) => s.run === this.run);
    this.steps = series ? series.steps : [];
    this.total = series ? series.total : 0;
    this.card = rebinCard(this.steps.map((s) => s.buckets), DEFAULT_BINS);
  }

  draw() {
    this.needsDraw = false;
    const { state } = this.ctx;
    const data = this.card && this.steps.length ? { steps: this.steps, card: this.card, color: this.ctx.colorOf(this.run) } : null;
    this.chart.setData(data);
    this.chart.draw({ mode: state.histogramMode, xAxis: state.xAxis });
    this.drawCount++;
    showStepsNote(this.note, this.error, data ? this.steps.length : 0, this.total);
  }

  /** For tests: what the card holds and drew. */
  debug() {
    return {
      tag: this.tag, run: this.run, ...this.lifecycle(), hidden: this.el.hidden, steps: this.steps.map((s) => s.step),
      bins: this.card ? this.card.n : 0, range: this.card ? [this.card.lo, this.card.hi] : null,
      drawCount: this.drawCount, error: this.error,
      // The colour each step was drawn in, by step: offset mode draws the newest darkest.
      stepColors: this.chart.geometry ? Object.fromEntries(this.steps.map((s, i) => [s.step, this.chart.geometry.colors[i]])) : null,
    };
  }

  destroy() {
    super.destroy();
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
