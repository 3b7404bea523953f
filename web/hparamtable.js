/* hparamtable.js -- the rows and columns of the HParams view and the Runs table's metric columns: one row
 * per run, a column per hparam and per chosen metric (a scalar tag's last, min or max value), sorting in
 * natural order and filtering by text and by per-column ranges. Pure: no DOM.
 *
 * A row holds each column's value under the column's key: an hparam as the run wrote it (number, string,
 * boolean, object...), a metric as a number (NaN for a NaN value) with its step, or undefined when the run
 * lacks it. The "metrics" key of a run's hparams is not an hparam when it is a list of strings: that is
 * where add_hparams' metric tags are recorded (docs/API.md, GET /api/v1/hparams), and those tags are the
 * default metric columns. */

import { naturalCompare } from './tags.js';

export const STATS = ['last', 'min', 'max'];

/** Whether hparams[name] is add_hparams' list of metric tags rather than an hparam. */
export function isMetricList(name, value) {
  return name === 'metrics' && Array.isArray(value) && value.every((tag) => typeof tag === 'string');
}

/** The hparam names the runs use, in natural order. */
export function hparamNames(runs) {
  const names = new Set();
  for (const run of runs) {
    for (const [name, value] of Object.entries(run.hparams || {})) if (!isMetricList(name, value)) names.add(name);
  }
  return [...names].sort(naturalCompare);
}

/** The metric tags the runs' add_hparams recorded, each once, in the order first met. */
export function defaultMetricTags(runs) {
  const tags = new Set();
  for (const run of runs) {
    const list = run.hparams?.metrics;
    if (isMetricList('metrics', list)) for (const tag of list) tags.add(tag);
  }
  return [...tags];
}

/** The metric columns shown: the user's choice, or (choice null) the last value of each default tag. */
export function metricColumns(choice, runs) {
  if (Array.isArray(choice)) return choice;
  return defaultMetricTags(runs).map((tag) => ({ tag, stat: 'last' }));
}

/** The scalar tags metric columns need, each once, in natural order (the run summaries to fetch). */
export function metricTags(metrics) {
  return [...new Set(metrics.map((metric) => metric.tag))].sort(naturalCompare);
}

/** A column's key in a row. Hparam and metric keys cannot collide (different first character). */
export function hparamKey(name) {
  return `h:${name}`;
}
export function metricKey({ tag, stat }) {
  return `m:${stat}:${tag}`;
}

/** A metric column's header: "hparam/accuracy (min)". */
export function metricTitle({ tag, stat }) {
  return `${tag} (${stat})`;
}

/** A summary's value as a number: NaN and the infinities arrive as strings (docs/API.md). */
function summaryNumber(value) {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return NaN;
}

/** The value of one metric column from a run's summaries ({tag: {last, min, max}}): {value, step}, or
 * undefined when the run has no value but NaN (min/max) or no value at all (last). */
export function metricCell(scalars, { tag, stat }) {
  const point = scalars?.[tag]?.[stat];
  if (!point) return undefined;
  return { value: summaryNumber(point.value), step: point.step };
}

/**
 * One row per run: {name, values: {key: value}}; metric values are {value, step}.
 * @param {object[]} runs  GET /api/v1/runs' runs
 * @param {Map<string, object>} summaries  run name -> GET /api/v1/hparams' "scalars" of that run
 */
export function buildRows(runs, summaries, names, metrics) {
  return runs.map((run) => {
    const values = {};
    for (const name of names) {
      const value = run.hparams?.[name];
      if (value !== undefined && !isMetricList(name, value)) values[hparamKey(name)] = value;
    }
    const scalars = summaries.get(run.name);
    for (const metric of metrics) {
      const cell = metricCell(scalars, metric);
      if (cell !== undefined) values[metricKey(metric)] = cell;
    }
    return { name: run.name, values };
  });
}

/** The plain value of a cell for comparing and plotting: a metric's number, an hparam as written. */
export function plainValue(cell) {
  return cell !== null && typeof cell === 'object' && 'step' in cell && 'value' in cell ? cell.value : cell;
}

/** Whether a column is numeric (every value present is a finite number) or categorical (anything else:
 * strings, booleans, lists, or numbers mixed with those). A column of no values is numeric. */
export function columnKind(rows, key) {
  for (const row of rows) {
    const value = plainValue(row.values[key]);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number') return 'categorical';
  }
  return 'numeric';
}

/** A categorical value's label: strings as they are, anything else as JSON. */
export function categoryOf(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function isMissing(value) {
  return value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value));
}

/** Order of two present values: numbers by value (before any text), text in natural order. */
export function compareValues(a, b) {
  const aNumber = typeof a === 'number';
  const bNumber = typeof b === 'number';
  if (aNumber && bNumber) return a < b ? -1 : a > b ? 1 : 0;
  if (aNumber !== bNumber) return aNumber ? -1 : 1;
  return naturalCompare(categoryOf(a), categoryOf(b));
}

/**
 * Rows sorted by the column `key` ('name' for the run name), ascending or descending; rows without a
 * value (or NaN) go last either way; ties keep run-name order. A new array.
 */
export function sortRows(rows, key, descending = false) {
  const sign = descending ? -1 : 1;
  const valueOf = (row) => (key === 'name' ? row.name : plainValue(row.values[key]));
  return [...rows].sort((x, y) => {
    const a = valueOf(x);
    const b = valueOf(y);
    const aMissing = isMissing(a);
    const bMissing = isMissing(b);
    if (aMissing || bMissing) {
      if (aMissing !== bMissing) return aMissing ? 1 : -1;
    } else {
      const order = compareValues(a, b);
      if (order !== 0) return sign * order;
    }
    return naturalCompare(x.name, y.name);
  });
}

/** The texts a row's filter looks at (a row passes when one matches): its name, and "name=value" for
 * each hparam, so "^run1$" and "opt=adam" both work. */
export function rowTexts(row, names) {
  const parts = [row.name];
  for (const name of names) {
    const value = row.values[hparamKey(name)];
    if (value !== undefined) parts.push(`${name}=${categoryOf(value)}`);
  }
  return parts;
}

/**
 * Whether a value passes a column filter: {min, max} (either may be missing: unbounded) for numbers,
 * {categories: Set} for categorical values. A row without the value does not pass a column filter.
 */
export function passesColumnFilter(filter, cell) {
  const value = plainValue(cell);
  if (isMissing(value)) return false;
  if (filter.categories) return filter.categories.has(categoryOf(value));
  if (typeof value !== 'number') return false;
  if (filter.min !== undefined && filter.min !== null && value < filter.min) return false;
  if (filter.max !== undefined && filter.max !== null && value > filter.max) return false;
  return true;
}

/**
 * The rows that pass the text matcher (filter.js's makeMatcher, on rowTexts) and every column filter.
 * @param {Map<string, object>} columnFilters  key -> {min, max} | {categories}
 */
export function filterRows(rows, names, matcher, columnFilters) {
  return rows.filter((row) => {
    if (matcher && !rowTexts(row, names).some((text) => matcher.test(text))) return false;
    for (const [key, filter] of columnFilters) if (!passesColumnFilter(filter, row.values[key])) return false;
    return true;
  });
}

/** A cell as text: numbers in at most 6 significant digits (full precision in the title), text as is. */
export function cellText(cell) {
  const value = plainValue(cell);
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs >= 1e6 || abs < 1e-4)) return Number(value.toPrecision(6)).toExponential();
    return String(Number(value.toPrecision(6)));
  }
  return categoryOf(value);
}

/** A parsed range bound from a text box: a number, or undefined for an empty or unreadable box. */
export function parseBound(text) {
  const trimmed = String(text).trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}
