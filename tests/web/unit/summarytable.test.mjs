/* summarytable.test.mjs -- web/summarytable.js: the stat boxes read exactly like torchinfo's footer. */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { depthChoices, footerStats, readableMultAdds } from '../../../web/summarytable.js';

// The totals GET /api/v1/graph answers for tests/fixtures/torchinfo/resnet18.graph.json.
test('the resnet18 figures match the footer lines of the reference table', () => {
  const totals = { total_params: 11689512, trainable_params: 11689512, non_trainable_params: 0, total_mult_adds: 1814083944,
    input_bytes: 602168, forward_backward_pass_bytes: 39747392, params_bytes: 46758048, estimated_total_bytes: 87107608 };
  const text = fs.readFileSync(new URL('../../fixtures/torchinfo/resnet18.expected.txt', import.meta.url), 'utf8');
  for (const { label, value } of footerStats(totals)) assert.ok(text.includes(`${label}: ${value}\n`), `${label}: ${value}`);
});

test('mult-adds use M below a billion, then G and T', () => {
  assert.deepEqual(readableMultAdds(14024), ['M', '0.01']);
  assert.deepEqual(readableMultAdds(1.81e9), ['G', '1.81']);
  assert.deepEqual(readableMultAdds(2e12), ['T', '2.00']);
});

test('the depth selector offers 1 to the deepest row', () => {
  assert.deepEqual(depthChoices([{ depth: 0 }, { depth: 1 }, { depth: 4 }]), [1, 2, 3, 4]);
  assert.deepEqual(depthChoices([]), [1]);
});
