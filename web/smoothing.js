/* smoothing.js -- TensorBoard's debiased exponential moving average, point for point.
 *
 * Users compare curves across tools, so this must give exactly what TensorBoard draws
 * (tensorboard/webapp/widgets/line_chart_v2/lib/data_transformer.ts): non-finite values pass
 * through untouched and do not advance the average; the bias towards the initial 0 is divided
 * out, except at w = 1 where there is no division (the curve stays at 0, as in TensorBoard);
 * a series whose values are all equal is returned as is, so float error never bends a flat line.
 * Pure: no DOM. */

/** @param {number[]} values  @param {number} weight in [0, 1]  @returns {number[]} */
export function smooth(values, weight) {
  if (values.length === 0) return [];
  const first = values[0];
  if (values.every((v) => v === first)) return values.slice();
  const out = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * weight + (1 - weight) * y;
    count += 1;
    out[i] = weight === 1 ? last : last / (1 - Math.pow(weight, count));
  }
  return out;
}
