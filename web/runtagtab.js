/* runtagtab.js -- what the Histograms, Distributions, Images, Tensors and Text tabs share: one card
 * per run and tag (as in TensorBoard), in groups by tag prefix, a tag regex filter, cards that fetch
 * only while on screen, and live updates that refetch only the cards a write touched. Each tab brings
 * its own settings panel and card class; cardgroups.js lays the cards out, this module decides which
 * exist and which show, and tells them when to load or draw. radioGroup is the settings control those
 * tabs share.
 *
 * A card is a LazyCard (lazycard.js) with {el, tag, run, debug()}. A card exists for every (tag, run)
 * pair of the kind; cards of runs that are unticked or filtered out are hidden, not destroyed, so
 * ticking a run again shows its cards at once. Run and tag names are untrusted: they go in as text. */

import { CardGroups, tagFilterToolbar } from './cardgroups.js';
import { cardWidthOf } from './cardwidth.js';
import { element, showFilterValidity } from './dom.js';
import { emptyFilterText, filterCountText, makeMatcher } from './filter.js';
import { setPinned } from './pins.js';
import { groupTags, runsWithTag, tagsOfKind } from './tags.js';

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
 *   filterKey: the state key of this tab's tag filter; drawKeys: state keys whose change redraws;
 *   cardNoun: what the count calls one card and several ([singular, plural]: a text is no chart)
 */
export function createRunTagTab(ctx, { id, title, kind, filterKey, settings, onShow, drawKeys, emptyText, createCard,
  runWideKinds = [], cardNoun = ['chart', 'charts'] }) {
  const { state } = ctx;
  const content = element('section', `tab-content ${id}`);
  const { toolbar, input: tagFilter, count: tagCount, width } = tagFilterToolbar(ctx, filterKey, id);
  const empty = element('p', 'empty');
  const board = new CardGroups((key, pinned) => ctx.setState({ pinned: setPinned(state.pinned, id, key, pinned) }));
  board.setCardWidth(cardWidthOf(state.cardWidths, id));
  content.append(toolbar, empty, board.el);

  /** Runs (in run order) that have `tag` of this kind. */
  function runsOf(tag) {
    return runsWithTag(state.tags, kind, tag, state.runs.map((r) => r.name));
  }

  /** Cards and groups to match the (tag, run) pairs that exist now: sorted by tag, then run order. */
  function syncCards() {
    const pairs = new Map(); // key -> [tag, run]
    const layout = groupTags(tagsOfKind(state.tags, kind)).map(({ name, tags }) => ({
      name,
      keys: tags.flatMap((tag) => runsOf(tag).map((run) => {
        const key = keyOf(tag, run);
        pairs.set(key, [tag, run]);
        return key;
      })),
    }));
    board.setPinned(state.pinned[id] || []);
    board.sync(layout, (key) => createCard(...pairs.get(key)));
    applyFilters();
  }

  /** Shows the cards of shown runs whose tag matches the filter; counts per group. */
  function applyFilters() {
    const matcher = makeMatcher(state[filterKey]);
    showFilterValidity(tagFilter, matcher);
    const shownRuns = new Set(ctx.shownRuns());
    const shown = board.filter((card) => shownRuns.has(card.run) && matcher.test(card.tag));
    // A hidden card stops at once rather than when its observer next reports: a redraw or a write
    // that comes first must not make it fetch or draw.
    for (const card of board.cards.values()) if (card.el.hidden) card.setVisible(false);
    const total = board.cards.size;
    tagCount.textContent = filterCountText(matcher, shown, total, (n) => (n === 1 ? cardNoun[0] : cardNoun[1]));
    empty.hidden = shown > 0;
    empty.textContent = total === 0 ? emptyText : emptyFilterText(matcher, `No ${cardNoun[0]} matches the run selection and tag filter.`);
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

  /** Runs a write of one of runWideKinds touched: every card of such a run may depend on it (a CAM
   * heatmap on the image it is drawn over, which can arrive after the heatmap). */
  function touchedRuns(writes) {
    return new Set(writes.filter((w) => (w.kinds || []).some((k) => runWideKinds.includes(k))).map((w) => w.run));
  }

  function update(change) {
    if (change.type === 'data') {
      syncCards();
      const touched = change.writes ? touchedKeys(change.writes) : null;
      const runs = change.writes ? touchedRuns(change.writes) : new Set();
      for (const [key, card] of board.cards) {
        if (!touched || touched.has(key) || runs.has(key.slice(key.indexOf('\u0000') + 1))) card.invalidate();
      }
      return;
    }
    const keys = new Set(change.keys);
    if (keys.has('pinned')) syncCards();
    if (keys.has(filterKey) || keys.has('runFilter') || keys.has('deselected')) applyFilters();
    if (keys.has('cardWidths')) {
      board.setCardWidth(cardWidthOf(state.cardWidths, id));
      width.value = String(cardWidthOf(state.cardWidths, id));
    }
    // Histogram and distribution charts are drawn in their run's colour.
    if (keys.has('runColors') || drawKeys.some((key) => keys.has(key))) for (const card of board.cards.values()) card.requestDraw();
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
    cardStates: () => board.inPageOrder().map((card) => card?.debug()),
    idle: () => board.idle(),
  };
}
