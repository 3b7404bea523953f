/* theme.js -- light and dark: the top bar's choice (light, dark, or "system", which follows the
 * browser's prefers-color-scheme), remembered in localStorage, applied as data-theme on <html>.
 *
 * Every colour lives in style.css as a custom property; the dark theme only redefines them. Canvas
 * charts cannot read CSS, so chartColors() reads the chart properties from the computed style, and a
 * theme change announces itself with a 'vizd-theme' event on window, after which charts restyle
 * (Chart.js: restyleChart) or redraw (the histogram canvas reads chartColors() on every draw). The
 * pure helpers take their inputs as arguments so node --test can check them. */

export const THEME_CHOICES = ['system', 'light', 'dark'];
export const THEME_KEY = 'vizd.theme';
export const THEME_EVENT = 'vizd-theme';

/** A stored choice, or 'system' when it is missing or not one of THEME_CHOICES. */
export function parseThemeChoice(value) {
  return THEME_CHOICES.includes(value) ? value : 'system';
}

/** The theme drawn: the choice itself, or for 'system' what the browser prefers. */
export function resolveTheme(choice, systemDark) {
  if (choice === 'light' || choice === 'dark') return choice;
  return systemDark ? 'dark' : 'light';
}

// The custom properties charts read, with the light theme's values for when a property is missing.
const CHART_PROPERTIES = {
  tick: ['--chart-tick', '#555'],
  title: ['--chart-title', '#666'],
  grid: ['--chart-grid', '#eee'],
  axis: ['--chart-axis', '#bbb'],
  ink: ['--chart-ink', '#000'],
  paper: ['--chart-ink-paper', '#fff'],
  ridgeEdge: ['--chart-ridge-edge', 'rgba(255, 255, 255, 0.5)'],
  baseline: ['--chart-baseline', 'rgba(0, 0, 0, 0.1)'],
};

/** A run colour that reads on the theme's cards: on dark, a colour darker than MIN_DARK_LUMINANCE
 * (TensorBoard's first colour, #425066, at 0.31 all but vanishes on a dark card) is mixed with white
 * up to exactly that luminance; on light, every colour is kept. Luminance here is the Rec. 709
 * weighting of the sRGB channels as stored (no gamma), which is what mixing moves linearly.
 * '#rrggbb' in and out. */
export function legibleRunColor(hex, theme) {
  if (theme !== 'dark' || !/^#[0-9a-f]{6}$/i.test(hex)) return hex;
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  if (lum >= MIN_DARK_LUMINANCE) return hex;
  // Luminance is linear in the channels, so mixing a part t of white raises it to lum + t (1 - lum).
  const t = (MIN_DARK_LUMINANCE - lum) / (1 - lum);
  return `#${rgb.map((c) => Math.round((c + t * (1 - c)) * 255).toString(16).padStart(2, '0')).join('')}`;
}
const MIN_DARK_LUMINANCE = 0.48;

/** Chart colours from a computed style (anything with getPropertyValue). */
export function chartColors(style) {
  const colors = {};
  for (const [name, [property, fallback]] of Object.entries(CHART_PROPERTIES)) {
    colors[name] = style?.getPropertyValue(property).trim() || fallback;
  }
  return colors;
}

/** The current page's chart colours. */
export function currentChartColors() {
  return chartColors(typeof document === 'undefined' ? null : getComputedStyle(document.documentElement));
}

/** Sets the colours of a Chart.js options object in place: every scale's ticks, grid and title, and
 * the legend's labels. */
export function restyleChartOptions(options, colors) {
  for (const scale of Object.values(options.scales || {})) {
    scale.ticks = { ...scale.ticks, color: colors.tick };
    scale.grid = { ...scale.grid, color: colors.grid };
    if (scale.title) scale.title = { ...scale.title, color: colors.title };
  }
  const legend = options.plugins?.legend;
  if (legend) legend.labels = { ...legend.labels, color: colors.tick };
  return options;
}

/** Restyles a live Chart.js chart and redraws it. */
export function restyleChart(chart, colors = currentChartColors()) {
  restyleChartOptions(chart.options, colors);
  chart.update('none');
}

/**
 * Applies the stored choice and keeps following the system while the choice is 'system'.
 * @returns {{choice: () => string, theme: () => string, setChoice: (choice: string) => void}}
 */
export function initTheme() {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  let choice = 'system';
  try {
    choice = parseThemeChoice(window.localStorage.getItem(THEME_KEY));
  } catch {
    // storage blocked: follow the system
  }
  const apply = () => {
    const theme = resolveTheme(choice, media.matches);
    if (document.documentElement.dataset.theme === theme) return;
    document.documentElement.dataset.theme = theme;
    window.dispatchEvent(new CustomEvent(THEME_EVENT, { detail: { theme } }));
  };
  media.addEventListener('change', apply);
  apply();
  return {
    choice: () => choice,
    theme: () => document.documentElement.dataset.theme,
    setChoice(next) {
      choice = parseThemeChoice(next);
      try {
        window.localStorage.setItem(THEME_KEY, choice);
      } catch {
        // storage blocked: the choice lasts for this page only
      }
      apply();
    },
  };
}
