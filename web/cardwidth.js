/* cardwidth.js -- how wide the cards of a tab are: the card-width control's range, each tab's default,
 * and the check that a saved width is one the control can show.
 *
 * The width is the narrowest a card may be; cards of one group share their row evenly, and groups with
 * few cards share a row with their neighbours (style.css), so a narrower width puts more cards on a
 * screen. Scalars start narrow enough for three charts across a 1400 px window, as TensorBoard's Time
 * Series does; the other tabs wider, their cards hold images and tensors. Pure: no DOM. */

export const CARD_WIDTH = { min: 240, max: 1200, step: 20 };

const DEFAULTS = { scalars: 340, images: 420, tensors: 420, histograms: 420, distributions: 420, text: 420 };

export function defaultCardWidth(tab) {
  return DEFAULTS[tab] ?? 420;
}

/** A tab's card width from the saved map, or its default when missing or not a usable number. */
export function cardWidthOf(widths, tab) {
  const value = widths?.[tab];
  if (typeof value !== 'number' || !Number.isFinite(value)) return defaultCardWidth(tab);
  return Math.min(CARD_WIDTH.max, Math.max(CARD_WIDTH.min, Math.round(value)));
}

/** The saved map with only the usable entries, each clamped to the control's range. */
export function cleanCardWidths(widths) {
  if (!widths || typeof widths !== 'object' || Array.isArray(widths)) return {};
  const clean = {};
  for (const [tab, value] of Object.entries(widths)) {
    if (typeof value === 'number' && Number.isFinite(value)) clean[tab] = cardWidthOf(widths, tab);
  }
  return clean;
}
