/* valuetable.js -- the rows of the value table a scalar card shows under its chart while the mouse is
 * over it, as TensorBoard's Time Series does: for every run its colour, smoothed value, value, step
 * and relative time at the point nearest the mouse.
 *
 * The chart's tooltip hands over its points (dataset and index); the datasets carry, beside the drawn
 * points, the step, raw value, smoothed value and wall time of each (scalarcard.js). Over a step axis
 * the series carry no wall times (null, or NaN each): the relative time then comes from `relativeOf`, which knows it
 * once the card has fetched the hovered points' wall times (hovertimes.js), and is blank until then.
 * Pure: no DOM. */

import { formatValue } from './series.js';
import { formatDuration } from './xaxis.js';

/** Blank when the wall times are not known (yet). */
function relativeTime(seconds) {
  return Number.isFinite(seconds) ? formatDuration(seconds) : '';
}

/**
 * @param {{dataset: {label: string, borderColor: string, vizdSteps: number[], vizdValues: number[],
 *   vizdSmoothed: number[], vizdWallTimes: number[]|null, vizdFirstWallTime: number}, dataIndex: number}[]} points
 * @param {(run: string, step: number) => number} relativeOf seconds from the run's first point to its
 *   point at `step` (NaN when not known), for series without wall times
 * @returns {{run: string, color: string, smoothed: string, value: string, step: string, relative: string}[]}
 */
export function valueRows(points, relativeOf = () => NaN) {
  return points.map(({ dataset: d, dataIndex: i }) => {
    const own = (d.vizdWallTimes ? d.vizdWallTimes[i] : NaN) - d.vizdFirstWallTime;
    return {
      run: d.label,
      color: d.borderColor,
      smoothed: formatValue(d.vizdSmoothed[i]),
      value: formatValue(d.vizdValues[i]),
      step: d.vizdSteps[i].toLocaleString('en-US'),
      relative: relativeTime(Number.isFinite(own) ? own : relativeOf(d.label, d.vizdSteps[i])),
    };
  });
}

export const VALUE_COLUMNS = [['smoothed', 'Smoothed'], ['value', 'Value'], ['step', 'Step'], ['relative', 'Relative']];
