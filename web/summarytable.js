/* summarytable.js -- the figures of torchinfo's summary footer, as the Graph tab's stat boxes show
 * them above the table. Pure: no DOM.
 *
 * The daemon's JSON summary gives raw totals; torchinfo 1.8.0 prints them as counts with thousands
 * separators, mult-adds in M, G or T (whichever keeps the number below 1,000: it never goes below M)
 * and sizes in MB of 10^6 bytes, two decimals. The boxes say the same as the table under them. */

import { formatCount } from './graphmodel.js';

/** torchinfo's to_readable for mult-adds: [unit, "0.00"]. */
export function readableMultAdds(total) {
  const n = Number(total) || 0;
  if (n >= 1e12) return ['T', (n / 1e12).toFixed(2)];
  if (n >= 1e9) return ['G', (n / 1e9).toFixed(2)];
  return ['M', (n / 1e6).toFixed(2)];
}

function megabytes(bytes) {
  return ((Number(bytes) || 0) / 1e6).toFixed(2);
}

/**
 * @param {object} totals  summary.totals from GET /api/v1/graph
 * @returns {{label: string, value: string}[]} in the footer's order
 */
export function footerStats(totals) {
  const t = totals || {};
  const [unit, multAdds] = readableMultAdds(t.total_mult_adds);
  return [
    { label: 'Total params', value: formatCount(t.total_params ?? 0) },
    { label: 'Trainable params', value: formatCount(t.trainable_params ?? 0) },
    { label: 'Non-trainable params', value: formatCount(t.non_trainable_params ?? 0) },
    { label: `Total mult-adds (${unit})`, value: multAdds },
    { label: 'Input size (MB)', value: megabytes(t.input_bytes) },
    { label: 'Forward/backward pass size (MB)', value: megabytes(t.forward_backward_pass_bytes) },
    { label: 'Params size (MB)', value: megabytes(t.params_bytes) },
    { label: 'Estimated Total Size (MB)', value: megabytes(t.estimated_total_bytes) },
  ];
}

/** Depths the table can be cut at: 1 .. the model's deepest row (at least 1). */
export function depthChoices(rows) {
  const deepest = Math.max(1, ...(rows || []).map((row) => Number(row.depth) || 0));
  return Array.from({ length: deepest }, (_, i) => i + 1);
}
