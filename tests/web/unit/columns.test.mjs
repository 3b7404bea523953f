/* columns.test.mjs -- web/columns.js: the binary columnar answer decoded from hand-built bytes. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeColumns } from '../../../web/columns.js';

const u32 = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const frame = (object) => {
  const json = [...new TextEncoder().encode(JSON.stringify(object))];
  return [...u32(json.length), ...json];
};
const END = u32(0);
const MAGIC = [0x56, 0x5a, 0x43, 0x31];

/** An unsigned LEB128 varint of a BigInt. */
function varint(z) {
  const out = [];
  for (;;) {
    const byte = Number(z & 0x7fn);
    z >>= 7n;
    if (z === 0n) return [...out, byte];
    out.push(byte | 0x80);
  }
}
const zigzag = (d) => BigInt.asUintN(64, (d << 1n) ^ (d < 0n ? -1n : 0n));
/** The step column of a list of BigInt steps: zigzagged deltas modulo 2^64, the first from 0. */
function stepBytes(steps) {
  let previous = 0n;
  return steps.flatMap((step) => {
    const delta = BigInt.asIntN(64, step - previous);
    previous = step;
    return varint(zigzag(delta));
  });
}
const float32Bytes = (values) => [...new Uint8Array(new Float32Array(values).buffer)];
const float64Bytes = (values) => [...new Uint8Array(new Float64Array(values).buffer)];
const runHeader = (run, count, encodings, total = count, sampled = false) => frame({ run, total, sampled, count, encodings });
const answer = (...parts) => new Uint8Array([...MAGIC, ...frame({ tag: 'loss' }), ...parts.flat(), ...END]).buffer;

test('the worked example of docs/API.md decodes', () => {
  const header = '{"run":"r","total":3,"sampled":false,"count":3,"encodings":{"steps":"zigzag-delta-varint","values":"float32"}}';
  const bytes = new Uint8Array([
    0x56, 0x5a, 0x43, 0x31, 0x0e, 0, 0, 0, ...new TextEncoder().encode('{"tag":"loss"}'),
    0x6e, 0, 0, 0, ...new TextEncoder().encode(header),
    0x03, 0x04, 0xd8, 0x04,
    0, 0, 0, 0x3f, 0, 0, 0x80, 0x3e, 0, 0, 0xc0, 0x7f,
    0, 0, 0, 0,
  ]);
  assert.equal(bytes.length, 156);
  const { tag, series: [s] } = decodeColumns(bytes.buffer);
  assert.equal(tag, 'loss');
  assert.deepEqual({ run: s.run, total: s.total, sampled: s.sampled, wallTimes: s.wallTimes }, { run: 'r', total: 3, sampled: false, wallTimes: null });
  assert.deepEqual([...s.steps], [-2, 0, 300]);
  assert.deepEqual([...s.values], [0.5, 0.25, NaN]);
});

test('float32 values widen to the exact doubles; float64 ones come back bit for bit', () => {
  const f32 = [0.1, -3.5e38, 1e-45, -0, Infinity];
  const f64 = [0.1, 0.30000000000000004, 5e-324, -0, 1.7976931348623157e308, -Infinity, 1764000000.123456];
  const { series: [a, b] } = decodeColumns(answer(
    runHeader('a', f32.length, { values: 'float32' }), float32Bytes(f32),
    runHeader('b', f64.length, { values: 'float64' }), float64Bytes(f64)));
  assert.deepEqual([...a.values], [...new Float32Array(f32)]);
  assert.ok(Object.is(a.values[3], -0));
  assert.deepEqual([...b.values], f64);
  assert.ok(Object.is(b.values[3], -0));
  assert.equal(a.steps, null);
});

test('steps far from zero, negative and up to 2^53 either side, come back exact', () => {
  const steps = [-(2n ** 53n), -(2n ** 53n) + 1n, -300n, -1n, 0n, 1n, 127n, 128n, 2n ** 31n, 2n ** 53n - 1n, 2n ** 53n, 5n];
  const { series: [s] } = decodeColumns(answer(runHeader('r', steps.length, { steps: 'zigzag-delta-varint' }), stepBytes(steps)));
  assert.deepEqual([...s.steps], steps.map(Number));
});

test('steps beyond 2^53 are the nearest doubles, without drift, and deltas wrap modulo 2^64', () => {
  const far = 2n ** 60n;
  const steps = [-(2n ** 63n), 2n ** 63n - 1n, far, ...Array.from({ length: 300 }, (_, i) => far + 1n + BigInt(i)), 7n];
  const { series: [s] } = decodeColumns(answer(runHeader('r', steps.length, { steps: 'zigzag-delta-varint' }), stepBytes(steps)));
  assert.deepEqual([...s.steps], steps.map(Number));
  assert.equal(s.steps[s.steps.length - 2], Number(far + 300n), 'a run of small deltas out there does not drift');
  assert.equal(s.steps[s.steps.length - 1], 7, 'back in the safe range, exact again');
});

test('columns follow in the order steps, wall times, values; wall times as float64', () => {
  const { series: [s] } = decodeColumns(answer(
    runHeader('r', 2, { values: 'float32', wall_times: 'float64', steps: 'zigzag-delta-varint' }, 10, true),
    stepBytes([4n, 9n]), float64Bytes([1764000000.25, 1764000001.5]), float32Bytes([2, 3])));
  assert.deepEqual({ total: s.total, sampled: s.sampled }, { total: 10, sampled: true });
  assert.deepEqual([...s.steps], [4, 9]);
  assert.deepEqual([...s.wallTimes], [1764000000.25, 1764000001.5]);
  assert.deepEqual([...s.values], [2, 3]);
});

test('empty series and answers with no series decode', () => {
  const all = { steps: 'zigzag-delta-varint', wall_times: 'float64', values: 'float32' };
  const { series } = decodeColumns(answer(runHeader('empty', 0, all, 0), runHeader('also', 0, { values: 'float64' }, 0)));
  assert.deepEqual(series.map((s) => [s.run, s.steps?.length, s.wallTimes?.length, s.values.length]), [['empty', 0, 0, 0], ['also', undefined, undefined, 0]]);
  assert.deepEqual(decodeColumns(answer()).series, []);
});

test('a cut-off, padded, foreign or unknown answer throws', () => {
  const whole = new Uint8Array(answer(runHeader('r', 2, { steps: 'zigzag-delta-varint', values: 'float64' }), stepBytes([1n, 2n]), float64Bytes([1, 2])));
  assert.equal(decodeColumns(whole).series[0].values[1], 2);
  for (let cut = 0; cut < whole.length; cut++) assert.throws(() => decodeColumns(whole.slice(0, cut)), /malformed|JSON/, `cut at ${cut}`);
  assert.throws(() => decodeColumns(new Uint8Array([...whole, 0])), /after the end/);
  assert.throws(() => decodeColumns(new TextEncoder().encode('{"tag":"loss","series":[]}')), /not a VZC1/);
  assert.throws(() => decodeColumns(answer(runHeader('r', 1, { values: 'float16' }), [0, 0])), /unknown encoding/);
  assert.throws(() => decodeColumns(answer(runHeader('r', 1, { losses: 'float32' }), [0, 0, 0, 0])), /unknown column/);
  assert.throws(() => decodeColumns(answer(runHeader('r', 1, { steps: 'zigzag-delta-varint' }), new Array(11).fill(0x80))), /longer than 10/);
});
