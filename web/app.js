/* app.js -- the dashboard's entry point: the one place state lives, the tab bar, live updates.
 *
 * Tabs are objects {id, title, usesRunSelector, settings, content, show(), update(change)} that
 * render from `state` and change it only through setState. A change reaches the active tab as
 *   {type: 'state', keys: [...]}         settings, filters or the run selection changed
 *   {type: 'data', writes: [...]|null}   runs and tags were refetched; `writes` are the write events
 *                                        that caused it (null: anything may have changed)
 * A hidden tab is brought up to date when it is shown again.
 *
 * The tab bar is an ARIA tab list with manual activation: Left/Right (and Home/End) move the focus
 * between tabs, Enter or Space opens the focused one; only the open tab is in the Tab order. */

import * as api from './api.js';
import { cleanCardWidths } from './cardwidth.js';
import { ColorAssigner, cleanRunColors } from './colors.js';
import { createDistributionsTab } from './distributions.js';
import { makeMatcher } from './filter.js';
import { cleanPins } from './pins.js';
import { createGraphTab } from './graph.js';
import { HISTOGRAM_MODES, createHistogramsTab } from './histograms.js';
import { createHparamsTab } from './hparams.js';
import { createImagesTab } from './images.js';
import { createRunsTab } from './runs.js';
import { createRunSelector } from './runselector.js';
import { createScalarsTab } from './scalars.js';
import { createTensorsTab } from './tensors.js';
import { createTextsTab } from './texts.js';
import { THEME_EVENT, initTheme, legibleRunColor, restyleChart } from './theme.js';

const state = {
  tab: 'scalars',
  runs: [],              // GET /api/v1/runs, sorted by name
  tags: {},              // GET /api/v1/tags: {run: {kind: {tag: info}}}
  deselected: new Set(), // runs unticked in the run list (new runs start ticked)
  runFilter: '',
  tagFilter: '',          // Scalars tab
  histogramTagFilter: '', // Histograms tab
  distributionTagFilter: '', // Distributions tab
  imageTagFilter: '',    // Images tab
  tensorTagFilter: '',   // Tensors tab
  textTagFilter: '',     // Text tab
  hparamFilter: '',      // HParams tab: regex on run names and hparam=value
  hparamMetrics: null,   // HParams tab and Runs table: metric columns [{tag, stat}]; null: add_hparams' tags
  imageBrightness: 1,    // Images tab: CSS filter factors, 1 = as stored
  imageContrast: 1,
  imageActualSize: false,
  smoothing: 0.6,
  xAxis: 'step',
  logY: false,
  ignoreOutliers: false,
  histogramMode: 'offset', // 'offset' | 'overlay'
  cardWidths: {},          // tab id -> card width in px (cardwidth.js; missing: the tab's default)
  pinned: {},              // tab id -> keys of the cards pinned to its top (pins.js)
  runColors: {},           // run -> '#rrggbb' picked in the run list (missing: the assigned colour)
  graphRun: null,          // Graph tab: the run whose model graph is shown (null: the first with one)
};

// Chart settings outlive the page, as in TensorBoard; filters and the run selection do not.
const SETTINGS_KEY = 'vizd.settings';
const SAVED_SETTINGS = {
  smoothing: 'number', xAxis: 'string', logY: 'boolean', ignoreOutliers: 'boolean', histogramMode: 'string',
  cardWidths: 'object', pinned: 'object', runColors: 'object',
};

function loadSettings() {
  let saved = {};
  try {
    saved = JSON.parse(window.localStorage.getItem(SETTINGS_KEY)) || {};
  } catch {
    return; // storage blocked or corrupt: keep the defaults
  }
  for (const [key, type] of Object.entries(SAVED_SETTINGS)) {
    if (typeof saved[key] === type) state[key] = saved[key];
  }
  if (!(state.smoothing >= 0 && state.smoothing <= 0.999)) state.smoothing = 0.6;
  if (!['step', 'relative', 'wall'].includes(state.xAxis)) state.xAxis = 'step';
  if (!HISTOGRAM_MODES.includes(state.histogramMode)) state.histogramMode = 'offset';
  state.cardWidths = cleanCardWidths(state.cardWidths);
  state.pinned = cleanPins(state.pinned);
  state.runColors = cleanRunColors(state.runColors);
}

function saveSettings() {
  const settings = Object.fromEntries(Object.keys(SAVED_SETTINGS).map((key) => [key, state[key]]));
  try {
    window.localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  } catch {
    // storage blocked (private mode): settings last for this page only
  }
}

loadSettings();
const theme = initTheme();
// Chart.js charts carry their colours in their options: restyle every live one on a theme change.
// Run colours differ between themes too (legibleRunColor): repaint the swatches and redraw the cards.
window.addEventListener(THEME_EVENT, () => {
  for (const chart of Object.values(window.Chart.instances)) restyleChart(chart);
  repaintSwatches();
  refresh(null);
});

function repaintSwatches() {
  for (const swatch of document.querySelectorAll('.swatch[data-run]')) swatch.style.backgroundColor = ctx.colorOf(swatch.dataset.run);
}
const colors = new ColorAssigner();
const LIVE_DELAY_MS = 250;    // gather a burst of writes into one refresh
const LIVE_MAX_WAIT_MS = 1000; // but refresh at least this often while writes keep coming

const ctx = {
  state,
  setState,
  refresh,
  // A picked colour is the user's choice, shown as picked in either theme.
  colorOf: (run) => state.runColors[run] || legibleRunColor(colors.colorOf(run), theme.theme()),
  /** Runs drawn in charts: ticked and matching the run filter, in run order. */
  shownRuns() {
    const matcher = makeMatcher(state.runFilter);
    return state.runs.map((r) => r.name).filter((name) => !state.deselected.has(name) && matcher.test(name));
  },
  setStatus,
};

const tabs = [createScalarsTab(ctx), createHistogramsTab(ctx), createDistributionsTab(ctx), createImagesTab(ctx),
  createTensorsTab(ctx), createGraphTab(ctx), createTextsTab(ctx), createHparamsTab(ctx), createRunsTab(ctx)];
const scalarsTab = tabs[0];
const staleTabs = new Set();
const runSelector = createRunSelector(ctx);

function activeTab() {
  return tabs.find((tab) => tab.id === state.tab) || tabs[0];
}

function setStatus(text, isError = false) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function setState(patch) {
  const keys = Object.keys(patch).filter((key) => state[key] !== patch[key] || patch[key] instanceof Set);
  if (keys.length === 0) return;
  Object.assign(state, patch);
  if (keys.some((key) => key in SAVED_SETTINGS)) saveSettings();
  if (keys.includes('runFilter') || keys.includes('deselected') || keys.includes('runColors')) runSelector.render();
  if (keys.includes('runColors')) repaintSwatches(); // cards redraw their charts themselves
  for (const tab of tabs) if (tab !== activeTab()) staleTabs.add(tab);
  activeTab().update({ type: 'state', keys });
}

let refreshing = null;
let refreshAgain = false;
let pendingWrites = [];

/** Refetch runs and tags, then tell the tabs. Calls made while one is running are merged into one more. */
async function refresh(writes = null) {
  if (writes === null) pendingWrites = null;
  else if (pendingWrites !== null) pendingWrites.push(...writes);
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      const batch = pendingWrites;
      pendingWrites = [];
      try {
        const [runs, tags] = await Promise.all([api.listRuns(), api.listTags()]);
        state.runs = runs;
        state.tags = tags;
        colors.assign(runs.map((r) => r.name));
        const names = new Set(runs.map((r) => r.name));
        for (const name of state.deselected) if (!names.has(name)) state.deselected.delete(name);
        setStatus('');
      } catch (error) {
        setStatus(`cannot reach vizd: ${error.message}`, true);
        pendingWrites = null; // what changed is unknown now: bring everything up to date next time
        continue;
      }
      runSelector.render();
      for (const tab of tabs) if (tab !== activeTab()) staleTabs.add(tab);
      activeTab().update({ type: 'data', writes: batch });
    } while (refreshAgain);
    refreshing = null;
  })();
  return refreshing;
}

let liveTimer = null;
let liveFirstAt = 0;
let liveWrites = [];

function onWrite(event) {
  liveWrites.push(event);
  const now = Date.now();
  if (liveTimer === null) liveFirstAt = now;
  clearTimeout(liveTimer);
  const wait = Math.max(0, Math.min(LIVE_DELAY_MS, liveFirstAt + LIVE_MAX_WAIT_MS - now));
  liveTimer = setTimeout(() => {
    liveTimer = null;
    const writes = liveWrites;
    liveWrites = [];
    // An event of a write with more tags than it lists ("more_tags") cannot say what to redraw: all of it.
    refresh(writes.some((write) => write.more_tags) ? null : writes);
  }, wait);
}

function showTab(id) {
  if (!tabs.some((tab) => tab.id === id)) id = tabs[0].id;
  state.tab = id;
  for (const tab of tabs) {
    const active = tab.id === id;
    tab.button.setAttribute('aria-selected', String(active));
    tab.button.tabIndex = active ? 0 : -1;
    tab.button.classList.toggle('active', active);
    tab.content.hidden = !active;
    if (tab.settings) tab.settings.hidden = !active;
  }
  const tab = activeTab();
  runSelector.el.hidden = !tab.usesRunSelector;
  document.getElementById('sidebar').hidden = !tab.usesRunSelector && !tab.settings;
  syncXAxisRadios();
  tab.show();
  if (staleTabs.delete(tab)) tab.update({ type: 'data', writes: null });
}

/** The x-axis setting is shared by the Scalars, Histograms and Distributions tabs, each with its own
 * radio buttons: show the current value on the Scalars tab's (the other tabs sync their own on show). */
function syncXAxisRadios() {
  for (const radio of document.querySelectorAll('input[type=radio][name="x-axis"]')) {
    radio.checked = radio.value === state.xAxis;
  }
}

function buildLayout() {
  const nav = document.getElementById('tabs');
  const sidebar = document.getElementById('sidebar');
  const content = document.getElementById('content');
  for (const tab of tabs) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'tab';
    button.setAttribute('role', 'tab');
    button.id = `tab-${tab.id}`;
    button.setAttribute('aria-controls', `panel-${tab.id}`);
    button.dataset.tab = tab.id;
    tab.content.id = `panel-${tab.id}`;
    tab.content.setAttribute('role', 'tabpanel');
    tab.content.setAttribute('aria-labelledby', button.id);
    button.textContent = tab.title;
    button.addEventListener('click', () => {
      window.location.hash = tab.id;
    });
    tab.button = button;
    nav.append(button);
    if (tab.settings) sidebar.append(tab.settings);
    content.append(tab.content);
  }
  sidebar.append(runSelector.el);
  nav.addEventListener('keydown', onTabKey);
  document.querySelector('.topbar').append(themeControl());
  window.addEventListener('hashchange', () => showTab(window.location.hash.slice(1)));
}

/** Arrow keys on the tab list: focus the neighbouring tab (wrapping), Home/End the first and last. */
function onTabKey(event) {
  const buttons = tabs.map((tab) => tab.button);
  const at = buttons.indexOf(document.activeElement);
  if (at < 0) return;
  const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  const target = buttons[(next + buttons.length) % buttons.length];
  for (const button of buttons) button.tabIndex = button === target ? 0 : -1;
  target.focus();
}

/** The top bar's theme choice: system (prefers-color-scheme), light or dark, remembered. */
function themeControl() {
  const label = document.createElement('label');
  label.className = 'theme-control';
  label.append('Theme');
  const select = document.createElement('select');
  select.className = 'theme-select';
  select.id = 'theme';
  for (const [value, text] of [['system', 'System'], ['light', 'Light'], ['dark', 'Dark']]) {
    select.append(new Option(text, value, false, value === theme.choice()));
  }
  select.addEventListener('change', () => theme.setChoice(select.value));
  label.append(select);
  return label;
}

async function start() {
  buildLayout();
  showTab(window.location.hash.slice(1) || 'scalars');
  let opened = false;
  api.subscribeWrites(onWrite, () => {
    // After a dropped stream, writes may have been missed: catch up once reconnected.
    if (opened) refresh(null);
    opened = true;
  }, () => refresh(null)); // a run deleted anywhere disappears here too
  await refresh(null);
}

// For tests and debugging from the console: read-only views of the state and the charts.
window.__vizd = {
  state,
  charts: () => scalarsTab.charts(),
  cardState: (tag) => scalarsTab.cardState(tag),
  /** Cards of a run-and-tag tab (histograms, distributions, images, tensors, text), in page order:
   * [{tag, run, visible, stale, ...}]. */
  cardStates: (tabId) => tabs.find((tab) => tab.id === tabId)?.cardStates?.() || [],
  /** The Graph tab's view: {run, renderMs, dagreCalls, boxes, expanded, selected, view}. */
  graph: () => tabs.find((tab) => tab.id === 'graph').debug(),
  /** The HParams tab's view: {shown: run names in table order, highlighted, filters: column keys}. */
  hparams: () => tabs.find((tab) => tab.id === 'hparams').debug(),
  idle: () => refreshing === null && liveTimer === null && tabs.every((tab) => !tab.idle || tab.idle()),
};

start();
