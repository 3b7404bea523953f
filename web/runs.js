/* runs.js -- the Runs tab: one table row per run with its colour, description, hparams (one column
 * per hparam name), point counts, creation and update times, and a Delete button that asks first.
 * Everything in a row comes from clients, so it goes in as text. */

import * as api from './api.js';
import { element } from './dom.js';
import { formatWallTime } from './xaxis.js';

function hparamText(value) {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** "1,200 scalars, 1 text, 2 graphs": the counts' kinds are plurals but for "graph". */
function countsText(counts) {
  const singular = (kind) => (kind.endsWith('s') ? kind.slice(0, -1) : kind);
  const noun = (kind, n) => (n === 1 ? singular(kind) : `${singular(kind)}s`);
  const parts = Object.entries(counts || {}).filter(([, n]) => n > 0).map(([kind, n]) => `${n.toLocaleString()} ${noun(kind, n)}`);
  return parts.length ? parts.join(', ') : '-';
}

function timeText(seconds) {
  return typeof seconds === 'number' ? formatWallTime(seconds) : '';
}

export function createRunsTab(ctx) {
  const { state } = ctx;
  const content = element('section', 'tab-content runs');
  const message = element('p', 'runs-message');
  message.hidden = true;
  const wrap = element('div', 'table-wrap');
  const table = element('table', 'runs-table');
  const thead = element('thead');
  const tbody = element('tbody');
  table.append(thead, tbody);
  wrap.append(table);
  const empty = element('p', 'empty', 'No runs yet.');
  content.append(message, wrap, empty);

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

  function render() {
    const hparamNames = [...new Set(state.runs.flatMap((run) => Object.keys(run.hparams || {})))].sort();
    const headRow = element('tr');
    for (const title of ['Run', 'Description', ...hparamNames, 'Points', 'Created', 'Updated', '']) {
      const th = element('th', null, title);
      th.scope = 'col';
      headRow.append(th);
    }
    thead.replaceChildren(headRow);
    tbody.replaceChildren(...state.runs.map((run) => {
      const row = element('tr');
      row.dataset.run = run.name;
      const nameCell = element('td');
      const nameBox = element('span', 'run-cell');
      const swatch = element('span', 'swatch');
      swatch.style.backgroundColor = ctx.colorOf(run.name);
      nameBox.append(swatch, element('span', 'run-name', run.name));
      nameCell.append(nameBox);
      row.append(nameCell, element('td', 'description', run.description || ''));
      for (const name of hparamNames) row.append(element('td', 'hparam', hparamText(run.hparams?.[name])));
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
    update(change) {
      if (change.type === 'data') render();
    },
  };
}
