/* imagesize.js -- how big the Images tab draws an image: at the card's width, as TensorBoard does, so a
 * make_grid grid or a matplotlib figure is readable without a click; but never blown up past
 * UPSCALE_MAX times its own size (a 28x28 digit would otherwise be a 400 px blur), and drawn with
 * hard pixel edges whenever it is enlarged, smooth when it is shrunk.
 *
 * Several images of one step share the card in a grid whose tiles are at least tileMinWidth wide
 * (style: media.css; the grid fits as many such columns as the card holds). Pure: no DOM. */

export const UPSCALE_MAX = 8;
export const TILE_MIN = 128; // px: a batch of images shows a few per row, each still big enough to see

/** The widest an image `width` px wide is ever drawn (scaled to the card, never past this). */
export function maxDisplayWidth(width) {
  return width * UPSCALE_MAX;
}

/** The narrowest a grid tile holding images `width` px wide may be: TILE_MIN, or less for images so
 * small that TILE_MIN would enlarge them more than UPSCALE_MAX. */
export function tileMinWidth(width) {
  return Math.max(1, Math.min(TILE_MIN, maxDisplayWidth(width)));
}

/** Whether an image drawn `shownWidth` CSS px wide is enlarged from its `width` pixels: then it is
 * drawn pixelated, each pixel a crisp square, as TensorBoard draws small images. */
export function isEnlarged(shownWidth, width) {
  return shownWidth > width + 0.5;
}
