/* hparams.js -- the HParams tab: every run with its hparams and chosen metrics, as a sortable, filterable
 * table, a parallel-coordinates plot and a scatter of a metric against an hparam.
 *
 * Rows, sorting and filters are hparamtable.js; axes, brushes and hit tests hparamaxes.js; this module
 * only draws them (plain DOM and SVG) and wires the events. The metric columns (app state
 * `hparamMetrics`: null for add_hparams' metric tags, else the user's list of {tag, stat}) are shared
 * with the Runs table; their values come from GET /api/v1/hparams through runsummaries.js. Ticking runs
 * here is the dashboard's one run selection (state.deselected), so the other tabs show them.
 *
 * Brushing: drag along an axis to keep the runs inside; a click on the axis clears it. The same filter
 * shows as the column's min/max boxes under the table header (typed values brush the axis), so it is
 * usable from the keyboard too. Hovering a line, a point or a table row highlights that run in all three.
 * Every name and value from clients goes in as text (textContent, SVG <title> text), never as markup. */

import { element, filterInput, rowLimit, runsTable, showFilterValidity } from './dom.js';
import { emptyFilterText, makeMatcher } from './filter.js';
import { brushFilter, filterExtent, nearestLine, nearestPoint, scaleFor } from './hparamaxes.js';
import {
  STATS, buildRows, cellText, columnKind, filterRows, hparamKey, hparamNames, metricColumns, metricKey,
  metricTags, metricTitle, parseBound, plainValue, sortRows,
} from './hparamtable.js';
import { runSummaries, writesTouch } from './runsummaries.js';
import { nextSort, sortHeader } from './sortheader.js';
import { tagsOfKind } from './tags.js';

const SVG = 'http://www.w3.org/2000/svg';
const PLOT_HEIGHT = 320;
const PAR = { top: 44, bottom: 18, left: 64, right: 56 };
const SCATTER = { top: 18, bottom: 40, left: 60, right: 18 };
const HOVER_PX = 6;
const TABLE_ROWS = 200;
const BRUSH_SNAP_PX = 4; // a brush end this close to an end of the axis reaches it
const TITLE_CHAR_PX = 7; // an average character of the 12 px axis titles

function svg(tag, attrs = {}, className) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (className) el.setAttribute('class', className);
  return el;
}

function svgText(x, y, text, className, anchor = 'middle') {
  const el = svg('text', { x, y, 'text-anchor': anchor }, className);
  el.textContent = text;
  return el;
}

/** Cuts a label to about `px` pixels of text charPx wide a character (its whole text stays in a <title>). */
function fitLabel(text, px, charPx = 6.2) {
  const chars = Math.max(3, Math.floor(px / charPx));
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

export function createHparamsTab(ctx) {
  const { state } = ctx;
  const content = element('section', 'tab-content hparams');

  // ---- view state of this tab (what is shared lives in app.js' state) ----
  let sort = { key: 'name', descending: false };
  const columnFilters = new Map(); // column key -> {min, max} | {categories}
  let highlighted = null;
  let scatterX = null; // column keys
  let scatterY = null;
  let loadError = '';
  let loading = false;
  let model = null; // what render() computed: {names, metrics, columns, rows, shown, scales}

  // ---- toolbar: text filter, counts, selection buttons ----
  const toolbar = element('div', 'toolbar hp-toolbar');
  const filter = filterInput('filter hp-filter', 'Filter runs (regex on name or hparam=value)',
    'Filter runs by a regular expression on the run name or hparam=value', (hparamFilter) => ctx.setState({ hparamFilter }));
  const count = element('span', 'muted tag-count hp-count');
  const tickShown = element('button', 'card-button hp-tick-shown', 'Select shown runs');
  tickShown.type = 'button';
  tickShown.title = 'Show exactly the runs left by the filters on every tab';
  const tickAll = element('button', 'card-button hp-tick-all', 'Select all runs');
  tickAll.type = 'button';
  const clearFilters = element('button', 'card-button hp-clear', 'Clear filters');
  clearFilters.type = 'button';
  toolbar.append(filter, count, tickShown, tickAll, clearFilters);

  // ---- metric columns: chips and an "add" control ----
  const metricsBar = element('div', 'hp-metrics');
  const metricsLabel = element('span', 'hp-metrics-label', 'Metrics');
  const chips = element('span', 'hp-chips');
  const tagSelect = element('select', 'hp-tag-select');
  tagSelect.setAttribute('aria-label', 'Scalar tag of a new metric column');
  const statSelect = element('select', 'hp-stat-select');
  statSelect.setAttribute('aria-label', 'Value of the tag: last, min or max');
  for (const stat of STATS) statSelect.append(new Option(stat, stat));
  const addMetric = element('button', 'card-button hp-add-metric', 'Add column');
  addMetric.type = 'button';
  const resetMetrics = element('button', 'card-button hp-reset-metrics', 'Default metrics');
  resetMetrics.type = 'button';
  resetMetrics.title = "The metric tags add_hparams recorded, each's last value";
  metricsBar.append(metricsLabel, chips, tagSelect, statSelect, addMetric, resetMetrics);

  // ---- plots ----
  const plots = element('div', 'hp-plots');
  const parPanel = element('div', 'card hp-panel hp-par-panel');
  const parTitle = element('div', 'card-head');
  parTitle.append(element('span', 'card-title', 'Parallel coordinates'),
    element('span', 'muted hp-hint', 'drag along an axis to filter, click it to clear'));
  const par = svg('svg', { height: PLOT_HEIGHT, role: 'img', 'aria-label': 'Parallel coordinates of hparams and metrics' }, 'hp-parcoords');
  parPanel.append(parTitle, par);
  const scatterPanel = element('div', 'card hp-panel hp-scatter-panel');
  const scatterHead = element('div', 'card-head hp-scatter-head');
  const xSelect = element('select', 'hp-scatter-x');
  xSelect.setAttribute('aria-label', 'Scatter: hparam on the x axis');
  const ySelect = element('select', 'hp-scatter-y');
  ySelect.setAttribute('aria-label', 'Scatter: metric on the y axis');
  scatterHead.append(element('span', 'card-title hp-scatter-title', 'Scatter'), ySelect, element('span', 'muted', 'against'), xSelect);
  const scatter = svg('svg', { height: PLOT_HEIGHT, role: 'img', 'aria-label': 'Scatter of a metric against an hparam' }, 'hp-scatter');
  scatterPanel.append(scatterHead, scatter);
  plots.append(parPanel, scatterPanel);

  // ---- table ----
  const message = element('p', 'hp-message');
  message.hidden = true;
  const { wrap, thead, tbody } = runsTable('hp');
  const empty = element('p', 'empty hp-empty');
  const tooltip = element('div', 'hp-tooltip');
  tooltip.hidden = true;
  const noColumns = element('p', 'muted hp-no-columns',
    'No hparams yet: runs written with "hparams" (or add_hparams) get a column and an axis each. Add a metric column above to compare the runs by a scalar.');
  noColumns.hidden = true;
  const moreRows = rowLimit(TABLE_ROWS, 'hp', ' (all are plotted)', () => render()); // on every sort and brush
  content.append(toolbar, metricsBar, message, noColumns, plots, wrap, moreRows.note, empty, tooltip);

  // ---- selection (the dashboard's run ticks) ----
  function setTicked(names, ticked) {
    const deselected = new Set(state.deselected);
    for (const name of names) {
      if (ticked) deselected.delete(name);
      else deselected.add(name);
    }
    ctx.setState({ deselected });
  }
  tickShown.addEventListener('click', () => {
    const shown = new Set(model?.shown.map((row) => row.name) || []);
    ctx.setState({ deselected: new Set(state.runs.map((r) => r.name).filter((name) => !shown.has(name))) });
  });
  tickAll.addEventListener('click', () => ctx.setState({ deselected: new Set() }));
  clearFilters.addEventListener('click', () => {
    columnFilters.clear();
    filter.value = '';
    if (state.hparamFilter) ctx.setState({ hparamFilter: '' });
    else render();
  });

  // ---- metric columns ----
  function currentMetrics() {
    return metricColumns(state.hparamMetrics, state.runs);
  }
  function setMetrics(list) {
    ctx.setState({ hparamMetrics: list });
  }
  addMetric.addEventListener('click', () => {
    if (!tagSelect.value) return;
    const metric = { tag: tagSelect.value, stat: statSelect.value };
    const list = currentMetrics();
    if (list.some((m) => metricKey(m) === metricKey(metric))) return;
    setMetrics([...list, metric]);
  });
  resetMetrics.addEventListener('click', () => setMetrics(null));

  function renderMetricsBar(metrics) {
    chips.replaceChildren(...metrics.map((metric) => {
      const chip = element('span', 'hp-chip');
      chip.dataset.key = metricKey(metric);
      const remove = element('button', 'hp-chip-remove', '×');
      remove.type = 'button';
      remove.setAttribute('aria-label', `Remove the column ${metricTitle(metric)}`);
      remove.addEventListener('click', () => setMetrics(currentMetrics().filter((m) => metricKey(m) !== metricKey(metric))));
      chip.append(element('span', null, metricTitle(metric)), remove);
      return chip;
    }));
    if (metrics.length === 0) chips.append(element('span', 'muted', 'none'));
    const tags = tagsOfKind(state.tags, 'scalars');
    const chosen = tagSelect.value;
    tagSelect.replaceChildren(...tags.map((tag) => new Option(tag, tag)));
    if (tags.includes(chosen)) tagSelect.value = chosen;
    tagSelect.disabled = addMetric.disabled = tags.length === 0;
    resetMetrics.hidden = state.hparamMetrics === null;
  }

  // ---- highlight: one run across table, plot and scatter ----
  function highlight(name, event) {
    if (name !== highlighted) {
      highlighted = name;
      for (const el of content.querySelectorAll('.highlight')) el.classList.remove('highlight');
      if (name !== null) {
        for (const el of content.querySelectorAll('[data-run]')) {
          if (el.dataset.run !== name) continue;
          el.classList.add('highlight');
          if (el instanceof SVGElement) el.parentNode.append(el); // drawn on top of the others
        }
      }
    }
    if (name !== null && event) {
      tooltip.textContent = name;
      tooltip.hidden = false;
      const box = content.getBoundingClientRect();
      tooltip.style.left = `${event.clientX - box.left + 14}px`;
      tooltip.style.top = `${event.clientY - box.top + 14}px`;
    } else {
      tooltip.hidden = true;
    }
  }

  // ---- the model: rows, columns, scales, filters ----
  function computeModel() {
    const names = hparamNames(state.runs);
    const metrics = currentMetrics();
    const rows = buildRows(state.runs, runSummaries.current(), names, metrics);
    const columns = [
      ...names.map((name) => ({ key: hparamKey(name), title: name, isMetric: false })),
      ...metrics.map((metric) => ({ key: metricKey(metric), title: metricTitle(metric), isMetric: true })),
    ];
    for (const column of columns) {
      column.kind = columnKind(rows, column.key);
      column.scale = scaleFor(column.kind, rows.map((row) => plainValue(row.values[column.key])));
    }
    // A filter outlives its column only while the column does and keeps its kind (a run that writes
    // text into a numeric hparam turns its range filter meaningless).
    const kinds = new Map(columns.map((c) => [c.key, c.kind]));
    for (const [key, active] of columnFilters) {
      if (kinds.get(key) !== (active.categories ? 'categorical' : 'numeric')) columnFilters.delete(key);
    }
    const keys = new Set(kinds.keys());
    if (sort.key !== 'name' && !keys.has(sort.key)) sort = { key: 'name', descending: false };
    const matcher = makeMatcher(state.hparamFilter);
    const shown = sortRows(filterRows(rows, names, matcher, columnFilters), sort.key, sort.descending);
    return { names, metrics, columns, rows, shown, matcher };
  }

  function render() {
    if (content.hidden) return;
    model = computeModel();
    const { columns, rows, shown, matcher, metrics } = model;
    showFilterValidity(filter, matcher);
    if (filter.value !== state.hparamFilter && document.activeElement !== filter) filter.value = state.hparamFilter;
    renderMetricsBar(metrics);
    count.textContent = rows.length ? `${shown.length} of ${rows.length} runs` : '';
    message.textContent = loadError;
    message.classList.toggle('error', Boolean(loadError));
    message.hidden = !loadError;
    const hasRuns = rows.length > 0;
    wrap.hidden = !hasRuns;
    // Nothing to plot yet: say how to get something rather than draw two empty frames.
    plots.hidden = !hasRuns || columns.length === 0;
    noColumns.hidden = !hasRuns || columns.length > 0;
    empty.hidden = hasRuns && shown.length > 0;
    empty.textContent = !hasRuns ? 'No runs yet.'
      : emptyFilterText(matcher, 'No run passes the filters.');
    if (!hasRuns) return;
    // The plots' widths are read before the table is rebuilt: read after, they would make the browser lay
    // out a fresh table of every run at once (a second for 1,000 runs).
    const parWidth = Math.max(320, par.parentElement.clientWidth - 24);
    const scatterWidth = Math.max(260, scatter.parentElement.clientWidth - 24);
    renderTable(columns, shown);
    renderParallel(columns, shown, parWidth);
    renderScatterChoices(columns);
    renderScatter(columns, shown, scatterWidth);
    const h = highlighted;
    highlighted = null;
    highlight(h && shown.some((row) => row.name === h) ? h : null);
  }

  // ---- table ----
  function sortBy(key) {
    sort = nextSort(sort, key);
    render();
  }

  function filterCell(column) {
    const td = element('td', 'hp-range');
    const active = columnFilters.get(column.key);
    if (column.kind === 'categorical') {
      if (active) {
        const clear = element('button', 'card-button hp-range-clear', `${active.categories.size} of ${column.scale.categories.length} ×`);
        clear.type = 'button';
        clear.title = `Clear the filter on ${column.title}`;
        clear.addEventListener('click', () => {
          columnFilters.delete(column.key);
          render();
        });
        td.append(clear);
      }
      return td;
    }
    const box = (bound, label) => {
      const input = element('input', `hp-bound hp-${bound}`);
      input.type = 'text';
      input.inputMode = 'decimal';
      input.placeholder = bound;
      input.setAttribute('aria-label', `${label} of ${column.title}`);
      input.value = active && active[bound] !== undefined && Number.isFinite(active[bound]) ? String(Number(active[bound].toPrecision(4))) : '';
      input.addEventListener('change', () => {
        const min = parseBound(td.querySelector('.hp-min').value);
        const max = parseBound(td.querySelector('.hp-max').value);
        if (min === undefined && max === undefined) columnFilters.delete(column.key);
        else columnFilters.set(column.key, { min, max });
        render();
      });
      return input;
    };
    td.append(box('min', 'Lowest value'), box('max', 'Highest value'));
    return td;
  }

  function renderTable(columns, shown) {
    const head = element('tr');
    const selectTh = element('th', 'hp-select-col');
    selectTh.scope = 'col';
    selectTh.append(element('span', 'visually-hidden', 'Selected'));
    head.append(selectTh, sortHeader('name', 'Run', sort, sortBy, 'hp-run-col'));
    for (const column of columns) head.append(sortHeader(column.key, column.title, sort, sortBy, column.isMetric ? 'hp-metric-col' : 'hp-hparam-col'));
    const filters = element('tr', 'hp-filter-row');
    filters.append(element('td'), element('td'));
    for (const column of columns) filters.append(filterCell(column));
    thead.replaceChildren(head, filters);
    const rows = moreRows.rows(shown);
    tbody.replaceChildren(...rows.map((row) => {
      const tr = element('tr');
      tr.dataset.run = row.name;
      const tickCell = element('td', 'hp-select-col');
      const box = element('input');
      box.type = 'checkbox';
      box.checked = !state.deselected.has(row.name);
      box.setAttribute('aria-label', `Show ${row.name} on every tab`);
      box.addEventListener('change', () => setTicked([row.name], box.checked));
      tickCell.append(box);
      const nameCell = element('td');
      const nameBox = element('span', 'run-cell');
      const swatch = element('span', 'swatch');
      swatch.style.backgroundColor = ctx.colorOf(row.name);
      swatch.dataset.swatchRun = row.name;
      const nameText = element('span', 'run-name', row.name);
      nameText.title = row.name;
      nameBox.append(swatch, nameText);
      nameCell.append(nameBox);
      tr.append(tickCell, nameCell);
      for (const column of columns) {
        const cell = row.values[column.key];
        const td = element('td', column.kind === 'numeric' ? 'number' : 'hparam', cellText(cell));
        if (cell && typeof cell === 'object' && 'step' in cell) td.title = `${plainValue(cell)} at step ${cell.step}`;
        tr.append(td);
      }
      tr.addEventListener('mouseenter', () => highlight(row.name));
      tr.addEventListener('mouseleave', () => highlight(null));
      tr.addEventListener('focusin', () => highlight(row.name));
      return tr;
    }));
  }

  // ---- parallel coordinates ----
  let parGeometry = null; // {axisXs, top, height, columns, lines: [{name, ys}]}
  let brushing = null; // {column, startY, rect}

  function renderParallel(columns, shown, width) {
    par.setAttribute('width', width);
    par.replaceChildren();
    if (columns.length === 0) {
      par.append(svgText(width / 2, PLOT_HEIGHT / 2, 'No hparams or metrics to plot', 'hp-axis-label'));
      parGeometry = null;
      return;
    }
    const top = PAR.top;
    const height = PLOT_HEIGHT - PAR.top - PAR.bottom;
    const span = width - PAR.left - PAR.right;
    const axisXs = columns.map((_, i) => (columns.length === 1 ? PAR.left + span / 2 : PAR.left + (span * i) / (columns.length - 1)));
    const spacing = columns.length === 1 ? span : span / (columns.length - 1);
    const yOf = (u) => top + height * (1 - u);
    const shownNames = new Set(shown.map((row) => row.name));
    const lines = [];
    const linesGroup = svg('g', {}, 'hp-lines');
    const faded = svg('g', {}, 'hp-lines-out');
    for (const row of model.rows) {
      const ys = columns.map((column) => {
        const u = column.scale.toUnit(plainValue(row.values[column.key]));
        return u === null || u === undefined ? null : yOf(u);
      });
      let d = '';
      let open = false;
      ys.forEach((y, i) => {
        if (y === null) {
          open = false;
          return;
        }
        const lone = columns.length === 1 || ((i === 0 || ys[i - 1] === null) && (i === ys.length - 1 || ys[i + 1] === null));
        d += `${open ? 'L' : 'M'}${axisXs[i].toFixed(1)},${y.toFixed(1)}`;
        if (lone) d += `h0.01`; // a run with one value on its own still shows as a dot (round caps)
        open = true;
      });
      if (!d) continue;
      const isShown = shownNames.has(row.name);
      const path = svg('path', { d }, `hp-line${isShown ? '' : ' out'}${state.deselected.has(row.name) ? ' unticked' : ''}`);
      if (isShown) {
        path.style.stroke = ctx.colorOf(row.name);
        path.dataset.run = row.name;
        linesGroup.append(path);
        lines.push({ name: row.name, ys });
      } else {
        faded.append(path);
      }
    }
    par.append(faded, linesGroup);
    columns.forEach((column, i) => {
      const x = axisXs[i];
      const axis = svg('g', {}, 'hp-axis');
      axis.dataset.key = column.key;
      axis.append(svg('line', { x1: x, x2: x, y1: top, y2: top + height }, 'hp-axis-line'));
      for (const tick of column.scale.ticks(5)) {
        const y = yOf(tick.u);
        axis.append(svg('line', { x1: x - 4, x2: x, y1: y, y2: y }, 'hp-tick'));
        const label = svgText(x - 6, y + 3.5, fitLabel(tick.label, Math.min(PAR.left - 8, spacing * 0.6)), 'hp-tick-label', 'end');
        if (label.textContent !== tick.label) label.append(titleOf(tick.label));
        axis.append(label);
      }
      // Titles are centred on their axis, but the outer ones lean inwards when they would not fit.
      let room = Math.min(spacing - 8, 2 * (width - x) - 4, 2 * x - 4);
      let anchor = 'middle';
      let titleX = x;
      const wanted = column.title.length * TITLE_CHAR_PX;
      if (columns.length > 1 && wanted > room && i === columns.length - 1) {
        [anchor, titleX, room] = ['end', width - 2, width - 2 - (x - spacing / 2) - 4];
      } else if (columns.length > 1 && wanted > room && i === 0) {
        [anchor, titleX, room] = ['start', 2, x + spacing / 2 - 6];
      }
      const title = svgText(titleX, top - 26, fitLabel(column.title, Math.max(40, room), TITLE_CHAR_PX), 'hp-axis-label', anchor);
      title.append(titleOf(column.title));
      axis.append(title);
      if (column.scale.log) axis.append(svgText(x, top - 12, 'log', 'hp-axis-note'));
      const active = columnFilters.get(column.key);
      const extent = active ? filterExtent(column.scale, active) : null;
      if (active) {
        const [u0, u1] = extent || [0, 0];
        axis.append(svg('rect', { x: x - 7, width: 14, y: yOf(u1), height: Math.max(2, yOf(u0) - yOf(u1)) }, 'hp-brush'));
      }
      const hit = svg('rect', { x: x - 12, width: 24, y: top - 4, height: height + 8 }, 'hp-axis-hit');
      hit.dataset.key = column.key;
      hit.append(titleOf(`${column.title}: drag to filter, click to clear`));
      hit.addEventListener('pointerdown', (event) => startBrush(event, column, hit));
      axis.append(hit);
      par.append(axis);
    });
    parGeometry = { axisXs, top, height, lines };
  }

  function titleOf(text) {
    const title = svg('title');
    title.textContent = text;
    return title;
  }

  function svgPoint(svgEl, event) {
    const box = svgEl.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  function startBrush(event, column, hit) {
    if (event.button !== 0) return;
    event.preventDefault();
    const { y } = svgPoint(par, event);
    const x = Number(hit.getAttribute('x')) + 5;
    const rect = svg('rect', { x, width: 14, y, height: 0 }, 'hp-brush drawing');
    par.append(rect);
    brushing = { column, startY: y, rect };
    highlight(null);
    hit.setPointerCapture(event.pointerId);
    const move = (e) => {
      const p = svgPoint(par, e);
      const y0 = Math.min(brushing.startY, p.y);
      rect.setAttribute('y', y0);
      rect.setAttribute('height', Math.abs(p.y - brushing.startY));
    };
    const up = (e) => {
      hit.removeEventListener('pointermove', move);
      hit.removeEventListener('pointerup', up);
      hit.removeEventListener('pointercancel', up);
      const p = svgPoint(par, e);
      const { top, height } = parGeometry;
      const unit = (py) => 1 - (py - top) / height;
      if (Math.abs(p.y - brushing.startY) < 3) columnFilters.delete(column.key);
      else columnFilters.set(column.key, brushFilter(column.scale, unit(brushing.startY), unit(p.y), BRUSH_SNAP_PX / height));
      brushing = null;
      render();
    };
    hit.addEventListener('pointermove', move);
    hit.addEventListener('pointerup', up);
    hit.addEventListener('pointercancel', up);
  }

  function lineAt(event) {
    if (!parGeometry || brushing) return null;
    const { x, y } = svgPoint(par, event);
    const i = nearestLine(parGeometry.axisXs, parGeometry.lines, x, y, HOVER_PX);
    return i < 0 ? null : parGeometry.lines[i].name;
  }
  par.addEventListener('pointermove', (event) => {
    if (event.target.classList?.contains('hp-axis-hit')) return highlight(null);
    const name = lineAt(event);
    highlight(name, event);
  });
  par.addEventListener('pointerleave', () => highlight(null));
  par.addEventListener('click', (event) => {
    if (event.target.classList?.contains('hp-axis-hit')) return; // the end of a brush, or clearing one
    const name = lineAt(event);
    if (name !== null) setTicked([name], state.deselected.has(name));
  });

  // ---- scatter ----
  let scatterPoints = [];

  function renderScatterChoices(columns) {
    const hparamColumns = columns.filter((c) => !c.isMetric);
    const metricCols = columns.filter((c) => c.isMetric);
    const xChoices = [...hparamColumns, ...metricCols];
    const yChoices = [...metricCols, ...hparamColumns];
    if (!xChoices.some((c) => c.key === scatterX)) scatterX = xChoices[0]?.key ?? null;
    if (!yChoices.some((c) => c.key === scatterY)) scatterY = yChoices.find((c) => c.key !== scatterX)?.key ?? yChoices[0]?.key ?? null;
    xSelect.replaceChildren(...xChoices.map((c) => new Option(c.title, c.key)));
    ySelect.replaceChildren(...yChoices.map((c) => new Option(c.title, c.key)));
    if (scatterX !== null) xSelect.value = scatterX;
    if (scatterY !== null) ySelect.value = scatterY;
  }
  xSelect.addEventListener('change', () => {
    scatterX = xSelect.value;
    render();
  });
  ySelect.addEventListener('change', () => {
    scatterY = ySelect.value;
    render();
  });

  function renderScatter(columns, shown, width) {
    scatter.setAttribute('width', width);
    scatter.replaceChildren();
    scatterPoints = [];
    const xc = columns.find((c) => c.key === scatterX);
    const yc = columns.find((c) => c.key === scatterY);
    if (!xc || !yc) {
      scatter.append(svgText(width / 2, PLOT_HEIGHT / 2, 'Needs an hparam and a metric', 'hp-axis-label'));
      return;
    }
    const left = SCATTER.left;
    const right = width - SCATTER.right;
    const top = SCATTER.top;
    const bottom = PLOT_HEIGHT - SCATTER.bottom;
    // Categorical and single-valued axes keep their points off the plot's edges.
    const inset = (scale) => (scale.kind === 'categorical' ? 0.08 : 0.03);
    const xOf = (u) => left + (right - left) * (inset(xc.scale) + u * (1 - 2 * inset(xc.scale)));
    const yOf = (u) => bottom - (bottom - top) * (inset(yc.scale) + u * (1 - 2 * inset(yc.scale)));
    const frame = svg('g', {}, 'hp-frame');
    frame.append(svg('line', { x1: left, x2: right, y1: bottom, y2: bottom }, 'hp-axis-line'));
    frame.append(svg('line', { x1: left, x2: left, y1: top, y2: bottom }, 'hp-axis-line'));
    const xTicks = xc.scale.ticks(Math.max(2, Math.floor((right - left) / 80)));
    const xSpacing = (right - left) / Math.max(1, xTicks.length);
    for (const tick of xTicks) {
      const x = xOf(tick.u);
      frame.append(svg('line', { x1: x, x2: x, y1: top, y2: bottom }, 'hp-grid'));
      const label = svgText(x, bottom + 14, fitLabel(tick.label, xSpacing - 4), 'hp-tick-label');
      if (label.textContent !== tick.label) label.append(titleOf(tick.label));
      frame.append(label);
    }
    for (const tick of yc.scale.ticks(5)) {
      const y = yOf(tick.u);
      frame.append(svg('line', { x1: left, x2: right, y1: y, y2: y }, 'hp-grid'));
      const label = svgText(left - 6, y + 3.5, fitLabel(tick.label, left - 10), 'hp-tick-label', 'end');
      if (label.textContent !== tick.label) label.append(titleOf(tick.label));
      frame.append(label);
    }
    const xTitle = svgText((left + right) / 2, PLOT_HEIGHT - 8, fitLabel(`${xc.title}${xc.scale.log ? ' (log)' : ''}`, right - left), 'hp-axis-label');
    xTitle.append(titleOf(xc.title));
    frame.append(xTitle);
    scatter.append(frame);
    const dots = svg('g', {}, 'hp-dots');
    for (const row of shown) {
      const ux = xc.scale.toUnit(plainValue(row.values[xc.key]));
      const uy = yc.scale.toUnit(plainValue(row.values[yc.key]));
      if (ux === null || ux === undefined || uy === null || uy === undefined) continue;
      const x = xOf(ux);
      const y = yOf(uy);
      const dot = svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 4.5 }, `hp-dot${state.deselected.has(row.name) ? ' unticked' : ''}`);
      dot.style.fill = ctx.colorOf(row.name);
      dot.dataset.run = row.name;
      dots.append(dot);
      scatterPoints.push({ x, y, name: row.name });
    }
    scatter.append(dots);
  }

  function pointAt(event) {
    const { x, y } = svgPoint(scatter, event);
    const i = nearestPoint(scatterPoints, x, y, 8);
    return i < 0 ? null : scatterPoints[i].name;
  }
  scatter.addEventListener('pointermove', (event) => highlight(pointAt(event), event));
  scatter.addEventListener('pointerleave', () => highlight(null));
  scatter.addEventListener('click', (event) => {
    const name = pointAt(event);
    if (name !== null) setTicked([name], state.deselected.has(name));
  });

  // ---- data ----
  let loadToken = 0;
  async function load(writes) {
    const tags = metricTags(currentMetrics());
    const token = ++loadToken;
    const held = runSummaries.current();
    const heldError = loadError;
    loading = true;
    try {
      await runSummaries.load(tags, writesTouch(writes, tags));
      if (token === loadToken) loadError = '';
    } catch (error) {
      if (token === loadToken) loadError = `Could not load the metrics: ${error.message}`;
    } finally {
      if (token === loadToken) loading = false;
    }
    // Drawn again only when the values or the message changed: show() has drawn what was held.
    if (token === loadToken && (runSummaries.current() !== held || loadError !== heldError)) render();
  }

  // The plots are as wide as the tab: draw them again when its width changes (not its height, which
  // drawing itself changes).
  let drawnWidth = 0;
  new ResizeObserver(() => {
    const width = content.clientWidth;
    if (width === drawnWidth) return;
    drawnWidth = width;
    if (!content.hidden && model) render();
  }).observe(content);

  return {
    id: 'hparams',
    title: 'HParams',
    usesRunSelector: false,
    settings: null,
    content,
    show() {
      render();
      load([]);
    },
    update(change) {
      if (change.type === 'data') load(change.writes);
      else if (change.keys.includes('hparamMetrics')) load([]);
      else render();
    },
    idle: () => !loading,
    /** For tests: what is shown. */
    debug: () => ({
      shown: model ? model.shown.map((row) => row.name) : [],
      highlighted,
      filters: [...columnFilters.keys()],
    }),
  };
}
