/* graph.js -- the Graph tab: a run's model graph as a layered DAG (SVG, laid out by dagre through
 * graphlayout.js), with containers collapsed until expanded, pan and zoom, a search box, a side panel
 * describing the selected module, print(model) in its own panel, and torchinfo's summary table with
 * its footer figures shown as stat boxes on top.
 *
 * Which runs have a graph is not in GET /api/v1/runs, so each run is asked once (GET /api/v1/graph,
 * 404 = none) and asked again only when its updated_at moves. The chosen run lives in app state
 * (state.graphRun); what is expanded, selected or zoomed is this view's own business. Module names,
 * types and the repr come from clients: every string goes into the SVG with textContent.
 *
 * Module calls are boxes, op nodes (x + identity, torch.flatten) small ellipses as TensorBoard draws
 * ops, the model's inputs and outputs pills. An arrow's label is the shape of the tensor it carries, or
 * "N tensors" when a collapsed container merges several into it. */

import * as api from './api.js';
import { element } from './dom.js';
import { BOX_HEIGHT, createLayoutCache, fitView, layoutGraph } from './graphlayout.js';
import {
  allContainers, ancestorsOf, displayName, edgeLabel, fitText, formatCompact, formatCount, formatShape, indexGraph,
  representative, searchModules, visibleGraph,
} from './graphmodel.js';
import { depthChoices, footerStats } from './summarytable.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const DEFAULT_DEPTH = 3; // torchinfo's default
const PROBE_CONCURRENCY = 4;

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A colour per family of layer, for the stripe on the left of a box. */
function typeColor(type) {
  const t = String(type || '').toLowerCase();
  if (t.includes('conv')) return '#1e88e5';
  if (t.includes('norm')) return '#43a047';
  if (t.includes('pool')) return '#8e24aa';
  if (t.includes('linear') || t.includes('embedding')) return '#00897b';
  if (t.includes('lstm') || t.includes('gru') || t.includes('rnn') || t.includes('attention')) return '#d81b60';
  if (/relu|gelu|silu|tanh|sigmoid|softmax|elu|swish|mish|dropout/.test(t)) return '#fb8c00';
  return '#9e9e9e';
}

export function createGraphTab(ctx) {
  const { state } = ctx;
  const probes = new Map(); // run -> {updatedAt, data: GET /api/v1/graph answer | null, error}
  let pending = 0;
  let model = null;         // indexGraph() of the shown graph
  let shown = null;         // {run, updatedAt} of the graph on screen
  let expanded = new Set();
  let selected = null;
  let matches = [];
  let matchAt = 0;
  let layout = null;
  const layoutCache = createLayoutCache();
  let view = { x: 0, y: 0, k: 1 };
  let lastRenderMs = null;
  let summaryDepth = DEFAULT_DEPTH;
  let summaryRequest = 0;

  // ---- DOM skeleton ----
  const content = element('section', 'tab-content graph');
  const message = element('p', 'empty graph-message');
  const body = element('div', 'graph-body');

  const toolbar = element('div', 'toolbar graph-toolbar');
  const runLabel = element('label', 'graph-run-label', 'Run ');
  const runSelect = element('select', 'graph-run');
  runSelect.setAttribute('aria-label', 'Run with a model graph');
  runLabel.append(runSelect);
  const search = element('input', 'filter graph-search');
  search.type = 'search';
  search.placeholder = 'Find a module (name or type)';
  search.setAttribute('aria-label', 'Find a module');
  const matchCount = element('span', 'muted graph-match-count');
  const expandAll = element('button', 'card-button graph-expand-all', 'Expand all');
  const collapseAll = element('button', 'card-button graph-collapse-all', 'Collapse all');
  const fit = element('button', 'card-button graph-fit', 'Fit');
  for (const b of [expandAll, collapseAll, fit]) b.type = 'button';
  toolbar.append(runLabel, search, matchCount, expandAll, collapseAll, fit);

  const stats = element('div', 'graph-stats');

  const main = element('div', 'graph-main');
  const viewBox = element('div', 'graph-view');
  const svgRoot = svg('svg', { class: 'graph-svg', role: 'img', 'aria-label': 'Model graph' });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'graph-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'graph-arrowhead' }));
  defs.append(marker);
  const viewport = svg('g', { class: 'graph-viewport' });
  const clusterLayer = svg('g', { class: 'graph-clusters' });
  const edgeLayer = svg('g', { class: 'graph-edges' });
  const labelLayer = svg('g', { class: 'graph-edge-labels' });
  const nodeLayer = svg('g', { class: 'graph-nodes' });
  viewport.append(clusterLayer, edgeLayer, labelLayer, nodeLayer);
  svgRoot.append(defs, viewport);
  const zoomButtons = element('div', 'graph-zoom');
  const zoomIn = element('button', 'card-button', '+');
  const zoomOut = element('button', 'card-button', '\u2212');
  zoomIn.type = 'button';
  zoomOut.type = 'button';
  zoomIn.title = 'Zoom in';
  zoomOut.title = 'Zoom out';
  zoomButtons.append(zoomIn, zoomOut);
  const hint = element('div', 'graph-hint muted', 'Drag to pan, wheel to zoom, click a box for details, + or double-click to expand; Tab to a box, Enter selects, + / \u2212 expand / collapse');
  viewBox.append(svgRoot, zoomButtons, hint);

  const side = element('aside', 'graph-side card');
  const sideTitle = element('h3', 'panel-title', 'Selected module');
  const sideBody = element('div', 'graph-details');
  side.append(sideTitle, sideBody);
  main.append(viewBox, side);

  const panels = element('div', 'graph-panels');
  const summaryCard = element('div', 'card graph-summary-card');
  const summaryHead = element('div', 'card-head');
  const depthLabel = element('label', 'graph-depth-label', 'Depth ');
  const depthSelect = element('select', 'graph-depth');
  depthLabel.append(depthSelect);
  summaryHead.append(element('span', 'card-title', 'Summary (torchinfo)'), depthLabel);
  const summaryText = element('pre', 'graph-summary');
  summaryCard.append(summaryHead, summaryText);
  const reprCard = element('div', 'card graph-repr-card');
  reprCard.append(element('div', 'card-head', 'print(model)'), element('pre', 'graph-repr'));
  const reprText = reprCard.querySelector('.graph-repr');
  reprCard.firstChild.className = 'card-head card-title';
  panels.append(summaryCard, reprCard);

  body.append(toolbar, stats, main, panels);
  content.append(message, body);

  // ---- data ----
  function graphRuns() {
    return state.runs.map((r) => r.name).filter((name) => probes.get(name)?.data);
  }

  async function probe(run) {
    const updatedAt = run.updated_at;
    if (run.counts && run.counts.graph === 0) {
      // Counted by the daemon: no need to ask (and log a 404 in the console).
      probes.set(run.name, { updatedAt, data: null });
      return;
    }
    try {
      const data = await api.getGraph(run.name);
      probes.set(run.name, { updatedAt, data });
    } catch (error) {
      probes.set(run.name, { updatedAt, data: null, error: error.status === 404 ? null : error.message });
    }
  }

  async function refreshProbes() {
    const names = new Set(state.runs.map((r) => r.name));
    for (const name of probes.keys()) if (!names.has(name)) probes.delete(name);
    const stale = state.runs.filter((r) => probes.get(r.name)?.updatedAt !== r.updated_at);
    if (stale.length === 0) return;
    pending += 1;
    try {
      let next = 0;
      const worker = async () => {
        while (next < stale.length) await probe(stale[next++]);
      };
      await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, stale.length) }, worker));
    } finally {
      pending -= 1;
    }
  }

  function chosenRun() {
    const runs = graphRuns();
    return runs.includes(state.graphRun) ? state.graphRun : runs[0] ?? null;
  }

  async function sync() {
    await refreshProbes();
    const runs = graphRuns();
    runSelect.replaceChildren(...runs.map((name) => {
      const option = element('option', null, name);
      option.value = name;
      return option;
    }));
    const run = chosenRun();
    message.hidden = run !== null;
    body.hidden = run === null;
    if (run === null) {
      message.textContent = state.runs.length ? 'No run has a model graph yet. Post one with {"run": ..., "graph": {...}}.' : 'No runs yet.';
      shown = null;
      return;
    }
    runSelect.value = run;
    const probeEntry = probes.get(run);
    if (shown && shown.run === run && shown.updatedAt === probeEntry.updatedAt) return;
    const sameRun = shown?.run === run;
    shown = { run, updatedAt: probeEntry.updatedAt };
    showGraph(probeEntry.data, sameRun);
  }

  function showGraph(data, keepView) {
    model = indexGraph(data.graph || {});
    expanded = new Set(keepView ? [...expanded].filter((id) => model.nodes.has(id)) : []);
    if (!keepView || (selected !== null && !model.nodes.has(selected) && !model.inputs.has(selected) && !model.outputs.has(selected))) selected = null;
    matches = [];
    renderStats(data.summary);
    reprText.textContent = data.graph?.repr || '(no repr posted)';
    const choices = depthChoices(data.summary?.rows);
    depthSelect.replaceChildren(...choices.map((d) => {
      const option = element('option', null, String(d));
      option.value = String(d);
      return option;
    }));
    if (!keepView) summaryDepth = Math.min(DEFAULT_DEPTH, choices[choices.length - 1]);
    summaryDepth = Math.min(summaryDepth, choices[choices.length - 1]);
    depthSelect.value = String(summaryDepth);
    loadSummary();
    render({ fit: !keepView });
    renderDetails();
    if (search.value) runSearch(false);
  }

  async function loadSummary() {
    const request = ++summaryRequest;
    const run = shown.run;
    pending += 1;
    try {
      const text = await api.getGraphSummaryText(run, summaryDepth);
      if (request === summaryRequest) summaryText.textContent = text;
    } catch (error) {
      if (request === summaryRequest) summaryText.textContent = `Could not load the summary: ${error.message}`;
    } finally {
      pending -= 1;
    }
  }

  function renderStats(summary) {
    if (!summary?.totals) {
      stats.replaceChildren();
      return;
    }
    stats.replaceChildren(...footerStats(summary.totals).map(({ label, value }) => {
      const box = element('div', 'graph-stat');
      box.append(element('div', 'graph-stat-value', value), element('div', 'graph-stat-label', label));
      return box;
    }));
  }

  // ---- drawing ----
  function boxLines(id, kind) {
    if (kind === 'input' || kind === 'output') {
      const end = kind === 'input' ? model.inputs.get(id) : model.outputs.get(id);
      return { type: kind === 'input' ? 'Input' : 'Output', name: String(end.name ?? ''), shape: formatShape(end.shape), params: end.dtype ? String(end.dtype) : '' };
    }
    const node = model.nodes.get(id);
    const params = kind === 'collapsed' ? model.subtreeParams(id) : Number(node.params) || 0;
    return {
      type: String(node.type ?? ''),
      name: displayName(node),
      shape: formatShape(node.output_shape),
      params: params > 0 ? formatCompact(params) : '',
    };
  }

  /** An op: an ellipse with the op's name, its output shape in the tooltip. */
  function drawOp(id, rect) {
    const node = model.nodes.get(id);
    const g = svg('g', { class: 'graph-node kind-op', transform: `translate(${rect.x},${rect.y})` });
    g.dataset.id = id;
    g.dataset.op = String(node.op ?? '');
    g.append(svg('ellipse', { class: 'graph-box', cx: rect.width / 2, cy: rect.height / 2, rx: rect.width / 2, ry: rect.height / 2 }));
    g.append(svg('text', { class: 'graph-op-name', x: rect.width / 2, y: rect.height / 2 + 4, 'text-anchor': 'middle' },
      fitText(String(node.op ?? ''), Math.floor((rect.width - 16) / 6.6))));
    const shape = formatShape(node.output_shape);
    const tip = [`op ${node.op ?? ''}`, shape && `output ${shape}`].filter(Boolean).join('\n');
    g.append(svg('title', {}, tip));
    return focusable(g, tip);
  }

  function drawBox(id, kind, rect) {
    if (kind === 'op') return drawOp(id, rect);
    const g = svg('g', { class: `graph-node kind-${kind}`, transform: `translate(${rect.x},${rect.y})` });
    g.dataset.id = id;
    const lines = boxLines(id, kind);
    const isEnd = kind === 'input' || kind === 'output';
    if (!isEnd) g.dataset.module = model.nodes.get(id).module ?? '';
    const radius = isEnd ? BOX_HEIGHT / 2 : 4;
    g.append(svg('rect', { class: 'graph-box', width: rect.width, height: rect.height, rx: radius }));
    if (!isEnd) {
      g.append(svg('rect', { class: 'graph-stripe', x: 0, y: 0, width: 5, height: rect.height, rx: 2, fill: typeColor(lines.type) }));
    }
    const left = isEnd ? 22 : 13;
    const paramWidth = lines.params ? lines.params.length * 6.4 + 8 : 0;
    const toggleWidth = kind === 'collapsed' ? 22 : 0;
    const typeChars = Math.floor((rect.width - left - 8 - paramWidth - toggleWidth) / 7.4);
    g.append(svg('text', { class: 'graph-type', x: left, y: 17 }, fitText(lines.type, typeChars)));
    if (lines.params) {
      g.append(svg('text', { class: 'graph-params', x: rect.width - 8 - toggleWidth, y: 17, 'text-anchor': 'end' }, lines.params));
    }
    g.append(svg('text', { class: 'graph-name', x: left, y: 32 }, fitText(lines.name, Math.floor((rect.width - left - 8) / 6.3))));
    g.append(svg('text', { class: 'graph-shape', x: left, y: 46 }, fitText(lines.shape, Math.floor((rect.width - left - 8) / 6.3))));
    if (kind === 'collapsed') {
      const count = model.children.get(id).length;
      const toggle = svg('g', { class: 'graph-toggle', transform: `translate(${rect.width - 14},12)` });
      toggle.dataset.id = id;
      toggle.append(svg('circle', { r: 8 }), svg('text', { y: 4, 'text-anchor': 'middle' }, '+'));
      toggle.append(svg('title', {}, `Expand (${count} modules inside)`));
      g.append(toggle);
    }
    const tip = [lines.type, lines.name, lines.shape && `output ${lines.shape}`, lines.params && (isEnd ? lines.params : `${lines.params} params`)];
    g.append(svg('title', {}, tip.filter(Boolean).join('\n')));
    return focusable(g, tip.filter(Boolean).join(', '), kind === 'collapsed');
  }

  function drawCluster(id, rect) {
    const node = model.nodes.get(id);
    const g = svg('g', { class: 'graph-cluster', transform: `translate(${rect.x},${rect.y})` });
    g.dataset.id = id;
    g.dataset.module = node.module ?? '';
    g.append(svg('rect', { class: 'graph-cluster-box', width: rect.width, height: rect.height, rx: 6 }));
    const toggle = svg('g', { class: 'graph-toggle', transform: 'translate(14,14)' });
    toggle.dataset.id = id;
    toggle.append(svg('circle', { r: 8 }), svg('text', { y: 4, 'text-anchor': 'middle' }, '\u2212'), svg('title', {}, 'Collapse'));
    const params = model.subtreeParams(id);
    const title = `${displayName(node)} \u00b7 ${node.type ?? ''}${params > 0 ? ` \u00b7 ${formatCompact(params)}` : ''}`;
    g.append(svg('text', { class: 'graph-cluster-title', x: 28, y: 18 }, fitText(title, Math.floor((rect.width - 36) / 6.6))), toggle);
    g.append(svg('title', {}, title));
    return focusable(g, title, true);
  }

  /** Reachable with Tab and operable from the keyboard (the keydown handler below): Enter or Space
   * selects, + expands a collapsed box, - collapses an expanded module. */
  function focusable(g, label, expandable = false) {
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-label', label);
    if (expandable) g.setAttribute('aria-expanded', String(g.classList.contains('graph-cluster')));
    return g;
  }

  function pathOf(points) {
    return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join('');
  }

  /** Lays out and draws the visible graph; measured for the benchmark (bench/bench_graph_layout.mjs). */
  function render({ fit: fitView = false, keep = null } = {}) {
    const started = performance.now();
    const before = keep ? screenRectOf(keep) : null;
    const visible = visibleGraph(model, expanded);
    layout = layoutGraph(window.dagre, visible, layoutCache);
    const clusterEls = [];
    for (const [id, rect] of layout.clusters) clusterEls.push(drawCluster(id, rect));
    const boxEls = visible.boxes.map((box) => drawBox(box.id, box.kind, layout.boxes.get(box.id)));
    const edgeEls = [];
    const labelEls = [];
    for (const edge of layout.edges) {
      if (edge.points.length < 2) continue;
      const path = svg('path', { class: 'graph-edge', d: pathOf(edge.points), 'marker-end': 'url(#graph-arrow)' });
      path.dataset.from = edge.from;
      path.dataset.to = edge.to;
      edgeEls.push(path);
      path.dataset.count = String(edge.count);
      if (edge.count > 1) path.classList.add('merged');
      const text = edgeLabel(edge);
      if (edge.label && text) {
        labelEls.push(svg('text', { class: 'graph-edge-label', x: (edge.label.x + 6).toFixed(1), y: (edge.label.y + 4).toFixed(1) }, text));
      }
    }
    clusterLayer.replaceChildren(...clusterEls);
    edgeLayer.replaceChildren(...edgeEls);
    labelLayer.replaceChildren(...labelEls);
    nodeLayer.replaceChildren(...boxEls);
    if (fitView) fitToView();
    else if (before) keepOnScreen(keep, before);
    applyView();
    markSelection();
    // Force style and layout now, so the figure includes the browser's share of drawing.
    svgRoot.getBoundingClientRect();
    lastRenderMs = performance.now() - started;
    content.dataset.boxes = String(visible.boxes.length);
  }

  function rectOf(id) {
    return layout?.boxes.get(id) || layout?.clusters.get(id) || null;
  }

  function screenRectOf(id) {
    const rect = rectOf(id);
    return rect ? { x: rect.x * view.k + view.x, y: rect.y * view.k + view.y } : null;
  }

  function keepOnScreen(id, before) {
    const rect = rectOf(id);
    if (!rect || !before) return;
    view.x = before.x - rect.x * view.k;
    view.y = before.y - rect.y * view.k;
  }

  /** The whole graph if it fits readably, else its width at a readable scale from the top (graphlayout.js). */
  function fitToView() {
    view = fitView(layout.width, layout.height, viewBox.clientWidth || 800, viewBox.clientHeight || 600);
  }

  function applyView() {
    viewport.setAttribute('transform', `translate(${view.x.toFixed(2)},${view.y.toFixed(2)}) scale(${view.k.toFixed(4)})`);
  }

  function zoomAt(factor, cx, cy) {
    const k = Math.min(4, Math.max(0.05, view.k * factor));
    view.x = cx - (cx - view.x) * (k / view.k);
    view.y = cy - (cy - view.y) * (k / view.k);
    view.k = k;
    applyView();
  }

  function centerOn(id) {
    const rect = rectOf(id);
    if (!rect) return;
    const width = viewBox.clientWidth || 800;
    const height = viewBox.clientHeight || 600;
    view.x = width / 2 - (rect.x + rect.width / 2) * view.k;
    view.y = height / 2 - (rect.y + Math.min(rect.height, BOX_HEIGHT) / 2) * view.k;
    applyView();
  }

  function markSelection() {
    for (const el of content.querySelectorAll('.graph-node.selected, .graph-cluster.selected, .graph-node.highlight, .graph-cluster.highlight')) {
      el.classList.remove('selected', 'highlight');
    }
    const find = (id) => (id === null ? null : nodeLayer.querySelector(`[data-id="${CSS.escape(id)}"]`)
      || clusterLayer.querySelector(`.graph-cluster[data-id="${CSS.escape(id)}"]`));
    const selectedRep = selected === null ? null : representative(model, expanded, selected);
    find(selectedRep)?.classList.add('selected');
    if (matches.length) {
      const rep = representative(model, expanded, matches[matchAt]);
      find(rep)?.classList.add('highlight');
    }
  }

  // ---- details panel ----
  function detailRows(id) {
    if (model.inputs.has(id) || model.outputs.has(id)) {
      const end = model.inputs.get(id) ?? model.outputs.get(id);
      return [[model.inputs.has(id) ? 'Input' : 'Output', String(end.name ?? '')], ['Shape', formatShape(end.shape)], ['dtype', String(end.dtype ?? '')]];
    }
    const node = model.nodes.get(id);
    if (node.kind === 'op') {
      const parent = model.parentOf(id);
      const rows = [['Op', String(node.op ?? '')]];
      if (parent !== null) rows.push(['In', displayName(model.nodes.get(parent))]);
      if (node.output_shape !== undefined) rows.push(['Output shape', formatShape(node.output_shape)]);
      if (node.dtype !== undefined) rows.push(['dtype', String(node.dtype)]);
      const inbound = (model.graph.edges || []).filter((edge) => String(edge[1]) === id).length;
      rows.push(['Inputs', String(inbound)]);
      return rows;
    }
    const row = probes.get(shown.run)?.data?.summary?.rows?.find((r) => String(r.id) === id);
    const rows = [
      ['Module', node.module === '' ? '(model)' : String(node.module)],
      ['Type', String(node.type ?? '')],
    ];
    if (row?.label) rows.push(['Summary row', String(row.label)]);
    const parent = model.parentOf(id);
    if (parent !== null) rows.push(['Parent', displayName(model.nodes.get(parent))]);
    if (node.input_shape !== undefined) rows.push(['Input shape', formatShape(node.input_shape)]);
    if (node.output_shape !== undefined) rows.push(['Output shape', formatShape(node.output_shape)]);
    if (node.dtype !== undefined) rows.push(['dtype', String(node.dtype)]);
    if (node.params !== undefined) rows.push(['Parameters (own)', formatCount(node.params)]);
    if (node.trainable_params !== undefined) rows.push(['Trainable', formatCount(node.trainable_params)]);
    if (model.isContainer(id)) {
      rows.push(['Parameters (total)', formatCount(model.subtreeParams(id))]);
      rows.push(['Children', String(model.children.get(id).length)]);
    }
    if (row?.is_recursive) rows.push(['Call', 'repeated call (recursive)']);
    if (node.kernel_size !== undefined) rows.push(['Kernel size', Array.isArray(node.kernel_size) ? node.kernel_size.join('×') : String(node.kernel_size)]);
    if (node.mult_adds !== undefined) rows.push(['Mult-adds', formatCount(node.mult_adds)]);
    else if (row?.mult_adds && row.mult_adds !== '--') rows.push(['Mult-adds', String(row.mult_adds)]);
    if (row?.params_percent && row.params_percent !== '--') rows.push(['Params %', String(row.params_percent)]);
    for (const [key, value] of Object.entries(node.attrs || {})) {
      rows.push([key, typeof value === 'string' ? value : JSON.stringify(value)]);
    }
    return rows;
  }

  function renderDetails() {
    if (selected === null || !model) {
      sideBody.replaceChildren(element('p', 'muted', 'Click a box to see its attributes.'));
      return;
    }
    const list = element('dl', 'graph-attrs');
    for (const [key, value] of detailRows(selected)) list.append(element('dt', null, key), element('dd', null, value));
    sideBody.replaceChildren(list);
  }

  // ---- interaction ----
  function toggle(id) {
    if (expanded.has(id)) {
      expanded.delete(id);
      for (const inner of [...expanded]) if (ancestorsOf(model, inner).includes(id)) expanded.delete(inner);
    } else {
      expanded.add(id);
    }
    render({ keep: id });
  }

  function select(id) {
    selected = id;
    markSelection();
    renderDetails();
  }

  function runSearch(move) {
    if (!model) return;
    const found = searchModules(model, search.value);
    const same = found.length === matches.length && found.every((id, i) => id === matches[i]);
    matches = found;
    matchAt = same && move ? (matchAt + 1) % Math.max(1, found.length) : same ? matchAt : 0;
    matchCount.textContent = search.value.trim() ? (found.length ? `${matchAt + 1} of ${found.length}` : 'no match') : '';
    search.classList.toggle('invalid', search.value.trim() !== '' && found.length === 0);
    if (!found.length) {
      markSelection();
      return;
    }
    const target = matches[matchAt];
    const hidden = ancestorsOf(model, target).filter((a) => !expanded.has(a));
    if (hidden.length) {
      for (const a of hidden) expanded.add(a);
      render();
    }
    markSelection();
    centerOn(representative(model, expanded, target));
  }

  let drag = null;
  svgRoot.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, viewX: view.x, viewY: view.y, moved: false };
  });
  window.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    viewBox.classList.add('panning');
    view.x = drag.viewX + dx;
    view.y = drag.viewY + dy;
    applyView();
  });
  window.addEventListener('pointerup', () => {
    if (drag?.moved) svgRoot.dataset.dragged = '1';
    drag = null;
    viewBox.classList.remove('panning');
  });
  svgRoot.addEventListener('click', (event) => {
    if (svgRoot.dataset.dragged) {
      delete svgRoot.dataset.dragged;
      return;
    }
    const toggleEl = event.target.closest('.graph-toggle');
    if (toggleEl) {
      toggle(toggleEl.dataset.id);
      return;
    }
    const nodeEl = event.target.closest('.graph-node, .graph-cluster');
    if (nodeEl) select(nodeEl.dataset.id);
  });
  svgRoot.addEventListener('keydown', (event) => {
    const nodeEl = event.target.closest?.('.graph-node, .graph-cluster');
    if (!nodeEl) return;
    const id = nodeEl.dataset.id;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select(id);
    } else if ((event.key === '+' && nodeEl.classList.contains('kind-collapsed'))
      || (event.key === '-' && nodeEl.classList.contains('graph-cluster'))) {
      event.preventDefault();
      toggle(id);
      // The boxes were drawn anew: keep the keyboard on the module just expanded or collapsed.
      content.querySelector(`.graph-nodes [data-id="${CSS.escape(id)}"], .graph-clusters [data-id="${CSS.escape(id)}"]`)?.focus();
    }
  });
  svgRoot.addEventListener('dblclick', (event) => {
    const nodeEl = event.target.closest('.graph-node.kind-collapsed');
    if (nodeEl) toggle(nodeEl.dataset.id);
  });
  svgRoot.addEventListener('wheel', (event) => {
    event.preventDefault();
    const bounds = svgRoot.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - bounds.left, event.clientY - bounds.top);
  }, { passive: false });
  zoomIn.addEventListener('click', () => zoomAt(1.25, viewBox.clientWidth / 2, viewBox.clientHeight / 2));
  zoomOut.addEventListener('click', () => zoomAt(0.8, viewBox.clientWidth / 2, viewBox.clientHeight / 2));
  fit.addEventListener('click', () => {
    if (!layout) return;
    fitToView();
    applyView();
  });
  expandAll.addEventListener('click', () => {
    if (!model) return;
    expanded = new Set(allContainers(model));
    render({ fit: true });
  });
  collapseAll.addEventListener('click', () => {
    if (!model) return;
    expanded = new Set();
    render({ fit: true });
  });
  search.addEventListener('input', () => runSearch(false));
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') runSearch(true);
  });
  runSelect.addEventListener('change', () => ctx.setState({ graphRun: runSelect.value }));
  depthSelect.addEventListener('change', () => {
    summaryDepth = Number(depthSelect.value);
    loadSummary();
  });

  let syncing = null;
  let syncAgain = false;
  function scheduleSync() {
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        syncAgain = false;
        try {
          await sync();
        } catch (error) {
          ctx.setStatus(`graph: ${error.message}`, true);
        }
      } while (syncAgain);
      syncing = null;
    })();
    return syncing;
  }

  return {
    id: 'graph',
    title: 'Graph',
    usesRunSelector: false,
    settings: null,
    content,
    show() {
      scheduleSync();
    },
    update(change) {
      if (change.type === 'data') {
        // A graph write for a run moves its updated_at, which makes sync() ask again.
        scheduleSync();
      } else if (change.keys.includes('graphRun')) {
        scheduleSync();
      }
    },
    idle: () => syncing === null && pending === 0,
    /** For tests and the benchmark. */
    debug: () => ({ run: shown?.run ?? null, renderMs: lastRenderMs, dagreCalls: layout?.dagreCalls ?? 0,
      boxes: layout ? layout.boxes.size : 0, expanded: [...expanded], selected, view: { ...view } }),
  };
}
