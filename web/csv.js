/* csv.js -- CSV export of scalar series, the same columns as GET /api/v1/scalars?format=csv.
 *
 * Header run,step,wall_time,value; a field with a comma, quote or line break is quoted (RFC 4180);
 * non-finite values are written as the bare words NaN, Infinity, -Infinity. Pure: no DOM. */

function field(text) {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function number(value) {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

/** @param {{run: string, points: [number, number, number][]}[]} series  @returns {string} */
export function seriesToCsv(series) {
  const lines = ['run,step,wall_time,value'];
  for (const { run, points } of series) {
    const name = field(run);
    for (const [step, wallTime, value] of points) {
      lines.push(`${name},${number(step)},${number(wallTime)},${number(value)}`);
    }
  }
  return lines.join('\n') + '\n';
}
