/* cardgroups.js -- the page layout every card tab shares (Scalars here through scalars.js; Histograms,
 * Distributions, Images, Tensors and Text through runtagtab.js): a toolbar with the tag filter, a count
 * and the card-width control, and the cards in collapsible groups by tag prefix (tags.js), each card told by an
 * IntersectionObserver when it comes near the screen or leaves it, so that only those fetch
 * (lazycard.js).
 *
 * The tab chooses each card's key (the tag on the Scalars tab; tag and run on the others), decides
 * which cards exist (sync) and which are shown (filter); this module keeps the cards, the groups and
 * the DOM in step with that. Group names come from tags and are untrusted: they go in as text.
 *
 * Density: each group tells the stylesheet how many cards it shows (--shown), so a group of one or two
 * cards asks for only that much of a row and small groups share rows (style.css) instead of each
 * leaving most of the screen empty; --card-width, from the card-width control, is the narrowest a card
 * may be. */

import { CARD_WIDTH, cardWidthOf } from './cardwidth.js';
import { element, filterInput } from './dom.js';
import { groupOf } from './tags.js';

/** The toolbar above the cards: a tag filter bound to state[filterKey], a count beside it, and the
 * card-width control of tab `tabId` (state.cardWidths[tabId]). */
export function tagFilterToolbar(ctx, filterKey, tabId) {
  const toolbar = element('div', 'toolbar');
  const input = filterInput('filter tag-filter', 'Filter tags (regex)', 'Filter tags (regular expression)',
    (value) => ctx.setState({ [filterKey]: value }));
  const count = element('span', 'muted tag-count');
  const widthLabel = element('label', 'card-width-control');
  const width = element('input', 'card-width');
  Object.assign(width, { type: 'range', min: String(CARD_WIDTH.min), max: String(CARD_WIDTH.max), step: String(CARD_WIDTH.step) });
  width.value = String(cardWidthOf(ctx.state.cardWidths, tabId));
  width.title = 'How wide a card is at least: narrower puts more cards on a screen';
  width.addEventListener('input', () => {
    ctx.setState({ cardWidths: { ...ctx.state.cardWidths, [tabId]: Number(width.value) } });
  });
  widthLabel.append(element('span', 'muted', 'Card width'), width);
  toolbar.append(input, count, widthLabel);
  return { toolbar, input, count, width };
}

export class CardGroups {
  constructor() {
    this.el = element('div', 'groups');
    this.cards = new Map();  // key -> card (a LazyCard with el and tag)
    this.groups = new Map(); // group name -> {el, cardsEl, count}
    // A card starts fetching 300 px before it scrolls in, so it is mostly drawn when it arrives.
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) this.cards.get(entry.target.dataset.key)?.setVisible(entry.isIntersecting);
    }, { rootMargin: '300px 0px' });
  }

  /** Cards at least `px` wide (the card-width control). */
  setCardWidth(px) {
    this.el.style.setProperty('--card-width', `${px}px`);
  }

  /** The group called `name`, made (collapsible by a click on its head) if it does not exist yet. */
  group(name) {
    if (this.groups.has(name)) return this.groups.get(name);
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
    this.groups.set(name, group);
    return group;
  }

  /**
   * Cards and groups to match `layout`, in its order: [{name, keys}] with the groups sorted and the
   * keys of each in the order their cards show. Cards whose key is gone are destroyed, groups that
   * are gone removed; create(key) makes the card of a new key. Kept cards keep their data.
   */
  sync(layout, create) {
    const wanted = new Set(layout.flatMap((group) => group.keys));
    for (const [key, card] of this.cards) {
      if (!wanted.has(key)) {
        this.observer.unobserve(card.el);
        card.destroy();
        this.cards.delete(key);
      }
    }
    for (const [name, group] of this.groups) {
      if (!layout.some((g) => g.name === name)) {
        group.el.remove();
        this.groups.delete(name);
      }
    }
    for (const { name, keys } of layout) {
      const group = this.group(name);
      this.el.append(group.el);
      for (const key of keys) {
        let card = this.cards.get(key);
        if (!card) {
          card = create(key);
          card.el.dataset.key = key;
          this.cards.set(key, card);
          this.observer.observe(card.el);
        }
        group.cardsEl.append(card.el);
      }
    }
  }

  /** Shows the cards for which isShown(card) holds and hides the others; a group shows how many of
   * its cards are shown and hides when none is. Returns how many cards are shown. */
  filter(isShown) {
    const inGroup = new Map();
    let shown = 0;
    for (const card of this.cards.values()) {
      const show = isShown(card);
      card.el.hidden = !show;
      const name = groupOf(card.tag);
      inGroup.set(name, (inGroup.get(name) || 0) + (show ? 1 : 0));
      shown += show ? 1 : 0;
    }
    for (const [name, group] of this.groups) {
      const count = inGroup.get(name) || 0;
      group.el.hidden = count === 0;
      group.count.textContent = String(count);
      group.el.style.setProperty('--shown', String(Math.max(1, count)));
    }
    return shown;
  }

  /** Cards in page order. */
  inPageOrder() {
    return [...this.el.querySelectorAll('.card')].map((el) => this.cards.get(el.dataset.key));
  }

  /** No card fetching, drawing or owing a fetch. */
  idle() {
    return [...this.cards.values()].every((card) => card.isIdle());
  }
}
