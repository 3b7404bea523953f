/* linechart.js -- the Chart.js line chart every scalar card draws on, and the two things it adds to
 * Chart.js: a tooltip mode that picks, for every run, its point nearest to the mouse along x (runs
 * need not share steps), and a plugin that shades the min/max band of reduced series under the
 * lines. Datasets carry vizdKind ('raw' | 'smoothed'), vizdSteps, vizdValues and vizdSmoothed for
 * the tooltip; chart.vizdBands = [{color, band: [{x0, x1, min, max}]}] feeds the band plugin.
 * The options and axes every chart of the dashboard shares (the Distributions tab's too) are here.
 * Chart.js itself comes from its UMD build, loaded by index.html as a classic script. */

import { formatValue, nearestIndex } from './series.js';
import { currentChartColors } from './theme.js';
import { axisTitle, formatX } from './xaxis.js';

const Chart = window.Chart;

// Tooltip mode: for every run, its point nearest to the mouse along x (runs need not share steps).
Chart.Interaction.modes.vizdEachRun = (chart, event) => {
  const { x: px, y: py } = Chart.helpers.getRelativePosition(event, chart);
  const area = chart.chartArea;
  if (!area || px < area.left || px > area.right || py < area.top || py > area.bottom) return [];
  const x = chart.scales.x.getValueForPixel(px);
  const items = [];
  chart.data.datasets.forEach((dataset, datasetIndex) => {
    if (dataset.vizdKind !== 'smoothed') return;
    const index = nearestIndex(dataset.data, x);
    const element = chart.getDatasetMeta(datasetIndex).data[index];
    if (index >= 0 && element) items.push({ element, datasetIndex, index });
  });
  return items;
};

// Draws the min/max bands under the lines; chart.vizdBands = [{color, band: [{x0, x1, min, max}]}].
const bandPlugin = {
  id: 'vizdBand',
  beforeDatasetsDraw(chart) {
    const bands = chart.vizdBands;
    if (!bands || bands.length === 0) return;
    const { ctx, chartArea: area, scales: { x, y } } = chart;
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.left, area.top, area.width, area.height);
    ctx.clip();
    for (const { color, band } of bands) {
      if (band.length === 0) continue;
      ctx.beginPath();
      for (const b of band) {
        ctx.lineTo(x.getPixelForValue(b.x0), y.getPixelForValue(b.max));
        ctx.lineTo(x.getPixelForValue(b.x1), y.getPixelForValue(b.max));
      }
      for (let i = band.length - 1; i >= 0; i--) {
        const b = band[i];
        ctx.lineTo(x.getPixelForValue(b.x1), y.getPixelForValue(b.min));
        ctx.lineTo(x.getPixelForValue(b.x0), y.getPixelForValue(b.min));
      }
      ctx.closePath();
      ctx.fillStyle = color;
      ctx.fill();
    }
    ctx.restore();
  },
};

/** Options every Chart.js chart of the dashboard has: data comes as sorted {x, y} points (no parsing),
 * a live update or a setting redraws at once (no animation), and the chart fills its card's box. */
export const BASE_OPTIONS = {
  animation: false, parsing: false, normalized: true, responsive: true, maintainAspectRatio: false,
};

/** The x axis of a chart over steps or time, labelled in the current x-axis mode `xAxis()` with as
 * many digits as the tick spacing needs. A new object each call: charts change theirs (the title). */
export function xScaleOptions(xAxis) {
  const colors = currentChartColors();
  return {
    type: 'linear',
    title: { display: true, text: 'step', color: colors.title, font: { size: 11 } },
    ticks: {
      maxRotation: 0,
      autoSkipPadding: 12,
      color: colors.tick,
      callback(value, index, ticks) {
        const spacing = ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) : 0;
        return formatX(xAxis(), value, this.max - this.min, spacing);
      },
    },
    grid: { color: colors.grid },
  };
}

/** The value axis, in the current theme's colours (theme.js restyles live charts on a change). */
export function yScaleOptions() {
  const colors = currentChartColors();
  return { type: 'linear', ticks: { color: colors.tick }, grid: { color: colors.grid } };
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{xAxis: () => string, onResize: () => void, onHover?: (tooltip: object) => void}} hooks the
 *   current x-axis mode; called on resize; given onHover, the tooltip is not drawn on the canvas but
 *   handed to onHover at every mouse move (its opacity 0 when the mouse has left), for a value table
 */
export function createLineChart(canvas, { xAxis, onResize, onHover }) {
  const x = xScaleOptions(xAxis);
  x.ticks.includeBounds = false; // a zoomed view's edges are not round numbers: no tick there
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    plugins: [bandPlugin],
    options: {
      ...BASE_OPTIONS,
      onResize: () => onResize(),
      spanGaps: false,
      elements: { point: { radius: 0, hoverRadius: 3, hitRadius: 0 }, line: { tension: 0 } },
      interaction: { mode: 'vizdEachRun', intersect: false },
      scales: {
        x,
        y: yScaleOptions(),
      },
      plugins: {
        legend: {
          position: 'bottom',
          maxHeight: 48, // many runs: a few legend rows, the plot keeps its height (the sidebar lists all)
          onClick: () => {},
          labels: {
            boxWidth: 12,
            boxHeight: 3,
            font: { size: 11 },
            color: currentChartColors().tick,
            filter: (item, data) => data.datasets[item.datasetIndex].vizdKind === 'smoothed',
          },
        },
        tooltip: {
          animation: false,
          enabled: !onHover,
          external: onHover ? ({ tooltip }) => onHover(tooltip) : undefined,
          callbacks: {
            title: (items) => {
              if (items.length === 0) return '';
              const mode = xAxis();
              const x = items[0].dataset.data[items[0].dataIndex].x;
              return mode === 'step' ? `step ${x}` : `${axisTitle(mode)} ${formatX(mode, x, 0)}`;
            },
            label: (item) => {
              const d = item.dataset;
              const i = item.dataIndex;
              const raw = formatValue(d.vizdValues[i]);
              const smoothed = formatValue(d.vizdSmoothed[i]);
              const value = raw === smoothed ? raw : `${smoothed} (raw ${raw})`;
              return `${d.label}: ${value}   step ${d.vizdSteps[i]}`;
            },
            labelColor: (item) => ({ borderColor: item.dataset.borderColor, backgroundColor: item.dataset.borderColor }),
          },
        },
      },
    },
  });
}
