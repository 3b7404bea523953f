/* colors.test.mjs -- web/colors.js: TensorBoard's palette, then distinct generated colours, handed out
 * in run order. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColorAssigner, PALETTE, cleanRunColors, colorDistance, colorForIndex, hslToHex, withAlpha } from '../../../web/colors.js';

test('the palette is TensorBoard\'s, in order', () => {
  assert.deepEqual(PALETTE, ['#425066', '#12b5cb', '#e52592', '#f9ab00', '#9334e6', '#7cb342', '#e8710a']);
});

test('the palette comes first, then colours that are not the palette again', () => {
  assert.equal(colorForIndex(0), '#425066');
  assert.equal(colorForIndex(6), '#e8710a');
  assert.notEqual(colorForIndex(7), '#425066');
  assert.ok(!PALETTE.includes(colorForIndex(7)));
});

test('twelve runs have twelve distinct colours, each well apart from the others', () => {
  const colors = Array.from({ length: 12 }, (_, i) => colorForIndex(i));
  assert.equal(new Set(colors).size, 12);
  for (const c of colors) assert.match(c, /^#[0-9a-f]{6}$/);
  // The nearest two of TensorBoard's own seven are ~61 apart (#f9ab00, #e8710a): nothing added is nearer.
  for (let i = 7; i < 12; i++) {
    for (let j = 0; j < i; j++) assert.ok(colorDistance(colors[i], colors[j]) >= 61, `${colors[i]} vs ${colors[j]}`);
  }
});

test('hundreds of runs still get colours, all distinct', () => {
  const colors = Array.from({ length: 300 }, (_, i) => colorForIndex(i));
  assert.equal(new Set(colors).size, 300);
});

test('hslToHex converts the primaries and a grey', () => {
  assert.equal(hslToHex(0, 1, 0.5), '#ff0000');
  assert.equal(hslToHex(120, 1, 0.5), '#00ff00');
  assert.equal(hslToHex(240, 1, 0.5), '#0000ff');
  assert.equal(hslToHex(77, 0, 0.5), '#808080');
});

test('runs get colours in run order', () => {
  const colors = new ColorAssigner();
  colors.assign(['a', 'b', 'c']);
  assert.deepEqual(['a', 'b', 'c'].map((n) => colors.colorOf(n)), ['#425066', '#12b5cb', '#e52592']);
});

test('a run that appears later takes the next colour and moves no one else\'s', () => {
  const colors = new ColorAssigner();
  colors.assign(['b', 'c']);
  colors.assign(['a', 'b', 'c']);
  assert.equal(colors.colorOf('b'), '#425066');
  assert.equal(colors.colorOf('c'), '#12b5cb');
  assert.equal(colors.colorOf('a'), '#e52592');
});

test('withAlpha turns a hex colour into rgba', () => {
  assert.equal(withAlpha('#12b5cb', 0.25), 'rgba(18, 181, 203, 0.25)');
});

test('remembered run colours keep only #rrggbb strings, lower-cased', () => {
  assert.deepEqual(cleanRunColors(null), {});
  assert.deepEqual(cleanRunColors(['#ffffff']), {});
  assert.deepEqual(cleanRunColors({ a: '#D81B60', b: 'red', c: '#fff', d: 7, e: '#00ff00' }), { a: '#d81b60', e: '#00ff00' });
});
