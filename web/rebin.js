/* rebin.js -- histogram rebinning for the Histograms tab, as TensorBoard does it: every step of a
 * card is redrawn over the same N equal bins (default 30) spanning the union range of the card, so
 * that steps whose server-side buckets differ can be compared and stacked.
 *
 * A bucket is [left, right, count] (GET /api/v1/histograms). Its count is split over the bins it
 * overlaps in proportion to the overlap (a bucket half in one bin puts half its count there); a
 * zero-width bucket (left == right: all its values are one number) puts its whole count in the bin
 * containing it, the last bin when it sits on the upper edge. Counts outside the range are dropped,
 * so over the union range the counts of every step are kept exactly (up to rounding).
 * Pure: no DOM. */

export const DEFAULT_BINS = 30;

/**
 * The [min, max] spanned by the buckets with a count of the given steps, or null when there are
 * none. When every value is one number v the range is widened around it to
 * [v - (|v|/10 + 1), v + (|v|/10 + 1)], so the lone spike is drawn in the middle of a real axis.
 * @param {number[][][]} stepsBuckets the bucket lists of every step of a card
 * @returns {[number, number] | null}
 */
export function unionRange(stepsBuckets) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const buckets of stepsBuckets) {
    for (const [left, right, count] of buckets) {
      if (!(count > 0) || !Number.isFinite(left) || !Number.isFinite(right)) continue;
      lo = Math.min(lo, left, right);
      hi = Math.max(hi, left, right);
    }
  }
  if (lo > hi) return null;
  if (lo === hi) {
    const pad = Math.abs(lo) / 10 + 1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/** Index of the bin holding x among n equal bins over [lo, hi]; the upper edge belongs to the last bin. */
export function binIndex(x, lo, hi, n) {
  const i = Math.floor(((x - lo) / (hi - lo)) * n);
  return Math.min(n - 1, Math.max(0, i));
}

/** Left and right edge of bin i of n equal bins over [lo, hi] (the last right edge is hi exactly). */
export function binEdges(i, lo, hi, n) {
  const width = (hi - lo) / n;
  return [lo + i * width, i === n - 1 ? hi : lo + (i + 1) * width];
}

/**
 * Counts of n equal bins over [lo, hi] from one step's buckets.
 * @param {number[][]} buckets [[left, right, count], ...]
 * @returns {number[]} n counts
 */
export function rebin(buckets, lo, hi, n = DEFAULT_BINS) {
  const counts = new Array(n).fill(0);
  if (!(hi > lo) || n < 1) return counts;
  const width = (hi - lo) / n;
  for (const [left, right, count] of buckets) {
    if (!(count > 0) || !Number.isFinite(left) || !Number.isFinite(right)) continue;
    if (right <= left) {
      if (left >= lo && left <= hi) counts[binIndex(left, lo, hi, n)] += count;
      continue;
    }
    const first = Math.max(0, Math.floor((left - lo) / width));
    const last = Math.min(n - 1, Math.ceil((right - lo) / width) - 1);
    for (let i = first; i <= last; i++) {
      const [binLeft, binRight] = binEdges(i, lo, hi, n);
      const overlap = Math.min(right, binRight) - Math.max(left, binLeft);
      if (overlap > 0) counts[i] += (count * overlap) / (right - left);
    }
  }
  return counts;
}

/**
 * Every step of a card rebinned over the card's union range.
 * @param {number[][][]} stepsBuckets the bucket lists of the card's steps
 * @returns {{lo: number, hi: number, n: number, counts: number[][], maxCount: number} | null}
 *   null when no step has a counted value
 */
export function rebinCard(stepsBuckets, n = DEFAULT_BINS) {
  const range = unionRange(stepsBuckets);
  if (range === null) return null;
  const [lo, hi] = range;
  const counts = stepsBuckets.map((buckets) => rebin(buckets, lo, hi, n));
  let maxCount = 0;
  for (const row of counts) for (const c of row) maxCount = Math.max(maxCount, c);
  return { lo, hi, n, counts, maxCount };
}
