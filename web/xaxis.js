/* xaxis.js -- the three x axes of a scalar chart: step, relative time, wall time.
 *
 * Relative time is the wall time minus the series' first wall time, in seconds, as in TensorBoard.
 * Wall time is kept in seconds since the epoch; only the tick labels turn it into a date.
 * Pure: no DOM. */

export const X_AXES = ['step', 'relative', 'wall'];

/** x of one point. @param {'step'|'relative'|'wall'} mode */
export function xValue(mode, step, wallTime, firstWallTime) {
  if (mode === 'relative') return wallTime - firstWallTime;
  if (mode === 'wall') return wallTime;
  return step;
}

export function axisTitle(mode) {
  return { step: 'step', relative: 'relative time', wall: 'wall time' }[mode] || mode;
}

/** Duration in seconds -> '45s', '12.5m', '3.2h', '2.1d'. */
export function formatDuration(seconds) {
  const abs = Math.abs(seconds);
  const fmt = (v) => String(Number(v.toFixed(v < 10 ? 2 : 1)));
  if (abs < 60) return `${fmt(seconds)}s`;
  if (abs < 3600) return `${fmt(seconds / 60)}m`;
  if (abs < 86400) return `${fmt(seconds / 3600)}h`;
  return `${fmt(seconds / 86400)}d`;
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

/** Wall time in seconds -> 'YYYY-MM-DD HH:MM:SS' in local time. */
export function formatWallTime(seconds) {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Tick label. `spanSeconds` (the visible range) decides whether a wall time needs its date;
 * `spacing` (between ticks) the decimals of a step. */
export function formatX(mode, value, spanSeconds = 0, spacing = 0) {
  if (mode === 'relative') return formatDuration(value);
  if (mode === 'wall') {
    const full = formatWallTime(value);
    return spanSeconds < 86400 ? full.slice(11) : full.slice(5, 16);
  }
  return formatStep(value, spacing);
}

/**
 * A step as a tick label: 15000 -> '15k', 2500000 -> '2.5M'; below 10,000 as it is. `spacing`, the
 * distance between neighbouring ticks, decides the decimals, so that zoomed-in ticks stay distinct
 * (12050 next to 12100 reads '12.05k', not '12.1k' twice).
 */
export function formatStep(step, spacing = 0) {
  const abs = Math.abs(step);
  for (const [unit, suffix, from] of [[1e9, 'G', 1e9], [1e6, 'M', 1e6], [1e3, 'k', 1e4]]) {
    if (abs < from) continue;
    const decimals = spacing > 0 ? Math.min(3, Math.max(0, Math.ceil(Math.log10(unit / spacing) - 1e-9))) : 2;
    return `${Number((step / unit).toFixed(decimals))}${suffix}`;
  }
  return String(Number(step.toFixed(4)));
}
