/* cardframe.js -- the parts every chart card is built of: the card element with its head (the tag as
 * title, a span for the card's buttons), the Expand button, the run line (colour swatch and run
 * name) of the cards that show one run, and the note under a card of one series of steps. The card classes (scalarcard.js, histograms.js,
 * distributions.js, mediacard.js) put their own chart or body between them.
 * Tag and run names are untrusted: they go in as text. */

import { button, element } from './dom.js';

/** The card's element (data-tag set) and head; buttons go into `actions`. */
export function cardFrame(className, tag) {
  const el = element('div', className);
  el.dataset.tag = tag;
  const head = element('div', 'card-head');
  const title = element('span', 'card-title', tag);
  title.title = tag; // a long tag is cut off with an ellipsis: hovering shows it whole
  const actions = element('span', 'card-actions');
  head.append(title, actions);
  return { el, head, actions };
}

/** Toggles the card between its normal and its wide, tall size. */
export function expandButton(cardEl) {
  const expand = button('Expand', 'Make this card wider and taller', () => {
    const wide = cardEl.classList.toggle('wide');
    expand.textContent = wide ? 'Shrink' : 'Expand';
  });
  return expand;
}

/** The line under the head of a one-run card: the run's colour and name. */
export function runLine(run, color) {
  const line = element('div', 'card-run');
  const swatch = element('span', 'swatch');
  swatch.style.backgroundColor = color;
  swatch.dataset.run = run; // repainted on a theme change
  const name = element('span', 'run-name', run);
  name.title = run;
  line.append(swatch, name);
  return line;
}

/** The note under a Histograms or Distributions card: the load error, or how many steps it draws
 * (`shown`) of how many the series has (`total`; the server sends an even spread of them). */
export function showStepsNote(note, error, shown, total) {
  note.classList.toggle('error', error !== null);
  if (error !== null) note.textContent = `cannot load: ${error}`;
  else if (shown === 0) note.textContent = 'no values';
  else if (total > shown) note.textContent = `${shown} of ${total} steps`;
  else note.textContent = `${shown} step${shown === 1 ? '' : 's'}`;
}
