/* normalize.js -- how the Tensors tab maps values to [0, 1] before a colormap looks them up.
 *
 *   tile       each tile's own min..max (what matplotlib's imshow does by default, and what the seed's
 *              per-kernel subplots show)
 *   global     min..max of the whole tensor, so tiles can be compared with one another
 *   symmetric  -m..m with m = max |x| over the whole tensor, so 0 sits in the middle of the map
 *              (white in bwr) and the sign of a weight reads off its colour
 *
 * Only finite values count towards a range. NaN stays NaN (drawn in the NaN colour); +-Infinity
 * clamp to the ends. A range of one value maps everything to 0, as matplotlib's Normalize does;
 * symmetric with m = 0 maps everything to the middle. A fourth mode, 'none', takes the values as
 * they are (clamped to [0, 1]): what show_cam_on_image does with a grad-cam mask. Pure: no DOM. */

export const NORMALIZE_MODES = ['tile', 'global', 'symmetric'];

/** Range of the finite values in data[start .. end): {min, max, absMax, finite, nan}; min/max are
 * null when no value is finite. */
export function finiteRange(data, start = 0, end = data.length) {
  let min = Infinity;
  let max = -Infinity;
  let finite = 0;
  let nan = 0;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
      finite++;
    } else if (Number.isNaN(v)) {
      nan++;
    }
  }
  if (finite === 0) return { min: null, max: null, absMax: null, finite, nan };
  return { min, max, absMax: Math.max(Math.abs(min), Math.abs(max)), finite, nan };
}

/** The [lo, hi] that maps to [0, 1] for a mode, given the tile's and the whole tensor's ranges. */
export function scaleBounds(mode, tileRange, globalRange) {
  if (mode === 'none') return [0, 1]; // values taken as already in [0, 1] (a grad-cam mask)
  if (mode === 'symmetric') {
    const m = globalRange.absMax;
    return m === null ? null : [-m, m];
  }
  const range = mode === 'global' ? globalRange : tileRange;
  return range.min === null ? null : [range.min, range.max];
}

/** v -> t in [0, 1] (NaN for NaN) for bounds [lo, hi]; `flat` is t when lo = hi (or no bounds). */
export function makeScale(bounds, flat = 0) {
  if (bounds === null || bounds[0] === bounds[1]) return (v) => (Number.isNaN(v) ? NaN : flat);
  const [lo, hi] = bounds;
  const span = hi - lo;
  return (v) => {
    if (Number.isNaN(v)) return NaN;
    const t = (v - lo) / span;
    return t < 0 ? 0 : t > 1 ? 1 : t;
  };
}

/** The scale of a tile under a mode: symmetric around 0 puts an all-zero tensor in the middle. */
export function scaleFor(mode, tileRange, globalRange) {
  return makeScale(scaleBounds(mode, tileRange, globalRange), mode === 'symmetric' ? 0.5 : 0);
}
