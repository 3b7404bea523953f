/* series.js -- from a series as GET /api/v1/scalars sends it to what a chart draws.
 *
 * Charts read the binary columnar form: per run the columns steps, values and (for a time axis) wall
 * times, numbers already (api.js, columns.js). Rows of a JSON answer (downloads) carry values as JSON
 * numbers or the strings "NaN", "Infinity", "-Infinity", turned into numbers once (parsePoints). For
 * drawing, each run gives a raw line, a smoothed line (smoothing applied after the server's reduction,
 * as TensorBoard does after its sampling) and, when the server reduced the data (M4: first/min/max/last
 * per bucket), a min/max band per bucket. Points that cannot be drawn (non-finite, or <= 0 on a log
 * axis) become gaps (y null). Pure: no DOM. */

import { smooth } from './smoothing.js';
import { xValue } from './xaxis.js';

const WORDS = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

export function toNumber(value) {
  if (typeof value === 'number') return value;
  if (value in WORDS) return WORDS[value];
  return Number(value);
}

/** [[step, wall_time, value], ...] with any of them possibly a string -> numbers. */
export function parsePoints(points) {
  return points.map(([step, wallTime, value]) => [toNumber(step), toNumber(wallTime), toNumber(value)]);
}

function drawable(y, logY) {
  return Number.isFinite(y) && (!logY || y > 0) ? y : null;
}

/** The wall time of point i of a series, NaN when the series carries none (a chart over steps). */
function wallTimeOf(series, i) {
  return series.wallTimes ? series.wallTimes[i] : NaN;
}

/**
 * @param {{steps: ArrayLike<number>, values: ArrayLike<number>, wallTimes: ArrayLike<number>|null}} series
 *   one run's columns, in step order
 * @param {{xAxis: string, firstWallTime: number, smoothing: number, logY: boolean}} opts
 * @returns {{raw: {x, y}[], smoothed: {x, y}[], values, smoothedValues: number[], steps}}
 */
export function buildLines(series, { xAxis, firstWallTime, smoothing, logY }) {
  const { steps, values } = series;
  const smoothedValues = smooth(values, smoothing);
  const raw = new Array(steps.length);
  const smoothed = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) {
    const x = xValue(xAxis, steps[i], wallTimeOf(series, i), firstWallTime);
    raw[i] = { x, y: drawable(values[i], logY) };
    smoothed[i] = { x, y: drawable(smoothedValues[i], logY) };
  }
  return { raw, smoothed, values, smoothedValues, steps };
}

/**
 * The shaded min/max band of a reduced series (its columns). The server split [lo, hi] into `buckets`
 * equal step buckets; points are grouped back into them and each bucket gives its min and max over its
 * x extent.
 * @returns {{x0: number, x1: number, min: number, max: number}[]}
 */
export function buildBand(series, { lo, hi, buckets, xAxis, firstWallTime, logY }) {
  const band = [];
  const width = (hi - lo + 1) / buckets;
  const { steps, values } = series;
  let current = null;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const value = values[i];
    const bucket = Math.min(buckets - 1, Math.floor((step - lo) / width));
    const x = xValue(xAxis, step, wallTimeOf(series, i), firstWallTime);
    if (!current || current.bucket !== bucket) {
      current = { bucket, x0: x, x1: x, min: Infinity, max: -Infinity };
      band.push(current);
    }
    current.x1 = x;
    if (Number.isFinite(value) && (!logY || value > 0)) {
      current.min = Math.min(current.min, value);
      current.max = Math.max(current.max, value);
    }
  }
  return band.filter((b) => b.min <= b.max).map(({ x0, x1, min, max }) => ({ x0, x1, min, max }));
}

/**
 * Points with no drawable neighbour (a series of one point, or a value between two gaps) make no
 * line, so they are drawn as dots: the per-point radius, or 0 when no point is isolated.
 * @param {{y: number|null}[]} data  @returns {number|number[]}
 */
export function isolatedPointRadius(data, radius) {
  const isolated = (i) => data[i].y !== null && (i === 0 || data[i - 1].y === null) &&
    (i === data.length - 1 || data[i + 1].y === null);
  let radii = null;
  for (let i = 0; i < data.length; i++) {
    if (!isolated(i)) continue;
    radii = radii || new Array(data.length).fill(0);
    radii[i] = radius;
  }
  return radii || 0;
}

/** Index of the point whose x is nearest to `x` in data sorted by x, or -1 when empty. */
export function nearestIndex(data, x) {
  if (data.length === 0) return -1;
  let lo = 0;
  let hi = data.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (data[mid].x < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(data[lo - 1].x - x) <= Math.abs(data[lo].x - x)) return lo - 1;
  return lo;
}

/**
 * The step range to fetch when the user zooms to [x0, x1] (in x-axis units). It reaches one loaded
 * point beyond each edge, so the refetched lines run to the edges of the view even where the loaded
 * (reduced) data has no point inside the selection. Null when no series reaches the selection.
 * @param {{steps: ArrayLike<number>, wallTimes: ArrayLike<number>|null}[]} seriesList one run's columns each
 * @param {number[]} firstWallTimes one per series
 */
export function stepRangeForX(seriesList, { x0, x1, xAxis, firstWallTimes }) {
  let start = Infinity;
  let end = -Infinity;
  seriesList.forEach((series, i) => {
    let before = null;
    let after = null;
    let inside = false;
    for (let k = 0; k < series.steps.length; k++) {
      const step = series.steps[k];
      const x = xValue(xAxis, step, wallTimeOf(series, k), firstWallTimes[i]);
      if (x <= x0) before = step;
      if (x >= x1 && after === null) after = step;
      if (x >= x0 && x <= x1) {
        inside = true;
        start = Math.min(start, step);
        end = Math.max(end, step);
      }
    }
    if (before !== null && (inside || after !== null)) start = Math.min(start, before);
    if (after !== null && (inside || before !== null)) end = Math.max(end, after);
  });
  return start <= end ? { start, end } : null;
}

/** A value for a tooltip: 5 significant digits, non-finite as NaN / Infinity / -Infinity. */
export function formatValue(value) {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-4)) return value.toExponential(4);
  return String(Number(value.toPrecision(5)));
}

/** A band thinner than this many pixels everywhere hides behind the lines drawn over it. */
export const BAND_VISIBLE_PX = 3;

/**
 * The tallest bucket of the bands in pixels, counting only buckets that overlap [xMin, xMax]
 * (what is on screen); toPixel maps a y value to its pixel. The card names the band in its note only
 * when this reaches BAND_VISIBLE_PX: a note about a band one cannot see only puzzles.
 * @param {{band: {x0: number, x1: number, min: number, max: number}[]}[]} bands
 */
export function bandThickness(bands, toPixel, xMin = -Infinity, xMax = Infinity) {
  let thickest = 0;
  for (const { band } of bands) {
    for (const b of band) {
      if (b.x1 < xMin || b.x0 > xMax) continue;
      thickest = Math.max(thickest, Math.abs(toPixel(b.min) - toPixel(b.max)));
    }
  }
  return thickest;
}
