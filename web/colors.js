/* colors.js -- run colours, TensorBoard's palette, handed out in run order.
 *
 * A run keeps its colour for the life of the page: a run that appears later (live update) takes the
 * next colour instead of shifting everyone else's. Pure: no DOM. */

export const PALETTE = ['#425066', '#12b5cb', '#e52592', '#f9ab00', '#9334e6', '#7cb342', '#e8710a'];

export function colorForIndex(index) {
  return PALETTE[index % PALETTE.length];
}

/** Hands each new name the next palette colour, in the order names are first seen. */
export class ColorAssigner {
  constructor() {
    this.byName = new Map();
  }

  /** @param {string[]} names in run order */
  assign(names) {
    for (const name of names) {
      if (!this.byName.has(name)) this.byName.set(name, colorForIndex(this.byName.size));
    }
  }

  colorOf(name) {
    if (!this.byName.has(name)) this.assign([name]);
    return this.byName.get(name);
  }
}

/** '#rrggbb' plus an alpha in [0, 1] -> 'rgba(r, g, b, a)'. */
export function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
