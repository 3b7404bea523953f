/* colors.js -- run colours: TensorBoard's palette for the first seven runs, then more colours that
 * are distinct from it and from each other, handed out in run order.
 *
 * TensorBoard's seven colours repeat from the eighth run on, so two runs on one chart can look the
 * same. After the palette, hues step by the golden angle (each new hue lands in the widest gap left
 * by the ones before) and the lightness alternates between two levels, so run 8 and run 30 stay
 * apart as well. A run keeps its colour for the life of the page: a run that appears later (live
 * update) takes the next colour instead of shifting everyone else's. A colour the user picks for a run
 * (the run list's colour picker) replaces its assigned one; cleanRunColors checks the remembered ones.
 * Pure: no DOM. */

export const PALETTE = ['#425066', '#12b5cb', '#e52592', '#f9ab00', '#9334e6', '#7cb342', '#e8710a'];

const GOLDEN_ANGLE = 137.508; // degrees
const FIRST_HUE = 215; // a blue, unlike the palette's last colours
const LIGHTNESS = [0.42, 0.6];

function hex2(n) {
  return Math.round(n * 255).toString(16).padStart(2, '0');
}

/** HSL (hue in degrees, saturation and lightness in [0, 1]) -> '#rrggbb'. */
export function hslToHex(h, s, l) {
  const a = s * Math.min(l, 1 - l);
  const channel = (n) => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return `#${hex2(channel(0))}${hex2(channel(8))}${hex2(channel(4))}`;
}

function rgbOf(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Euclidean distance of two '#rrggbb' colours in RGB (0 .. 441). */
export function colorDistance(a, b) {
  const [p, q] = [rgbOf(a), rgbOf(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

// Colours handed out so far (the palette, then generated ones), grown on demand. A candidate that
// lands too near a colour already given is skipped; when candidates keep failing the bar is lowered,
// so the sequence never stalls however many runs there are.
const colors = [...PALETTE];
let candidate = 0;
let minDistance = 80;

// The colours given, by RGB cube of side `cellSide` (>= minDistance): a colour nearer a candidate than
// minDistance lies in the candidate's cube or a neighbouring one, so a check reads those 27 cubes
// instead of every colour given (1,000 runs took about six times as long with every colour). Rebuilt with
// smaller cubes when the bar has fallen to half the side.
let cellSide = 0;
let cells = new Map();

function cellOf(rgb) {
  return rgb.map((channel) => Math.floor(channel / cellSide));
}

function addToCells(color) {
  const key = cellOf(rgbOf(color)).join();
  if (!cells.has(key)) cells.set(key, []);
  cells.get(key).push(color);
}

function isFarFromGiven(color) {
  if (minDistance * 2 <= cellSide || cellSide === 0) {
    cellSide = minDistance;
    cells = new Map();
    for (const given of colors) addToCells(given);
  }
  const [r, g, b] = cellOf(rgbOf(color));
  for (let dr = -1; dr <= 1; dr++) {
    for (let dg = -1; dg <= 1; dg++) {
      for (let db = -1; db <= 1; db++) {
        const near = cells.get(`${r + dr},${g + dg},${b + db}`) || [];
        if (near.some((given) => colorDistance(given, color) < minDistance)) return false;
      }
    }
  }
  return true;
}

function nextColor() {
  for (let misses = 0; ; misses++) {
    if (misses === 40) {
      minDistance *= 0.9;
      misses = 0;
    }
    const k = candidate++;
    const color = hslToHex((FIRST_HUE + k * GOLDEN_ANGLE) % 360, 0.7, LIGHTNESS[k % LIGHTNESS.length]);
    if (isFarFromGiven(color)) return color;
  }
}

/** The colour of the run at `index` in first-seen order: the palette, then generated colours. */
export function colorForIndex(index) {
  while (colors.length <= index) {
    const color = nextColor();
    colors.push(color);
    addToCells(color);
  }
  return colors[index];
}

/** Hands each new name the next colour, in the order names are first seen. */
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

const MAX_PICKED_COLORS = 5000; // the saved map is read at every start

/** The saved map of colours picked per run ({run: '#rrggbb'}) with only well-formed entries. */
export function cleanRunColors(saved) {
  if (!saved || typeof saved !== 'object' || Array.isArray(saved)) return {};
  const clean = {};
  for (const [run, color] of Object.entries(saved).slice(0, MAX_PICKED_COLORS)) {
    if (typeof color === 'string' && /^#[0-9a-f]{6}$/i.test(color)) clean[run] = color.toLowerCase();
  }
  return clean;
}

/** '#rrggbb' plus an alpha in [0, 1] -> 'rgba(r, g, b, a)'. */
export function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
