/* outliers.js -- the "ignore outliers" y range, as TensorBoard computes it.
 *
 * Sort the visible finite values and keep the 5th to 95th percentile (indices ceil((n-1)*0.05) and
 * floor((n-1)*0.95)); with two values or fewer, the plain min and max. Pure: no DOM. */

/** @param {number[]} values  @returns {{min: number, max: number} | null} null when nothing is finite */
export function outlierRange(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return null;
  if (n <= 2) return { min: sorted[0], max: sorted[n - 1] };
  return { min: sorted[Math.ceil((n - 1) * 0.05)], max: sorted[Math.floor((n - 1) * 0.95)] };
}
