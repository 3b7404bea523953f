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
 * may be.
 *
 * Pinning: a card's Pin button (aria-pressed, so Enter or Space toggles it) moves the card into a
 * "Pinned" group above every other, in the order cards were pinned; Unpin puts it back in its group.
 * The tab keeps the pinned keys in app state (remembered, pins.js) and gives them to setPinned. */

import { CARD_WIDTH, cardWidthOf } from './cardwidth.js';
import { button, element, filterInput } from './dom.js';
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

/** The pinned group's name: NUL cannot occur in a tag, so no tag prefix can take it. */
const PINNED = '\u0000pinned';

/** Puts `el` into `parent` right after `before` (first when null), moving it only if it is not there
 * already: moving an element takes the keyboard focus off whatever inside it has it. */
function placeAfter(parent, before, el) {
  const at = before ? before.nextElementSibling : parent.firstElementChild;
  if (at !== el) parent.insertBefore(el, at);
}

export class CardGroups {
  /** @param {(key: string, pinned: boolean) => void} [onPin] asked to pin or unpin a card; without it,
   * cards have no Pin button */
  constructor(onPin = null) {
    this.el = element('div', 'groups');
    this.cards = new Map();  // key -> card (a LazyCard with el and tag)
    this.groups = new Map(); // group name -> {el, cardsEl, count}
    this.groupOfKey = new Map(); // key -> the name of the group its card is in now
    this.pinned = [];        // keys pinned to the top, in pin order
    this.onPin = onPin;
    // A card starts fetching 300 px before it scrolls in, so it is mostly drawn when it arrives.
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) this.cards.get(entry.target.dataset.key)?.setVisible(entry.isIntersecting);
    }, { rootMargin: '300px 0px' });
  }

  /** Cards at least `px` wide (the card-width control). */
  setCardWidth(px) {
    this.el.style.setProperty('--card-width', `${px}px`);
  }

  /** Keys to show in the Pinned group, in this order; call sync again to lay the cards out. */
  setPinned(keys) {
    this.pinned = [...keys];
  }

  /** The card's Pin button: pressed while the card is pinned. Focus stays on it as the card moves. */
  pinButton(key) {
    const pin = button('Pin', 'Pin this card to the top of the tab', (event) => {
      const pinned = pin.getAttribute('aria-pressed') !== 'true';
      this.onPin(key, pinned);
      // A click keeps the page where it is; from the keyboard, focus (and the view) follow the card.
      pin.focus({ preventScroll: event.detail > 0 });
    });
    pin.classList.add('pin-button');
    pin.setAttribute('aria-pressed', 'false');
    return pin;
  }

  /** The group called `name`, made (collapsible by a click on its head) if it does not exist yet. */
  group(name) {
    if (this.groups.has(name)) return this.groups.get(name);
    const el = element('section', name === PINNED ? 'group pinned-group' : 'group');
    const head = element('button', 'group-head');
    head.type = 'button';
    head.setAttribute('aria-expanded', 'true');
    const count = element('span', 'group-count');
    head.append(element('span', 'group-name', name === PINNED ? 'Pinned' : name), count);
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
   * are gone removed; create(key) makes the card of a new key. Kept cards keep their data. Pinned
   * keys go into the Pinned group, first.
   */
  sync(tabLayout, create) {
    const wanted = new Set(tabLayout.flatMap((group) => group.keys));
    const pinned = this.pinned.filter((key) => wanted.has(key));
    const isPinned = new Set(pinned);
    const layout = [
      ...(pinned.length > 0 ? [{ name: PINNED, keys: pinned }] : []),
      ...tabLayout.map(({ name, keys }) => ({ name, keys: keys.filter((key) => !isPinned.has(key)) }))
        .filter(({ keys }) => keys.length > 0),
    ];
    for (const [key, card] of this.cards) {
      if (!wanted.has(key)) {
        this.observer.unobserve(card.el);
        card.destroy();
        this.cards.delete(key);
        this.groupOfKey.delete(key);
      }
    }
    for (const [name, group] of this.groups) {
      if (!layout.some((g) => g.name === name)) {
        group.el.remove();
        this.groups.delete(name);
      }
    }
    let groupBefore = null;
    for (const { name, keys } of layout) {
      const group = this.group(name);
      placeAfter(this.el, groupBefore, group.el);
      groupBefore = group.el;
      let cardBefore = null;
      for (const key of keys) {
        let card = this.cards.get(key);
        if (!card) {
          card = create(key);
          card.el.dataset.key = key;
          if (this.onPin) card.el.querySelector('.card-actions')?.prepend(this.pinButton(key));
          this.cards.set(key, card);
          this.observer.observe(card.el);
        }
        const pin = card.el.querySelector('.pin-button');
        if (pin) {
          pin.setAttribute('aria-pressed', String(isPinned.has(key)));
          pin.textContent = isPinned.has(key) ? 'Unpin' : 'Pin';
          pin.title = isPinned.has(key) ? 'Put this card back in its group' : 'Pin this card to the top of the tab';
        }
        this.groupOfKey.set(key, name);
        placeAfter(group.cardsEl, cardBefore, card.el);
        cardBefore = card.el;
      }
    }
  }

  /** Shows the cards for which isShown(card) holds and hides the others; a group shows how many of
   * its cards are shown and hides when none is. Returns how many cards are shown. */
  filter(isShown) {
    const inGroup = new Map();
    let shown = 0;
    for (const [key, card] of this.cards) {
      const show = isShown(card);
      card.el.hidden = !show;
      const name = this.groupOfKey.get(key) ?? groupOf(card.tag);
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
