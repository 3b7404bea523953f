/* valuetable.js -- the rows of the value table a scalar card shows under its chart while the mouse is
 * over it, as TensorBoard's Time Series does: for every run its colour, smoothed value, value, step
 * and relative time at the point nearest the mouse (blank over a step axis, whose series carry no wall
 * times).
 *
 * The chart's tooltip hands over its points (dataset and index); the datasets carry, beside the drawn
 * points, the step, raw value, smoothed value and wall time of each (scalarcard.js). Pure: no DOM. */

import { formatValue } from './series.js';
import { formatDuration } from './xaxis.js';

/**
 * @param {{dataset: {label: string, borderColor: string, vizdSteps: number[], vizdValues: number[],
 *   vizdSmoothed: number[], vizdWallTimes: number[], vizdFirstWallTime: number}, dataIndex: number}[]} points
 * @returns {{run: string, color: string, smoothed: string, value: string, step: string, relative: string}[]}
 */
/** Blank when the card has no wall times (it fetches them only for a time axis). */
function relativeTime(seconds) {
  return Number.isFinite(seconds) ? formatDuration(seconds) : '';
}

export function valueRows(points) {
  return points.map(({ dataset: d, dataIndex: i }) => ({
    run: d.label,
    color: d.borderColor,
    smoothed: formatValue(d.vizdSmoothed[i]),
    value: formatValue(d.vizdValues[i]),
    step: d.vizdSteps[i].toLocaleString('en-US'),
    relative: relativeTime(d.vizdWallTimes[i] - d.vizdFirstWallTime),
  }));
}

export const VALUE_COLUMNS = [['smoothed', 'Smoothed'], ['value', 'Value'], ['step', 'Step'], ['relative', 'Relative']];
