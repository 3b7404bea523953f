/* theme.test.mjs -- the theme's pure helpers: which theme a stored choice draws, and how chart
 * colours are read from computed styles and put into Chart.js options. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartColors, legibleRunColor, parseThemeChoice, resolveTheme, restyleChartOptions } from '../../../web/theme.js';

test('a stored choice is kept only when it is one of system, light, dark', () => {
  assert.equal(parseThemeChoice('dark'), 'dark');
  assert.equal(parseThemeChoice('light'), 'light');
  assert.equal(parseThemeChoice('system'), 'system');
  assert.equal(parseThemeChoice(null), 'system');
  assert.equal(parseThemeChoice('Dark'), 'system');
  assert.equal(parseThemeChoice('{"x":1}'), 'system');
});

test('system follows prefers-color-scheme; light and dark ignore it', () => {
  assert.equal(resolveTheme('system', true), 'dark');
  assert.equal(resolveTheme('system', false), 'light');
  assert.equal(resolveTheme('light', true), 'light');
  assert.equal(resolveTheme('dark', false), 'dark');
});

test('chart colours come from the custom properties, trimmed, with light fallbacks', () => {
  const style = { getPropertyValue: (name) => ({ '--chart-tick': ' #c8ccd0', '--chart-grid': '#33383d ' }[name] || '') };
  const colors = chartColors(style);
  assert.equal(colors.tick, '#c8ccd0');
  assert.equal(colors.grid, '#33383d');
  assert.equal(colors.title, '#666'); // missing: the light theme's
  assert.equal(chartColors(null).tick, '#555');
});

test('restyling sets every scale and the legend, keeping the other options', () => {
  const options = {
    scales: {
      x: { ticks: { color: '#555', maxRotation: 0 }, grid: { color: '#eee' }, title: { text: 'step', color: '#666' } },
      y: { ticks: { color: '#555' }, grid: { color: '#eee' } },
    },
    plugins: { legend: { labels: { boxWidth: 12 } } },
  };
  restyleChartOptions(options, { tick: '#ddd', grid: '#333', title: '#aaa' });
  assert.deepEqual(options.scales.x.ticks, { color: '#ddd', maxRotation: 0 });
  assert.equal(options.scales.x.grid.color, '#333');
  assert.deepEqual(options.scales.x.title, { text: 'step', color: '#aaa' });
  assert.equal(options.scales.y.ticks.color, '#ddd');
  assert.equal(options.scales.y.title, undefined);
  assert.deepEqual(options.plugins.legend.labels, { boxWidth: 12, color: '#ddd' });
});

test('on dark, run colours darker than luminance 0.48 are lifted to it; others are kept', () => {
  const lum = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const lifted = legibleRunColor('#425066', 'dark'); // TensorBoard's first colour
  assert.match(lifted, /^#[0-9a-f]{6}$/);
  assert.ok(Math.abs(lum(lifted) - 0.48) < 0.01, `${lifted} luminance ${lum(lifted)}`);
  assert.equal(legibleRunColor('#425066', 'light'), '#425066');
  assert.equal(legibleRunColor('#12b5cb', 'dark'), '#12b5cb'); // already light enough
  assert.equal(legibleRunColor('#000000', 'dark'), '#7a7a7a');
  assert.equal(legibleRunColor('rgb(1, 2, 3)', 'dark'), 'rgb(1, 2, 3)'); // not #rrggbb: untouched
});
