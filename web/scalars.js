/* scalars.js -- the Scalars tab: its settings (smoothing, x axis, log scale, outliers), the tag
 * filter, and one card per tag in groups by prefix (scalarcard.js draws each card).
 *
 * Cards are created when their tag first appears and removed when it disappears (cardgroups.js lays
 * them out). Cards fetch only while on screen (IntersectionObserver), so a run with hundreds of tags
 * loads no faster than needed and a live write refetches only the cards it touched. */

import { CardGroups, tagFilterToolbar } from './cardgroups.js';
import { cardWidthOf } from './cardwidth.js';
import { element, showFilterValidity } from './dom.js';
import { setPinned } from './pins.js';
import { emptyFilterText, filterCountText, makeMatcher } from './filter.js';
import { ScalarCard } from './scalarcard.js';
import { groupTags, tagsOfKind } from './tags.js';
import { X_AXES, axisTitle } from './xaxis.js';

function checkbox(labelText, checked, onChange) {
  const label = element('label', 'setting-check');
  const box = element('input');
  box.type = 'checkbox';
  box.checked = checked;
  box.addEventListener('change', () => onChange(box.checked));
  label.append(box, element('span', null, labelText));
  return label;
}

function buildSettings(ctx) {
  const { state } = ctx;
  const panel = element('section', 'panel settings');
  panel.append(element('h3', 'panel-title', 'Settings'));

  const smoothing = element('div', 'setting');
  const smoothingLabel = element('label', 'setting-label', 'Smoothing');
  smoothingLabel.htmlFor = 'smoothing-range';
  const row = element('div', 'smoothing-row');
  const range = element('input');
  Object.assign(range, { type: 'range', id: 'smoothing-range', min: '0', max: '0.999', step: '0.001' });
  range.value = String(state.smoothing);
  const number = element('input', 'smoothing-number');
  Object.assign(number, { type: 'number', min: '0', max: '0.999', step: '0.001' });
  number.value = String(state.smoothing);
  number.setAttribute('aria-label', 'Smoothing weight');
  range.addEventListener('input', () => {
    number.value = range.value;
    ctx.setState({ smoothing: Number(range.value) });
  });
  number.addEventListener('change', () => {
    const value = Math.min(0.999, Math.max(0, Number(number.value) || 0));
    number.value = range.value = String(value);
    ctx.setState({ smoothing: value });
  });
  row.append(range, number);
  smoothing.append(smoothingLabel, row);

  const axis = element('fieldset', 'setting');
  axis.append(element('legend', 'setting-label', 'Horizontal axis'));
  for (const mode of X_AXES) {
    const label = element('label', 'setting-radio');
    const radio = element('input');
    Object.assign(radio, { type: 'radio', name: 'x-axis', value: mode, checked: state.xAxis === mode });
    radio.addEventListener('change', () => radio.checked && ctx.setState({ xAxis: mode }));
    label.append(radio, element('span', null, axisTitle(mode)));
    axis.append(label);
  }

  const scale = element('div', 'setting');
  scale.append(
    checkbox('Log scale (y)', state.logY, (logY) => ctx.setState({ logY })),
    checkbox('Ignore outliers', state.ignoreOutliers, (ignoreOutliers) => ctx.setState({ ignoreOutliers })),
  );
  panel.append(smoothing, axis, scale);
  return panel;
}

export function createScalarsTab(ctx) {
  const { state } = ctx;
  const content = element('section', 'tab-content scalars');
  const { toolbar, input: tagFilter, count: tagCount, width } = tagFilterToolbar(ctx, 'tagFilter', 'scalars');
  const empty = element('p', 'empty');
  // tag -> ScalarCard; a card's Pin button pins its tag (remembered in state.pinned)
  const board = new CardGroups((tag, pinned) => ctx.setState({ pinned: setPinned(state.pinned, 'scalars', tag, pinned) }));
  board.setCardWidth(cardWidthOf(state.cardWidths, 'scalars'));
  content.append(toolbar, empty, board.el);

  /** Cards and groups to match the tags that exist now, in sorted order. */
  function syncCards() {
    const layout = groupTags(tagsOfKind(state.tags, 'scalars')).map(({ name, tags }) => ({ name, keys: tags }));
    board.setPinned(state.pinned.scalars || []);
    board.sync(layout, (tag) => new ScalarCard(tag, ctx));
    applyTagFilter();
  }

  // A card the filter hides is left to its observer to stop (runtagtab.js stops its own at once).
  function applyTagFilter() {
    const matcher = makeMatcher(state.tagFilter);
    showFilterValidity(tagFilter, matcher);
    const shown = board.filter((card) => matcher.test(card.tag));
    const total = board.cards.size;
    tagCount.textContent = filterCountText(matcher, shown, total, (n) => (n === 1 ? 'tag' : 'tags'));
    empty.hidden = shown > 0;
    if (total === 0) {
      empty.textContent = 'No scalar data yet. Write some with POST /api/v1/write and it will appear here.';
    } else {
      empty.textContent = emptyFilterText(matcher, 'No tag matches the filter.');
    }
  }

  /** Tags touched by write events, per run: Map tag -> Set of runs. */
  function touchedTags(writes) {
    const touched = new Map();
    for (const write of writes) {
      if (write.kinds && !write.kinds.includes('scalars')) continue;
      for (const tag of write.tags || []) {
        if (!touched.has(tag)) touched.set(tag, new Set());
        touched.get(tag).add(write.run);
      }
    }
    return touched;
  }

  function update(change) {
    const cards = board.cards;
    if (change.type === 'data') {
      syncCards();
      const touched = change.writes ? touchedTags(change.writes) : null;
      for (const card of cards.values()) {
        const runs = touched?.get(card.tag);
        if (!touched || (runs && card.runs().some((run) => runs.has(run)))) card.invalidate();
        else card.runsChanged();
      }
      return;
    }
    const keys = new Set(change.keys);
    if (keys.has('pinned')) syncCards();
    if (keys.has('tagFilter')) applyTagFilter();
    if (keys.has('cardWidths')) {
      board.setCardWidth(cardWidthOf(state.cardWidths, 'scalars'));
      width.value = String(cardWidthOf(state.cardWidths, 'scalars'));
    }
    if (keys.has('xAxis')) for (const card of cards.values()) card.xAxisChanged();
    if (keys.has('runFilter') || keys.has('deselected')) for (const card of cards.values()) card.runsChanged();
    if (keys.has('smoothing') || keys.has('logY') || keys.has('ignoreOutliers') || keys.has('runColors')) {
      for (const card of cards.values()) card.requestDraw();
    }
  }

  return {
    id: 'scalars',
    title: 'Scalars',
    usesRunSelector: true,
    settings: buildSettings(ctx),
    content,
    show() {},
    update,
    charts: () => Object.fromEntries([...board.cards].map(([tag, card]) => [tag, card.chart])),
    cardState: (tag) => board.cards.get(tag)?.lifecycle(),
    idle: () => board.idle(),
  };
}
