/* distributions.js -- the Distributions tab: one card per run and tag, as in TensorBoard, each a
 * Chart.js chart of the nine basis-point curves of GET /api/v1/distributions over time: nested
 * shaded bands (0-10000 lightest, then 668-9332, 1587-8413, 3085-6915 darkest, each band a layer of
 * the run colour over the wider ones) and the median (5000) as a line. The x axis follows the shared
 * setting (step / relative / wall time). Hovering shows the step and the nine values. A card fetches
 * only while on screen and again when a write touches its run and tag (lazycard.js).
 * Chart.js comes from its UMD build, loaded by index.html as a classic script. */

import * as api from './api.js';
import { withAlpha } from './colors.js';
import { cardFrame, expandButton, runLine, showStepsNote } from './cardframe.js';
import { element } from './dom.js';
import { LazyCard } from './lazycard.js';
import { BASE_OPTIONS, xScaleOptions, yScaleOptions } from './linechart.js';
import { formatNumber, niceTicks, timeTicks } from './plotmath.js';
import { createRunTagTab, radioGroup } from './runtagtab.js';
import { X_AXES, axisTitle, formatX, xValue } from './xaxis.js';

const Chart = window.Chart;
const STEPS_PER_CARD = 500; // nine numbers a step: cheap, and the bands stay smooth
export const BASIS_POINTS = [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000];
const BAND_ALPHA = 0.2; // each band adds a layer: the innermost is four layers deep
const MEDIAN = 4;      // index of 5000 in BASIS_POINTS

/** Datasets in draw order: for each band from the widest in, its lower curve (filled up to the
 * next dataset) then its upper curve; the median line last. */
function datasetLayout() {
  const layout = [];
  for (let band = 0; band < 4; band++) {
    layout.push({ index: band, fill: '+1' }, { index: 8 - band, fill: false });
  }
  layout.push({ index: MEDIAN, fill: false, median: true });
  return layout;
}

const LAYOUT = datasetLayout();

function percentLabel(bp) {
  return `${String(bp / 100).replace(/\.0+$/, '')}%`;
}

function createChart(canvas, card) {
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      ...BASE_OPTIONS,
      elements: { point: { radius: 0, hoverRadius: 0, hitRadius: 0 }, line: { tension: 0 } },
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          ...xScaleOptions(() => card.ctx.state.xAxis),
          bounds: 'data',
          // The axis spans the data exactly, as in TensorBoard; ticks at round steps or round units of
          // time (every 5 min, not every 3.33 min), which Chart.js cannot do with bounds 'data'.
          afterBuildTicks(scale) {
            const mode = card.ctx.state.xAxis;
            const count = Math.max(2, Math.floor(card.box.clientWidth / 110));
            const { ticks } = mode === 'step' ? niceTicks(scale.min, scale.max, count, 1) : timeTicks(scale.min, scale.max, count);
            scale.ticks = ticks.map((value) => ({ value }));
          },
        },
        y: yScaleOptions(),
      },
      plugins: {
        legend: { display: false },
        filler: { propagate: false },
        tooltip: {
          animation: false,
          filter: (item) => item.dataset.vizdMedian === true,
          callbacks: {
            title: (items) => {
              if (items.length === 0) return '';
              const step = card.points[items[0].dataIndex];
              const mode = card.ctx.state.xAxis;
              const x = items[0].dataset.data[items[0].dataIndex].x;
              return mode === 'step' ? `step ${step.step}` : `step ${step.step}  ${axisTitle(mode)} ${formatX(mode, x, 0)}`;
            },
            label: (item) => {
              const values = card.points[item.dataIndex].values;
              return [...BASIS_POINTS.keys()].reverse()
                .map((i) => `${percentLabel(BASIS_POINTS[i])}: ${formatNumber(values[i])}`);
            },
            labelColor: () => ({ borderColor: card.color, backgroundColor: card.color }),
          },
        },
      },
    },
  });
}

class DistributionCard extends LazyCard {
  constructor(tag, run, ctx) {
    super();
    this.tag = tag;
    this.run = run;
    this.ctx = ctx;
    this.points = []; // [{step, wall_time, values: [9]}]
    this.total = 0;

    const { el, head, actions } = cardFrame('card dist-card', tag);
    this.el = el;
    this.el.dataset.run = run;
    actions.append(expandButton(this.el));
    this.box = element('div', 'chart-box');
    this.canvas = element('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `Distribution of ${tag} in run ${run}`);
    this.box.append(this.canvas);
    this.note = element('div', 'card-note');
    this.el.append(head, runLine(run, ctx.colorOf(run)), this.box, this.note);
    this.chart = createChart(this.canvas, this);
  }

  fetchData() {
    return api.getDistributions(this.tag, [this.run], { steps: STEPS_PER_CARD });
  }

  receive(body) {
    const series = body.series.find((s) => s.run === this.run);
    this.total = series ? series.total : 0;
    this.points = (series ? series.steps : []).map((s) => {
      const byBp = new Map(s.percentiles);
      return { step: s.step, wall_time: s.wall_time, values: BASIS_POINTS.map((bp) => byBp.get(bp) ?? NaN) };
    });
  }

  /** The run's colour in the current theme (theme.js lightens dark run colours on dark cards). */
  get color() {
    return this.ctx.colorOf(this.run);
  }

  draw() {
    this.needsDraw = false;
    const mode = this.ctx.state.xAxis;
    const firstWall = this.points.length ? this.points[0].wall_time : 0;
    const xs = this.points.map((p) => xValue(mode, p.step, p.wall_time, firstWall));
    // A single step has no area to fill: draw its nine values as dots, darker towards the median.
    const single = this.points.length === 1;
    this.chart.data.datasets = LAYOUT.map(({ index, fill, median }) => ({
      label: median ? this.run : percentLabel(BASIS_POINTS[index]),
      data: this.points.map((p, i) => ({ x: xs[i], y: p.values[index] })),
      fill,
      backgroundColor: withAlpha(this.color, BAND_ALPHA),
      borderColor: median ? this.color : 'transparent',
      borderWidth: median ? 1.5 : 0,
      pointRadius: single ? (median ? 4 : 3) : 0,
      pointBackgroundColor: median ? this.color : withAlpha(this.color, BAND_ALPHA * (1 + Math.min(index, 8 - index))),
      pointBorderWidth: 0,
      vizdMedian: Boolean(median),
      vizdBasisPoint: BASIS_POINTS[index],
    }));
    this.chart.options.scales.x.title.text = axisTitle(mode);
    this.chart.update('none');
    showStepsNote(this.note, this.error, this.points.length, this.total);
  }

  debug() {
    return {
      tag: this.tag, run: this.run, ...this.lifecycle(), hidden: this.el.hidden, steps: this.points.map((p) => p.step),
      datasets: this.chart.data.datasets.map((d) => ({ bp: d.vizdBasisPoint, fill: d.fill, n: d.data.length })),
      error: this.error,
    };
  }

  destroy() {
    super.destroy();
    this.chart.destroy();
    this.el.remove();
  }
}

function buildSettings(ctx) {
  const panel = element('section', 'panel settings');
  panel.append(element('h3', 'panel-title', 'Settings'));
  const axis = radioGroup(ctx, {
    name: 'distribution-x-axis', legend: 'Horizontal axis', key: 'xAxis',
    options: X_AXES.map((m) => [m, axisTitle(m)]),
  });
  panel.append(axis.el);
  return { panel, sync: axis.sync };
}

export function createDistributionsTab(ctx) {
  const settings = buildSettings(ctx);
  return createRunTagTab(ctx, {
    id: 'distributions',
    title: 'Distributions',
    kind: 'histograms',
    filterKey: 'distributionTagFilter',
    settings: settings.panel,
    onShow: settings.sync,
    drawKeys: ['xAxis'],
    emptyText: 'No histogram data yet. Write some with POST /api/v1/write ("histograms") and it will appear here.',
    createCard: (tag, run) => new DistributionCard(tag, run, ctx),
  });
}
