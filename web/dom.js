/* dom.js -- the small DOM helpers every view uses: elements with text, card buttons, the regex
 * filter inputs, a file download. Text always goes in through textContent, so a run or tag name
 * made of HTML shows as text. */

/** A new element with an optional class and text. */
export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A table in a scrolling div.table-wrap, as the Runs and HParams tabs show runs: `prefix` names
 * its own classes (PREFIX-table-wrap, PREFIX-table) beside the shared ones. */
export function runsTable(prefix) {
  const wrap = element('div', prefix ? `table-wrap ${prefix}-table-wrap` : 'table-wrap');
  const table = element('table', prefix ? `runs-table ${prefix}-table` : 'runs-table');
  const thead = element('thead');
  const tbody = element('tbody');
  table.append(thead, tbody);
  wrap.append(table);
  return { wrap, thead, tbody };
}

/** Laying out a table row per run costs the browser about half a second at 1,000 runs, on every sort
 * and refresh: a table shows its first `limit` rows and the rest on request. `note` goes below the table;
 * rows(all) gives the rows to lay out and updates the note ("Showing the first 200 of 1,000 runs" and
 * a Show all button that calls onShowAll after lifting the limit). `extra` ends the note's sentence. */
export function rowLimit(limit, prefix, extra, onShowAll) {
  let isShowingAll = false;
  const note = element('p', `muted table-more ${prefix}-more`);
  const text = element('span');
  const showAll = element('button', `card-button ${prefix}-show-all`, 'Show all');
  showAll.type = 'button';
  showAll.addEventListener('click', () => {
    isShowingAll = true;
    onShowAll();
  });
  note.append(text, showAll);
  note.hidden = true;
  function rows(all) {
    const shown = isShowingAll ? all : all.slice(0, limit);
    note.hidden = shown.length === all.length;
    text.textContent = `Showing the first ${shown.length} of ${all.length.toLocaleString()} runs${extra}.`;
    return shown;
  }
  return { note, rows };
}

/** A small card button with a tooltip title. */
export function button(text, title, onClick) {
  const b = element('button', 'card-button', text);
  b.type = 'button';
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

/** A search box for a regex filter (filter.js); onInput gets its text at every keystroke. */
export function filterInput(className, placeholder, label, onInput) {
  const input = element('input', className);
  input.type = 'search';
  input.placeholder = placeholder;
  input.setAttribute('aria-label', label);
  input.addEventListener('input', () => onInput(input.value));
  return input;
}

/** Marks a filter input whose text is not a valid regex (makeMatcher then matches it as plain text). */
export function showFilterValidity(input, matcher) {
  input.classList.toggle('invalid', !matcher.valid);
  input.title = matcher.valid ? '' : 'Not a valid regular expression: matched as plain text';
}

/** Saves `blob` as a file called `name` through a temporary download link. */
export function downloadBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = element('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000); // the download has started by then
}
