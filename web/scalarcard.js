/* scalarcard.js -- one card of the Scalars tab: the chart of one tag with every shown run overlaid.
 *
 * The card fetches as many points as its plot is wide in CSS pixels (the server answers with the M4
 * reduction: at most 4 points per pixel, every extreme exact), draws per run a faint raw line, a
 * bold smoothed line and, where the server reduced the data, a shaded band between each bucket's
 * min and max. While the mouse is over the plot, a table under it lists every run's smoothed value,
 * value, step and relative time at the hovered step (valuetable.js; over a step axis the series carry
 * no wall times, so the hovered points' are fetched when the mouse rests, hovertimes.js). Dragging
 * across the plot zooms: the selected step range is fetched again at full resolution; a double click
 * goes back to the whole series. Downloads fetch every point (points=0).
 * Only cards on screen fetch and draw; the others remember that they are out of date (lazycard.js). */

import * as api from './api.js';
import { withAlpha } from './colors.js';
import { seriesToCsv } from './csv.js';
import { cardFrame, expandButton } from './cardframe.js';
import { button, downloadBlob, element } from './dom.js';
import { bindDragZoom } from './dragzoom.js';
import { HoverWallTimes } from './hovertimes.js';
import { LazyCard } from './lazycard.js';
import { createLineChart } from './linechart.js';
import { outlierRange } from './outliers.js';
import { BAND_VISIBLE_PX, bandThickness, buildBand, buildLines, isolatedPointRadius, parsePoints, stepRangeForX } from './series.js';
import { VALUE_COLUMNS, valueRows } from './valuetable.js';
import { axisTitle } from './xaxis.js';

const RAW_ALPHA = 0.25;
const BAND_ALPHA = 0.14;
const RESIZE_SETTLE_MS = 250;   // refetch once a resize has settled, not at every frame of it
const RESIZE_REFETCH_RATIO = 0.2; // ... and only when the width changed by more than this

export class ScalarCard extends LazyCard {
  /** @param {string} tag  @param {object} ctx app context (state, shownRuns, colorOf) */
  constructor(tag, ctx) {
    super();
    this.tag = tag;
    this.ctx = ctx;
    this.series = new Map();        // run -> {total, sampled, steps, values, wallTimes, lo, hi, buckets}
    this.firstWallTimes = new Map(); // run -> wall time of its first point (relative time origin)
    this.zoom = null;               // {start, end, x0, x1}: steps fetched, x range shown
    this.hasWallTimes = false;      // whether the series carry wall times (fetched for a time axis)
    this.hovered = [];              // the tooltip's points the value table shows
    this.hoverTimes = new HoverWallTimes((runs, step) =>
      api.getFirstWallTimes(this.tag, runs, step === null ? {} : { start: step, end: step }));
    this.buildDom();
    this.chart = createLineChart(this.canvas, {
      xAxis: () => this.ctx.state.xAxis, onResize: () => this.resized(), onHover: (tooltip) => this.showValues(tooltip),
    });
    bindDragZoom(this.canvas, this.chart, this.zoomRect, {
      onZoom: (x0, x1) => this.zoomTo(x0, x1),
      onReset: () => this.resetZoom(),
    });
  }

  buildDom() {
    const { el, head, actions } = cardFrame('card', this.tag);
    this.el = el;
    this.resetButton = button('Reset zoom', 'Show the whole series (or double-click the chart)', () => this.resetZoom());
    this.resetButton.hidden = true;
    actions.append(
      this.resetButton,
      expandButton(this.el),
      button('CSV', 'Download every point as CSV', () => this.download('csv')),
      button('JSON', 'Download every point as JSON', () => this.download('json')),
    );
    this.box = element('div', 'chart-box');
    this.canvas = element('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `Chart of ${this.tag}`);
    this.zoomRect = element('div', 'zoom-rect');
    this.zoomRect.hidden = true;
    this.values = this.buildValueTable();
    this.box.append(this.canvas, this.zoomRect, this.values);
    this.note = element('div', 'card-note');
    this.el.append(head, this.box, this.note);
  }

  /** The (hidden) value table: a head row of TensorBoard's columns and a body filled on hover. */
  buildValueTable() {
    const table = element('table', 'value-table');
    table.hidden = true;
    const head = element('tr');
    head.append(element('th', null, 'Run'), ...VALUE_COLUMNS.map(([, title]) => element('th', null, title)));
    const thead = element('thead');
    thead.append(head);
    this.valueRows = element('tbody');
    table.append(thead, this.valueRows);
    return table;
  }

  /** Fills the value table from the chart's tooltip, or hides it when the mouse has left the plot. */
  showValues(tooltip) {
    this.hovered = tooltip.opacity > 0 ? tooltip.dataPoints || [] : [];
    this.values.hidden = this.hovered.length === 0;
    this.askHoverTimes();
    if (this.hovered.length > 0) this.fillValues();
  }

  /** Series without wall times (a step axis): the hovered points' are fetched, the table refilled. */
  askHoverTimes() {
    const points = this.hasWallTimes ? [] : this.hovered.map(({ dataset: d, dataIndex: i }) => ({ run: d.label, step: d.vizdSteps[i] }));
    this.hoverTimes.hover(points, () => { if (this.hovered.length > 0) this.fillValues(); });
  }

  fillValues() {
    const relativeOf = (run, step) => this.hoverTimes.relative(run, step);
    this.valueRows.replaceChildren(...valueRows(this.hovered, relativeOf).map((row) => {
      const tr = element('tr');
      const runCell = element('td', 'value-run');
      const swatch = element('span', 'swatch');
      swatch.style.backgroundColor = row.color;
      runCell.append(swatch, element('span', 'run-name', row.run));
      tr.append(runCell, ...VALUE_COLUMNS.map(([key]) => element('td', 'number', row[key])));
      return tr;
    }));
  }

  /** Runs drawn on this card: the shown runs that have this tag. */
  runs() {
    const tags = this.ctx.state.tags;
    return this.ctx.shownRuns().filter((run) => tags[run]?.scalars?.[this.tag] !== undefined);
  }

  plotWidth() {
    const area = this.chart.chartArea;
    const width = area && area.width > 0 ? area.width : this.box.clientWidth - 60;
    return Math.max(50, Math.round(width));
  }

  /** A reduced series fetched for another width would be too coarse or too dense: fetch it again. */
  resized() {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      const reduced = [...this.series.values()].find((s) => s.sampled);
      if (!reduced || this.loading) return;
      if (Math.abs(this.plotWidth() - reduced.buckets) > RESIZE_REFETCH_RATIO * reduced.buckets) this.invalidate();
    }, RESIZE_SETTLE_MS);
  }

  /** The run selection changed: draw what we have, fetch only if a newly shown run is missing. */
  runsChanged() {
    if (this.error !== null || this.runs().some((run) => !this.series.has(run))) this.invalidate();
    else this.requestDraw();
  }

  load() {
    if (this.runs().length > 0) return super.load();
    // No run to fetch for: draw the empty chart now, and drop the answer of a fetch in flight.
    this.stale = false;
    this.dropPendingLoad();
    this.series = new Map();
    this.draw();
  }

  /** As many points per run as the plot is wide: the server reduces each series to that (M4). */
  async fetchData() {
    const points = this.plotWidth();
    const range = this.zoom ? { start: this.zoom.start, end: this.zoom.end } : {};
    // Wall times are most of an answer's bytes: asked only when the x axis is (relative) time.
    const wallTimes = this.ctx.state.xAxis !== 'step';
    const body = await api.getScalars(this.tag, this.runs(), { points, ...range, wallTimes });
    return { body, points, wallTimes };
  }

  receive({ body, points, wallTimes }) {
    const series = new Map();
    this.hasWallTimes = wallTimes;
    // The answer's columns are drawn as they came (Float64Arrays; wallTimes null over a step axis).
    for (const { run, total, sampled, steps, values, wallTimes: walls } of body.series) {
      if (steps.length === 0) continue;
      if (wallTimes && (!this.zoom || !this.firstWallTimes.has(run))) this.firstWallTimes.set(run, walls[0]);
      series.set(run, {
        total,
        sampled,
        steps,
        values,
        wallTimes: walls,
        lo: this.zoom ? this.zoom.start : steps[0],
        hi: this.zoom ? this.zoom.end : steps[steps.length - 1],
        buckets: points,
      });
    }
    this.series = series;
    // Fetched again (a live write, a zoom): a step may have been rewritten, a run written anew.
    this.hoverTimes.forget();
    if (this.hovered.length > 0) this.askHoverTimes();
  }

  draw() {
    this.needsDraw = false;
    const { xAxis, smoothing, logY, ignoreOutliers } = this.ctx.state;
    const datasets = [];
    const bands = [];
    const visibleValues = [];
    let total = 0;
    let drawn = 0;
    let sampled = false;
    for (const run of this.runs()) {
      const s = this.series.get(run);
      if (!s) continue;
      const color = this.ctx.colorOf(run);
      const firstWallTime = this.firstWallTimes.get(run) ?? (s.wallTimes ? s.wallTimes[0] : NaN);
      const lines = buildLines(s, { xAxis, firstWallTime, smoothing, logY });
      const common = { label: run, borderJoinStyle: 'round', vizdSteps: lines.steps,
        vizdValues: lines.values, vizdSmoothed: lines.smoothedValues,
        vizdWallTimes: s.wallTimes, vizdFirstWallTime: firstWallTime };
      datasets.push({ ...common, vizdKind: 'raw', data: lines.raw, borderColor: withAlpha(color, RAW_ALPHA),
        borderWidth: 1, order: 2, pointRadius: 0, pointHoverRadius: 0 });
      datasets.push({ ...common, vizdKind: 'smoothed', data: lines.smoothed, borderColor: color,
        backgroundColor: color, borderWidth: 2, order: 1, pointRadius: isolatedPointRadius(lines.smoothed, 2.5) });
      if (s.sampled) {
        sampled = true;
        bands.push({ color: withAlpha(color, BAND_ALPHA),
          band: buildBand(s, { lo: s.lo, hi: s.hi, buckets: s.buckets, xAxis, firstWallTime, logY }) });
      }
      for (const point of lines.raw) {
        if (point.y !== null && (this.zoom?.x0 === undefined || (point.x >= this.zoom.x0 && point.x <= this.zoom.x1))) {
          visibleValues.push(point.y);
        }
      }
      total += s.total;
      drawn += s.steps.length;
    }
    const chart = this.chart;
    chart.data.datasets = datasets;
    chart.vizdBands = bands;
    const x = chart.options.scales.x;
    x.title.text = axisTitle(xAxis);
    x.ticks.precision = xAxis === 'step' ? 0 : undefined; // steps are integers: no tick at 0.5
    x.min = this.zoom?.x0 ?? undefined;
    x.max = this.zoom?.x1 ?? undefined;
    const y = chart.options.scales.y;
    y.type = logY ? 'logarithmic' : 'linear';
    const range = ignoreOutliers ? outlierRange(visibleValues) : null;
    y.min = range && range.min < range.max ? range.min : undefined;
    y.max = range && range.min < range.max ? range.max : undefined;
    chart.update('none');
    this.resetButton.hidden = this.zoom === null;
    this.note.classList.toggle('error', this.error !== null);
    if (this.error !== null) this.note.textContent = this.error;
    else if (sampled && this.bandVisible()) {
      this.note.textContent = `min/max band: ${drawn.toLocaleString()} of ${total.toLocaleString()} points drawn`;
    } else this.note.textContent = '';
  }

  /** Whether the min/max bands just drawn are thick enough anywhere on screen to be seen. */
  bandVisible() {
    const { x, y } = this.chart.scales;
    if (!x || !y) return false;
    return bandThickness(this.chart.vizdBands, (v) => y.getPixelForValue(v), x.min, x.max) >= BAND_VISIBLE_PX;
  }

  /** Show x in [x0, x1] (x-axis units), fetching its steps at full resolution. */
  zoomTo(x0, x1) {
    const runs = this.runs().filter((run) => this.series.has(run));
    const { xAxis } = this.ctx.state;
    const range = stepRangeForX(runs.map((run) => this.series.get(run)), {
      x0, x1, xAxis, firstWallTimes: runs.map((run) => this.firstWallTimes.get(run)),
    });
    if (!range) return;
    this.zoom = { ...range, x0, x1 };
    this.invalidate();
  }

  resetZoom() {
    if (this.zoom === null) return;
    this.zoom = null;
    this.invalidate();
  }

  /** The x axis changed units: keep the zoomed steps, show them whole. */
  xAxisChanged() {
    if (this.zoom) this.zoom = { start: this.zoom.start, end: this.zoom.end };
    // Series fetched for a step axis have no wall times: a time axis fetches them.
    if (this.ctx.state.xAxis !== 'step' && !this.hasWallTimes) this.invalidate();
    else this.requestDraw();
  }

  async download(format) {
    const runs = this.runs();
    const name = this.tag.replace(/[^\w.-]+/g, '_') || 'scalars';
    try {
      const body = await api.getEveryScalar(this.tag, runs);
      if (format === 'json') {
        downloadBlob(`${name}.json`, new Blob([JSON.stringify(body, null, 1)], { type: 'application/json' }));
      } else {
        const series = body.series.map((s) => ({ run: s.run, points: parsePoints(s.points) }));
        downloadBlob(`${name}.csv`, new Blob([seriesToCsv(series)], { type: 'text/csv' }));
      }
    } catch (error) {
      this.note.textContent = `download failed: ${error.message}`;
      this.note.classList.add('error');
    }
  }

  destroy() {
    super.destroy();
    clearTimeout(this.resizeTimer);
    this.hoverTimes.forget();
    this.chart.destroy();
    this.el.remove();
  }
}
