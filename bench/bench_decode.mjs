/* bench_decode.mjs -- the browser's side of the 20-run answer: reading format=columns (text decode and
 * JSON.parse, then the rows the dashboard built from it before it read format=binary) against decoding
 * format=binary (web/columns.js), in V8 as Chromium runs it.
 *
 *     python3 bench/bench_answer.py --vizd build/vizd --save /tmp/answers
 *     node bench/bench_decode.mjs /tmp/answers [repeats]
 *
 * Prints per form the median and p90 time of `repeats` (default 50) decodes of the saved answer, after
 * 10 warm-up runs. Not a test: it asserts nothing, it measures. */

import fs from 'node:fs';
import path from 'node:path';
import { decodeColumns } from '../web/columns.js';
import { parsePoints } from '../web/series.js';

const [dir, repeatsArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/bench_decode.mjs DIR [repeats]  (DIR from bench_answer.py --save)');
  process.exit(2);
}
const repeats = Number(repeatsArg || 50);
const utf8 = new TextDecoder();

/** What the dashboard did with a format=columns answer before: parse, then rows, then numbers. */
function columnsToRows(bytes) {
  const answer = JSON.parse(utf8.decode(bytes));
  return answer.series.map((s) => {
    const walls = s.wall_times;
    const rows = new Array(s.steps.length);
    for (let i = 0; i < s.steps.length; i += 1) rows[i] = [s.steps[i], walls ? walls[i] : NaN, s.values[i]];
    return parsePoints(rows);
  });
}

const cases = [
  ['columns: text + JSON.parse', 'columns', (bytes) => JSON.parse(utf8.decode(bytes))],
  ['columns: + rows (the old path)', 'columns', columnsToRows],
  ['binary: decodeColumns', 'binary', (bytes) => decodeColumns(bytes)],
  ['columns+wall_time: + rows', 'columns+wall_time', columnsToRows],
  ['binary+wall_time: decodeColumns', 'binary+wall_time', (bytes) => decodeColumns(bytes)],
];

function time(fn, bytes) {
  for (let i = 0; i < 10; i++) fn(bytes);
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    fn(bytes);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)] };
}

console.log(`node ${process.version}, ${repeats} decodes each`);
for (const [name, form, fn] of cases) {
  const file = path.join(dir, `${form}.answer`);
  if (!fs.existsSync(file)) {
    console.log(`${name.padEnd(34)} no ${file}`);
    continue;
  }
  const bytes = new Uint8Array(fs.readFileSync(file));
  const { median, p90 } = time(fn, bytes);
  console.log(`${name.padEnd(34)} ${bytes.length} bytes: median ${median.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms`);
}
