/* sortheader.js -- a table header cell that sorts its table: a button with the column's name (click,
 * Enter or Space), aria-sort saying the current order (its ▲/▼ mark is drawn from that by CSS, so the
 * header's text stays the column's name). Used by the HParams and Runs tables. */

import { element } from './dom.js';

/**
 * @param {string} key  the column's sort key  @param {string} title  its name (text, never HTML)
 * @param {{key: string, descending: boolean}} sort  the table's current order
 * @param {(key: string) => void} onSort  called with key on a click
 */
export function sortHeader(key, title, sort, onSort, className) {
  const th = element('th', className);
  th.scope = 'col';
  th.dataset.key = key;
  const b = element('button', 'hp-sort');
  b.type = 'button';
  b.append(element('span', 'hp-sort-title', title));
  b.title = `Sort by ${title}`;
  b.addEventListener('click', () => onSort(key));
  th.setAttribute('aria-sort', sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none');
  th.append(b);
  return th;
}

/** The order after a click on `key`: the same column flips, another sorts ascending. */
export function nextSort(sort, key) {
  return sort.key === key ? { key, descending: !sort.descending } : { key, descending: false };
}
