/* histogramchart.js -- the hand-drawn <canvas> chart of one histogram card, in TensorBoard's two modes
 * (after its vz-histogram-timeseries):
 *
 *   offset   one ridgeline per step, filled, with a faint white outline; a step's baseline sits on
 *            the time axis at the right (step, relative or wall time), the oldest step at the top,
 *            furthest back, the newest at the bottom, in front; each ridge rises at most 40% of the
 *            plot height, scaled by the largest count of the card
 *   overlay  every step a line on shared axes; the right axis is the count
 *
 * Step colours run from the run colour brightened (oldest) to darkened (newest), interpolated in
 * HCL as TensorBoard does, in both modes: in offset mode the newest ridge, in front, is the darkest. Each line goes through the bin centres, down to the baseline at the
 * first and last bin. Hovering picks the bin under the mouse and the step whose ridge is nearest
 * vertically, outlines it in black and shows step, bin range and count in a tooltip (text only).
 * The canvas backing store is devicePixelRatio times its CSS size, so lines and text stay sharp. */

import { element } from './dom.js';
import { formatCount, formatNumber, formatTick, niceDomain, niceTicks, stepAge, stepColorRamp, timeTicks } from './plotmath.js';
import { binEdges, binIndex } from './rebin.js';
import { THEME_EVENT, currentChartColors } from './theme.js';
import { axisTitle, formatX, xValue } from './xaxis.js';

const FONT = '11px Roboto, "Helvetica Neue", Arial, sans-serif';
const MARGIN = { left: 20, top: 8, bottom: 24 }; // the right margin fits the widest tick label
const SLICE_FRACTION = 0.4; // offset mode: a ridge's full height, as a part of the plot height

export class HistogramChart {
  /** @param {HTMLElement} box the positioned element the canvas fills */
  constructor(box) {
    this.box = box;
    this.canvas = element('canvas', 'hist-canvas');
    this.tooltip = element('div', 'hist-tooltip');
    this.tooltip.hidden = true;
    box.append(this.canvas, this.tooltip);
    this.data = null;  // {times, steps, card, color}
    this.options = { mode: 'offset', xAxis: 'step' };
    this.hover = null; // {px, py} in CSS pixels, or null
    this.frame = 0;
    this.canvas.addEventListener('mousemove', (event) => {
      const rect = this.canvas.getBoundingClientRect();
      this.hover = { px: event.clientX - rect.left, py: event.clientY - rect.top };
      this.scheduleDraw();
    });
    this.canvas.addEventListener('mouseleave', () => {
      this.hover = null;
      this.scheduleDraw();
    });
    // Axes and outlines are drawn in the theme's colours: redraw when it changes.
    this.onTheme = () => this.scheduleDraw();
    window.addEventListener(THEME_EVENT, this.onTheme);
  }

  /**
   * @param {{steps: {step: number, wall_time: number}[], card: {lo, hi, n, counts, maxCount},
   *   color: string} | null} data steps in step order, card from rebinCard
   */
  setData(data) {
    this.data = data;
  }

  scheduleDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Sizes the backing store to the box at the current devicePixelRatio and draws. */
  draw(options = this.options) {
    this.options = options;
    const width = this.box.clientWidth;
    const height = this.box.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    const pixelWidth = Math.max(1, Math.round(width * dpr));
    const pixelHeight = Math.max(1, Math.round(height * dpr));
    if (this.canvas.width !== pixelWidth) this.canvas.width = pixelWidth;
    if (this.canvas.height !== pixelHeight) this.canvas.height = pixelHeight;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    this.geometry = null;
    if (!this.data || width < MARGIN.left + 120 || height < MARGIN.top + MARGIN.bottom + 40) {
      this.tooltip.hidden = true;
      return;
    }
    this.geometry = this.layout(ctx, width, height);
    const hit = this.hover ? this.hitTest(this.hover.px, this.hover.py) : null;
    this.drawAxes(ctx);
    this.drawSteps(ctx, hit);
    this.showTooltip(hit);
  }

  /** Scales, positions and right-axis ticks for the current size, mode and time axis. */
  layout(ctx, width, height) {
    const { mode, xAxis } = this.options;
    const { steps, card } = this.data;
    const left = MARGIN.left;
    const top = MARGIN.top;
    const bottom = height - MARGIN.bottom;
    const firstWall = steps.length ? Math.min(...steps.map((s) => s.wall_time)) : 0;
    const times = steps.map((s) => xValue(xAxis, s.step, s.wall_time, firstWall));
    const t0 = Math.min(...times);
    const t1 = Math.max(...times);
    // One step has no depth to show: its ridge takes the whole height, as in overlay.
    const offset = mode === 'offset' && t1 > t0;
    const sliceHeight = offset ? (bottom - top) * SLICE_FRACTION : bottom - top;
    const baseTop = offset ? top + sliceHeight : bottom;
    const maxCount = card.maxCount > 0 ? card.maxCount : 1;
    // Right axis: time at each ridge's baseline (offset) or count (overlay), labelled.
    let rightTicks;
    if (offset) {
      const count = Math.max(2, Math.floor((bottom - baseTop) / 22));
      const { ticks, step } = xAxis === 'step' ? niceTicks(t0, t1, count, 1) : timeTicks(t0, t1, count);
      rightTicks = ticks.map((t) => ({ value: t, label: formatX(xAxis, t, t1 - t0, step) }));
    } else {
      const { ticks, step } = niceTicks(0, maxCount, Math.max(2, Math.floor((bottom - top) / 30)));
      rightTicks = ticks.map((c) => ({ value: c, label: step >= 1 ? formatCount(c) : formatTick(c, step) }));
    }
    ctx.font = FONT;
    const labelWidth = Math.max(0, ...rightTicks.map((t) => ctx.measureText(t.label).width));
    const right = width - Math.max(36, Math.ceil(labelWidth) + 14);
    const xTickCount = Math.max(2, Math.floor((right - left) / 70));
    const [x0, x1] = niceDomain(card.lo, card.hi, xTickCount);
    const xPixel = (v) => left + ((v - x0) / (x1 - x0)) * (right - left);
    const baseline = (t) => (offset ? baseTop + ((t - t0) / (t1 - t0)) * (bottom - baseTop) : bottom);
    const yPixel = (count, base) => base - (count / maxCount) * sliceHeight;
    // Draw back to front: oldest first.
    const order = steps.map((_, i) => i).sort((a, b) => times[a] - times[b] || steps[a].step - steps[b].step);
    const ramp = stepColorRamp(this.data.color);
    const colors = times.map((t) => ramp(stepAge(t, t0, t1)));
    return { width, height, left, right, top, bottom, offset, ridges: mode === 'offset', sliceHeight, baseTop, times, t0, t1, x0, x1,
      xTickCount, xPixel, baseline, yPixel, maxCount, order, colors, rightTicks, ink: currentChartColors() };
  }

  drawAxes(ctx) {
    const g = this.geometry;
    const { xAxis } = this.options;
    ctx.font = FONT;
    ctx.lineWidth = 1;
    // Value axis at the bottom.
    const { ticks: xTicks, step: xStep } = niceTicks(g.x0, g.x1, g.xTickCount);
    ctx.strokeStyle = g.ink.axis;
    ctx.beginPath();
    ctx.moveTo(g.left, g.bottom + 0.5);
    ctx.lineTo(g.right, g.bottom + 0.5);
    ctx.stroke();
    ctx.fillStyle = g.ink.tick;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const v of xTicks) {
      const x = Math.round(g.xPixel(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, g.bottom);
      ctx.lineTo(x, g.bottom + 4);
      ctx.stroke();
      ctx.fillText(formatTick(v, xStep), x, g.bottom + 6);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    if (g.offset) {
      // Time axis at the right, one label per baseline tick, its title above.
      for (const { value, label } of g.rightTicks) {
        const y = Math.round(g.baseline(value)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(g.right + 2, y);
        ctx.lineTo(g.right + 6, y);
        ctx.stroke();
        ctx.fillText(label, g.right + 8, y);
      }
      ctx.save();
      ctx.fillStyle = g.ink.title;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(axisTitle(xAxis), g.width - 2, g.baseTop - 6);
      ctx.restore();
    } else {
      // Count axis at the right with grid lines across the plot.
      for (const { value, label } of g.rightTicks) {
        const y = Math.round(g.yPixel(value, g.bottom)) + 0.5;
        ctx.strokeStyle = g.ink.grid;
        ctx.beginPath();
        ctx.moveTo(g.left, y);
        ctx.lineTo(g.right + 4, y);
        ctx.stroke();
        ctx.fillText(label, g.right + 8, y);
      }
    }
  }

  /** The closed ridge path of step i: baseline, bin centres, baseline. */
  tracePath(ctx, i, close) {
    const g = this.geometry;
    const { card } = this.data;
    const counts = card.counts[i];
    const base = g.baseline(g.times[i]);
    const width = (card.hi - card.lo) / card.n;
    ctx.beginPath();
    ctx.moveTo(g.xPixel(card.lo + width / 2), base);
    for (let b = 0; b < card.n; b++) ctx.lineTo(g.xPixel(card.lo + (b + 0.5) * width), g.yPixel(counts[b], base));
    ctx.lineTo(g.xPixel(card.lo + (card.n - 0.5) * width), base);
    if (close) ctx.closePath();
  }

  drawSteps(ctx, hit) {
    const g = this.geometry;
    ctx.save();
    ctx.lineJoin = 'round';
    for (const i of g.order) {
      const base = g.baseline(g.times[i]);
      if (g.ridges) {
        ctx.strokeStyle = g.ink.baseline;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(g.left, Math.round(base) + 0.5);
        ctx.lineTo(g.right, Math.round(base) + 0.5);
        ctx.stroke();
        this.tracePath(ctx, i, true);
        ctx.fillStyle = g.colors[i];
        ctx.fill();
        ctx.strokeStyle = g.ink.ridgeEdge;
        ctx.stroke();
      } else {
        this.tracePath(ctx, i, false);
        ctx.strokeStyle = g.colors[i];
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
    }
    if (hit) {
      this.tracePath(ctx, hit.index, g.ridges);
      ctx.strokeStyle = g.ink.ink;
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(hit.x, hit.y, 3, 0, 2 * Math.PI);
      ctx.fillStyle = g.ink.ink;
      ctx.fill();
      // The value under the mouse on the bottom axis, the hovered step on the time axis.
      ctx.globalAlpha = 0.35;
      ctx.strokeStyle = g.ink.ink;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(Math.round(hit.x) + 0.5, hit.y);
      ctx.lineTo(Math.round(hit.x) + 0.5, g.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
      if (g.offset) this.timeLabel(ctx, hit.index);
    }
    ctx.restore();
  }

  /** The hovered step's time on the time axis, over the tick labels (offset mode). */
  timeLabel(ctx, index) {
    const g = this.geometry;
    const { xAxis } = this.options;
    const y = Math.round(g.baseline(g.times[index])) + 0.5;
    const text = xAxis === 'step' ? String(this.data.steps[index].step) : formatX(xAxis, g.times[index], g.t1 - g.t0);
    ctx.font = `bold ${FONT}`;
    const w = ctx.measureText(text).width;
    ctx.fillStyle = g.ink.paper;
    ctx.fillRect(g.right + 7, y - 8, w + 4, 16);
    ctx.strokeStyle = g.ink.ink;
    ctx.beginPath();
    ctx.moveTo(g.right + 2, y);
    ctx.lineTo(g.right + 6, y);
    ctx.stroke();
    ctx.fillStyle = g.ink.ink;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, g.right + 9, y);
    ctx.font = FONT;
  }

  /**
   * The step and bin under a mouse position: the bin from x, then the step whose ridge top at that
   * bin is nearest to y (as TensorBoard). null outside the plot.
   */
  hitTest(px, py) {
    const g = this.geometry;
    if (!g || !this.data.steps.length || px < g.left || px > g.right || py < g.top - 4 || py > g.bottom + 4) return null;
    const { card } = this.data;
    const value = g.x0 + ((px - g.left) / (g.right - g.left)) * (g.x1 - g.x0);
    const bin = binIndex(value, card.lo, card.hi, card.n);
    let index = -1;
    let best = Infinity;
    for (let i = 0; i < this.data.steps.length; i++) {
      const y = g.yPixel(card.counts[i][bin], g.baseline(g.times[i]));
      const distance = Math.abs(py - y);
      if (distance < best) {
        best = distance;
        index = i;
      }
    }
    const width = (card.hi - card.lo) / card.n;
    const x = g.xPixel(card.lo + (bin + 0.5) * width);
    const y = g.yPixel(card.counts[index][bin], g.baseline(g.times[index]));
    return { index, bin, x, y };
  }

  /** Step, bin range and count of the hovered point, as text, placed beside the mouse. */
  showTooltip(hit) {
    if (!hit) {
      this.tooltip.hidden = true;
      return;
    }
    const g = this.geometry;
    const { xAxis } = this.options;
    const { steps, card } = this.data;
    const step = steps[hit.index];
    const [left, right] = binEdges(hit.bin, card.lo, card.hi, card.n);
    const time = xAxis === 'step' ? '' : `  (${axisTitle(xAxis)} ${formatX(xAxis, g.times[hit.index], 0)})`;
    const lines = [
      `step ${step.step}${time}`,
      `bin [${formatNumber(left)}, ${formatNumber(right)}]`,
      `count ${formatCount(card.counts[hit.index][hit.bin])}`,
    ];
    this.tooltip.replaceChildren(...lines.map((line) => element('div', null, line)));
    this.tooltip.hidden = false;
    const tipWidth = this.tooltip.offsetWidth;
    const tipHeight = this.tooltip.offsetHeight;
    let x = this.hover.px + 14;
    if (x + tipWidth > g.width) x = this.hover.px - 14 - tipWidth;
    const y = Math.min(Math.max(0, this.hover.py - tipHeight - 8), g.height - tipHeight);
    this.tooltip.style.transform = `translate(${Math.max(0, x)}px, ${y}px)`;
  }

  destroy() {
    window.removeEventListener(THEME_EVENT, this.onTheme);
    cancelAnimationFrame(this.frame);
    this.canvas.remove();
    this.tooltip.remove();
  }
}
