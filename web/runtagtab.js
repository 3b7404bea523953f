/* runtagtab.js -- what the Histograms and Distributions tabs share: one card per run and tag (as in
 * TensorBoard), in groups by tag prefix, a tag regex filter, cards that fetch only while on screen,
 * and live updates that refetch only the cards a write touched. Each tab brings its own settings
 * panel and card class; this module lays the cards out and tells them when to load or draw.
 *
 * A card is an object {el, tag, run, visible, stale, loading, needsDraw, setVisible(bool),
 * invalidate(), requestDraw(), destroy(), debug()}. A card exists for every (tag, run) pair of the
 * kind; cards of runs that are unticked or filtered out are hidden, not destroyed, so ticking a
 * run again shows its cards at once. Run and tag names are untrusted: they go in as text. */

import { element } from './dom.js';
import { makeMatcher } from './filter.js';
import { groupOf, groupTags, tagsOfKind } from './tags.js';

/** A fieldset of radio buttons bound to one state key; `sync()` shows the current state. */
export function radioGroup(ctx, { name, legend, key, options }) {
  const el = element('fieldset', 'setting');
  el.append(element('legend', 'setting-label', legend));
  const radios = [];
  for (const [value, text] of options) {
    const label = element('label', 'setting-radio');
    const radio = element('input');
    Object.assign(radio, { type: 'radio', name, value, checked: ctx.state[key] === value });
    radio.addEventListener('change', () => radio.checked && ctx.setState({ [key]: value }));
    label.append(radio, element('span', null, text));
    el.append(label);
    radios.push(radio);
  }
  const sync = () => {
    for (const radio of radios) radio.checked = radio.value === ctx.state[key];
  };
  return { el, sync };
}

/** The card's key in maps: NUL cannot occur in names (the server refuses it). */
const keyOf = (tag, run) => `${tag}\u0000${run}`;

/**
 * @param {object} ctx the app context
 * @param {{id: string, title: string, kind: string, filterKey: string, settings: HTMLElement,
 *   onShow?: () => void, drawKeys: string[], emptyText: string,
 *   createCard: (tag: string, run: string) => object}} options
 *   filterKey: the state key of this tab's tag filter; drawKeys: state keys whose change redraws
 */
export function createRunTagTab(ctx, { id, title, kind, filterKey, settings, onShow, drawKeys, emptyText, createCard }) {
  const { state } = ctx;
  const content = element('section', `tab-content ${id}`);
  const toolbar = element('div', 'toolbar');
  const tagFilter = element('input', 'filter tag-filter');
  tagFilter.type = 'search';
  tagFilter.placeholder = 'Filter tags (regex)';
  tagFilter.setAttribute('aria-label', 'Filter tags (regular expression)');
  tagFilter.addEventListener('input', () => ctx.setState({ [filterKey]: tagFilter.value }));
  const tagCount = element('span', 'muted tag-count');
  toolbar.append(tagFilter, tagCount);
  const empty = element('p', 'empty');
  const groupsEl = element('div', 'groups');
  content.append(toolbar, empty, groupsEl);

  const cards = new Map();  // keyOf(tag, run) -> card
  const groups = new Map(); // group name -> {el, cardsEl, count}
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) cards.get(entry.target.dataset.key)?.setVisible(entry.isIntersecting);
  }, { rootMargin: '300px 0px' });

  function groupElement(name) {
    if (groups.has(name)) return groups.get(name);
    const el = element('section', 'group');
    const head = element('button', 'group-head');
    head.type = 'button';
    head.setAttribute('aria-expanded', 'true');
    const count = element('span', 'group-count');
    head.append(element('span', 'group-name', name), count);
    const cardsEl = element('div', 'cards');
    head.addEventListener('click', () => {
      const open = cardsEl.hidden;
      cardsEl.hidden = !open;
      head.setAttribute('aria-expanded', String(open));
    });
    el.append(head, cardsEl);
    const group = { el, cardsEl, count };
    groups.set(name, group);
    return group;
  }

  /** Runs (in run order) that have `tag` of this kind. */
  function runsOf(tag) {
    return state.runs.map((r) => r.name).filter((run) => state.tags[run]?.[kind]?.[tag] !== undefined);
  }

  /** Cards and groups to match the (tag, run) pairs that exist now: sorted by tag, then run order. */
  function syncCards() {
    const tags = tagsOfKind(state.tags, kind);
    const wanted = new Map();
    for (const tag of tags) for (const run of runsOf(tag)) wanted.set(keyOf(tag, run), [tag, run]);
    for (const [key, card] of cards) {
      if (!wanted.has(key)) {
        observer.unobserve(card.el);
        card.destroy();
        cards.delete(key);
      }
    }
    const layout = groupTags(tags);
    for (const [name, group] of groups) {
      if (!layout.some((g) => g.name === name)) {
        group.el.remove();
        groups.delete(name);
      }
    }
    for (const { name, tags: groupTagList } of layout) {
      const group = groupElement(name);
      groupsEl.append(group.el);
      for (const tag of groupTagList) {
        for (const run of runsOf(tag)) {
          const key = keyOf(tag, run);
          let card = cards.get(key);
          if (!card) {
            card = createCard(tag, run);
            card.el.dataset.key = key;
            cards.set(key, card);
            observer.observe(card.el);
          }
          group.cardsEl.append(card.el);
        }
      }
    }
    applyFilters();
  }

  /** Shows the cards of shown runs whose tag matches the filter; counts per group. */
  function applyFilters() {
    const matcher = makeMatcher(state[filterKey]);
    tagFilter.classList.toggle('invalid', !matcher.valid);
    tagFilter.title = matcher.valid ? '' : 'Not a valid regular expression: matched as plain text';
    const shownRuns = new Set(ctx.shownRuns());
    const inGroup = new Map();
    let shown = 0;
    for (const card of cards.values()) {
      const show = shownRuns.has(card.run) && matcher.test(card.tag);
      card.el.hidden = !show;
      if (!show) card.setVisible(false);
      const name = groupOf(card.tag);
      inGroup.set(name, (inGroup.get(name) || 0) + (show ? 1 : 0));
      shown += show ? 1 : 0;
    }
    for (const [name, group] of groups) {
      const count = inGroup.get(name) || 0;
      group.el.hidden = count === 0;
      group.count.textContent = String(count);
    }
    tagCount.textContent = cards.size ? `${shown} of ${cards.size} charts` : '';
    empty.hidden = shown > 0;
    empty.textContent = cards.size === 0 ? emptyText : 'No chart matches the run selection and tag filter.';
  }

  /** (tag, run) keys touched by write events of this kind. */
  function touchedKeys(writes) {
    const touched = new Set();
    for (const write of writes) {
      if (write.kinds && !write.kinds.includes(kind)) continue;
      for (const tag of write.tags || []) touched.add(keyOf(tag, write.run));
    }
    return touched;
  }

  function update(change) {
    if (change.type === 'data') {
      syncCards();
      const touched = change.writes ? touchedKeys(change.writes) : null;
      for (const [key, card] of cards) if (!touched || touched.has(key)) card.invalidate();
      return;
    }
    const keys = new Set(change.keys);
    if (keys.has(filterKey) || keys.has('runFilter') || keys.has('deselected')) applyFilters();
    if (drawKeys.some((key) => keys.has(key))) for (const card of cards.values()) card.requestDraw();
  }

  return {
    id,
    title,
    usesRunSelector: true,
    settings,
    content,
    show() {
      tagFilter.value = state[filterKey];
      onShow?.();
    },
    update,
    /** For tests: every card's state, in page order. */
    cardStates: () => [...groupsEl.querySelectorAll('.card')].map((el) => cards.get(el.dataset.key)?.debug()),
    idle: () => [...cards.values()].every((card) => !card.loading && !(card.visible && card.stale)),
  };
}
