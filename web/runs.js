/* runs.js -- the Runs tab: one table row per run with its colour, description, hparams (one column
 * per hparam name), the HParams tab's metric columns (state.hparamMetrics, values from
 * runsummaries.js), point counts, creation and update times, and a Delete button that asks first.
 * Every column but the counts sorts the table (hparamtable.js' order: natural, missing values last).
 * Everything in a row comes from clients, so it goes in as text. */

import * as api from './api.js';
import { element, rowLimit, runsTable } from './dom.js';
import {
  buildRows, cellText, hparamKey, hparamNames, metricColumns, metricKey, metricTags, metricTitle, plainValue, sortRows,
} from './hparamtable.js';
import { runSummaries, writesTouch } from './runsummaries.js';
import { nextSort, sortHeader } from './sortheader.js';
import { formatWallTime } from './xaxis.js';

/** "1,200 scalars, 1 text, 2 graphs": the counts' kinds are plurals but for "graph". */
function countsText(counts) {
  const singular = (kind) => (kind.endsWith('s') ? kind.slice(0, -1) : kind);
  const noun = (kind, n) => (n === 1 ? singular(kind) : `${singular(kind)}s`);
  const parts = Object.entries(counts || {}).filter(([, n]) => n > 0).map(([kind, n]) => `${n.toLocaleString()} ${noun(kind, n)}`);
  return parts.length ? parts.join(', ') : '-';
}

const TABLE_ROWS = 200; // laid out at once; the rest on request (dom.js rowLimit)

function timeText(seconds) {
  return typeof seconds === 'number' ? formatWallTime(seconds) : '';
}

export function createRunsTab(ctx) {
  const { state } = ctx;
  const content = element('section', 'tab-content runs');
  const message = element('p', 'runs-message');
  message.hidden = true;
  const { wrap, thead, tbody } = runsTable();
  const empty = element('p', 'empty', 'No runs yet.');
  const moreRows = rowLimit(TABLE_ROWS, 'runs', '', () => render());
  content.append(message, wrap, moreRows.note, empty);
  let sort = { key: 'name', descending: false };
  let loading = false;
  let loadFailed = false; // the message shows a failed load (not, say, a deleted run)

  function showMessage(text, isError) {
    message.textContent = text;
    message.classList.toggle('error', isError);
    message.hidden = !text;
  }

  async function remove(name, deleteButton) {
    if (!window.confirm(`Delete run "${name}" and all its data? This cannot be undone.`)) return;
    deleteButton.disabled = true;
    try {
      await api.deleteRun(name);
      showMessage(`Deleted run "${name}".`, false);
    } catch (error) {
      showMessage(`Could not delete "${name}": ${error.message}`, true);
      deleteButton.disabled = false;
    }
    await ctx.refresh(null);
  }

  function sortBy(key) {
    sort = nextSort(sort, key);
    render();
  }

  function render() {
    const names = hparamNames(state.runs);
    const metrics = metricColumns(state.hparamMetrics, state.runs);
    const byName = new Map(state.runs.map((run) => [run.name, run]));
    const rows = buildRows(state.runs, runSummaries.current(), names, metrics);
    for (const row of rows) {
      const run = byName.get(row.name);
      Object.assign(row.values, { description: run.description || undefined, created: run.created_at, updated: run.updated_at });
    }
    const keys = new Set(['name', 'description', 'created', 'updated', ...names.map(hparamKey), ...metrics.map(metricKey)]);
    if (!keys.has(sort.key)) sort = { key: 'name', descending: false };
    const headRow = element('tr');
    const plain = (title) => {
      const th = element('th', null, title);
      th.scope = 'col';
      return th;
    };
    headRow.append(sortHeader('name', 'Run', sort, sortBy), sortHeader('description', 'Description', sort, sortBy),
      ...names.map((name) => sortHeader(hparamKey(name), name, sort, sortBy)),
      ...metrics.map((metric) => sortHeader(metricKey(metric), metricTitle(metric), sort, sortBy, 'metric')),
      plain('Points'), sortHeader('created', 'Created', sort, sortBy), sortHeader('updated', 'Updated', sort, sortBy), plain(''));
    thead.replaceChildren(headRow);
    tbody.replaceChildren(...moreRows.rows(sortRows(rows, sort.key, sort.descending)).map((sorted) => {
      const run = byName.get(sorted.name);
      const row = element('tr');
      row.dataset.run = run.name;
      const nameCell = element('td');
      const nameBox = element('span', 'run-cell');
      const swatch = element('span', 'swatch');
      swatch.style.backgroundColor = ctx.colorOf(run.name);
      const nameText = element('span', 'run-name', run.name);
      nameText.title = run.name;
      nameBox.append(swatch, nameText);
      nameCell.append(nameBox);
      row.append(nameCell, element('td', 'description', run.description || ''));
      for (const name of names) row.append(element('td', 'hparam', cellText(sorted.values[hparamKey(name)])));
      for (const metric of metrics) {
        const cell = sorted.values[metricKey(metric)];
        const td = element('td', 'number metric', cellText(cell));
        if (cell) td.title = `${plainValue(cell)} at step ${cell.step}`;
        row.append(td);
      }
      row.append(
        element('td', 'number', countsText(run.counts)),
        element('td', 'time', timeText(run.created_at)),
        element('td', 'time', timeText(run.updated_at)),
      );
      const actions = element('td', 'actions');
      const del = element('button', 'danger delete-run', 'Delete');
      del.type = 'button';
      del.title = `Delete run ${run.name}`;
      del.addEventListener('click', () => remove(run.name, del));
      actions.append(del);
      row.append(actions);
      return row;
    }));
    wrap.hidden = state.runs.length === 0;
    empty.hidden = state.runs.length > 0;
  }

  return {
    id: 'runs',
    title: 'Runs',
    usesRunSelector: false,
    settings: null,
    content,
    show: render,
    async update(change) {
      if (change.type !== 'data') return;
      render();
      const tags = metricTags(metricColumns(state.hparamMetrics, state.runs));
      const held = runSummaries.current();
      loading = true;
      try {
        await runSummaries.load(tags, writesTouch(change.writes, tags));
        if (loadFailed) showMessage('', false);
        loadFailed = false;
      } catch (error) {
        showMessage(`Could not load the metric columns: ${error.message}`, true);
        loadFailed = true;
      } finally {
        loading = false;
      }
      // Drawn again only for new values: a table of 1,000 runs is not built twice for nothing.
      if (runSummaries.current() !== held) render();
    },
    idle: () => !loading,
  };
}
