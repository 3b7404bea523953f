/* hparamaxes.js -- the axes of the HParams plots: numeric and categorical scales, what a brush on an
 * axis selects, and which line or point the mouse is on. Pure: no DOM.
 *
 * A scale maps a value to a unit position u in [0, 1] (0 at the bottom or left end of the axis, 1 at
 * the top or right) and back. Numeric axes are linear, or logarithmic when every value is positive and
 * they span two decades or more (learning rates, weight decays); one value alone sits mid-axis.
 * Categorical axes spread their categories evenly in natural order. */

import { formatNumber, formatTick, niceTicks } from './plotmath.js';
import { categoryOf } from './hparamtable.js';
import { naturalCompare } from './tags.js';

const LOG_MIN_RATIO = 100;

/** Whether a numeric axis over [lo, hi] is drawn in log scale. */
export function prefersLog(lo, hi) {
  return lo > 0 && hi / lo >= LOG_MIN_RATIO;
}

function decadeTicks(lo, hi) {
  const ticks = [];
  for (let k = Math.ceil(Math.log10(lo) - 1e-9); k <= Math.floor(Math.log10(hi) + 1e-9); k++) ticks.push(10 ** k);
  return ticks;
}

/**
 * @param {number[]} values  the column's values (non-numbers and non-finite ones are left out)
 * @returns {{kind: 'numeric', log: boolean, lo: number, hi: number, toUnit: (v) => number|null,
 *   fromUnit: (u) => number, ticks: (count: number) => {u: number, label: string}[]}}
 */
export function numericScale(values) {
  const finite = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) {
    return { kind: 'numeric', log: false, lo: 0, hi: 0, toUnit: () => null, fromUnit: () => NaN, ticks: () => [] };
  }
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (lo === hi) {
    return {
      kind: 'numeric', log: false, lo, hi,
      toUnit: (v) => (v === lo ? 0.5 : null),
      fromUnit: () => lo,
      ticks: () => [{ u: 0.5, label: formatNumber(lo) }],
    };
  }
  const log = prefersLog(lo, hi);
  const forward = log ? Math.log10 : (v) => v;
  const a = forward(lo);
  const b = forward(hi);
  return {
    kind: 'numeric', log, lo, hi,
    toUnit: (v) => (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? (forward(v) - a) / (b - a) : null),
    fromUnit: (u) => (log ? 10 ** (a + u * (b - a)) : a + u * (b - a)),
    ticks(count) {
      if (log) {
        const decades = decadeTicks(lo, hi);
        return decades.map((v) => ({ u: (Math.log10(v) - a) / (b - a), label: formatTick(v, v) }));
      }
      const { ticks, step } = niceTicks(lo, hi, count);
      return ticks.map((v) => ({ u: (v - a) / (b - a), label: formatTick(v, step) }));
    },
  };
}

/**
 * @param {any[]} values  the column's values (undefined and null left out)
 * @returns {{kind: 'categorical', categories: string[], toUnit: (v) => number|null,
 *   ticks: () => {u: number, label: string}[]}}
 */
export function categoricalScale(values) {
  const categories = [...new Set(values.filter((v) => v !== undefined && v !== null).map(categoryOf))]
    .sort(naturalCompare);
  const position = new Map(categories.map((c, i) => [c, categories.length === 1 ? 0.5 : i / (categories.length - 1)]));
  return {
    kind: 'categorical',
    categories,
    toUnit: (v) => (v === undefined || v === null ? null : position.get(categoryOf(v)) ?? null),
    ticks: () => categories.map((c) => ({ u: position.get(c), label: c })),
  };
}

export function scaleFor(kind, values) {
  return kind === 'categorical' ? categoricalScale(values) : numericScale(values);
}

/**
 * What a brush from u0 to u1 (either order) on an axis selects, as a column filter (hparamtable.js'
 * passesColumnFilter): a value range on a numeric axis, the categories inside it on a categorical one.
 * An end within `snap` of an end of the axis reaches it, so a brush begun a pixel inside the top still
 * keeps the largest value.
 */
export function brushFilter(scale, u0, u1, snap = 0) {
  let lo = Math.max(0, Math.min(u0, u1));
  let hi = Math.min(1, Math.max(u0, u1));
  if (lo <= snap) lo = 0;
  if (hi >= 1 - snap) hi = 1;
  if (scale.kind === 'categorical') {
    return { categories: new Set(scale.ticks().filter((t) => t.u >= lo - 1e-9 && t.u <= hi + 1e-9).map((t) => t.label)) };
  }
  // One value alone sits mid-axis: a brush there keeps it, a brush elsewhere keeps nothing.
  if (scale.lo === scale.hi) return lo <= 0.5 && hi >= 0.5 ? { min: scale.lo, max: scale.hi } : { min: Infinity, max: Infinity };
  return { min: scale.fromUnit(lo), max: scale.fromUnit(hi) };
}

/** The [lo, hi] unit extent a column filter covers on an axis (to draw it as a brush), or null when it
 * covers nothing there. An open bound reaches the end of the axis. */
export function filterExtent(scale, filter) {
  if (scale.kind === 'categorical') {
    const us = scale.ticks().filter((t) => filter.categories?.has(t.label)).map((t) => t.u);
    return us.length ? [Math.min(...us), Math.max(...us)] : null;
  }
  if (scale.toUnit(scale.lo) === null) return null;
  const clamp = (u) => Math.max(0, Math.min(1, u));
  const unitOf = (v, fallback) => {
    if (v === undefined || v === null) return fallback;
    if (scale.lo === scale.hi) return v < scale.lo ? 0 : v > scale.lo ? 1 : 0.5;
    if (scale.log && v <= 0) return 0;
    return clamp(scale.toUnit(v));
  };
  const lo = unitOf(filter.min, 0);
  const hi = unitOf(filter.max, 1);
  return lo <= hi ? [lo, hi] : null;
}

/**
 * The line nearest to (x, y) within maxDistance pixels, measured vertically at x: lines[i].ys are the
 * line's pixel heights at the axes' pixel positions axisXs (null where the run has no value: no segment
 * there). @returns {number} its index, or -1.
 */
export function nearestLine(axisXs, lines, x, y, maxDistance) {
  if (axisXs.length === 0) return -1;
  let segment = 0;
  while (segment < axisXs.length - 2 && x > axisXs[segment + 1]) segment++;
  const x0 = axisXs[segment];
  const x1 = axisXs.length > 1 ? axisXs[segment + 1] : x0;
  const t = x1 > x0 ? Math.max(0, Math.min(1, (x - x0) / (x1 - x0))) : 0;
  let best = -1;
  let bestDistance = maxDistance;
  lines.forEach((line, i) => {
    const y0 = line.ys[segment];
    const y1 = axisXs.length > 1 ? line.ys[segment + 1] : y0;
    if (y0 === null || y0 === undefined || y1 === null || y1 === undefined) return;
    const distance = Math.abs(y0 + t * (y1 - y0) - y);
    if (distance <= bestDistance) {
      best = i;
      bestDistance = distance;
    }
  });
  return best;
}

/** The point nearest to (x, y) within maxDistance pixels: its index in points [{x, y}], or -1. */
export function nearestPoint(points, x, y, maxDistance) {
  let best = -1;
  let bestDistance = maxDistance;
  points.forEach((p, i) => {
    const distance = Math.hypot(p.x - x, p.y - y);
    if (distance <= bestDistance) {
      best = i;
      bestDistance = distance;
    }
  });
  return best;
}
