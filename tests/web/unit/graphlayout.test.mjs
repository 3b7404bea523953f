/* graphlayout.test.mjs -- web/graphlayout.js with the real dagre: clusters hold their children, arrows
 * crossing cluster borders are one polyline from box to box, and repeated blocks are laid out once. */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import * as dagre from '../../../web/node_modules/@dagrejs/dagre/dist/dagre.esm.js';
import { BOX_HEIGHT, BOX_WIDTH, MIN_FIT_SCALE, OP_HEIGHT, OP_WIDTH, fitView, layoutGraph } from '../../../web/graphlayout.js';
import { allContainers, indexGraph, visibleGraph } from '../../../web/graphmodel.js';

const resnet = indexGraph(JSON.parse(fs.readFileSync(new URL('../../fixtures/torchinfo/resnet18.graph.json', import.meta.url))));
const inside = (inner, outer) => inner.x >= outer.x && inner.y >= outer.y
  && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

test('every box of an open container lies inside its cluster, and clusters inside their parents', () => {
  const visible = visibleGraph(resnet, new Set(allContainers(resnet)));
  const layout = layoutGraph(dagre, visible);
  for (const box of visible.boxes) if (box.cluster) assert.ok(inside(layout.boxes.get(box.id), layout.clusters.get(box.cluster)), box.id);
  for (const c of visible.clusters) if (c.cluster) assert.ok(inside(layout.clusters.get(c.id), layout.clusters.get(c.cluster)), c.id);
});

test('an arrow into a cluster runs from the source box to the target box', () => {
  const visible = visibleGraph(resnet, new Set(['5', '6']));
  const layout = layoutGraph(dagre, visible);
  const edge = layout.edges.find((e) => e.from === '4' && e.to === '7');
  const from = layout.boxes.get('4');
  const to = layout.boxes.get('7');
  const first = edge.points[0];
  const last = edge.points[edge.points.length - 1];
  assert.ok(Math.abs(first.y - (from.y + from.height)) < 1, 'starts at the bottom of maxpool');
  assert.ok(Math.abs(last.y - to.y) < 1, 'ends at the top of layer1.0.conv1');
  assert.ok(edge.label.y > from.y + from.height && edge.label.y < layout.clusters.get('5').y, 'label between maxpool and layer1');
});

test('boxes do not overlap', () => {
  const layout = layoutGraph(dagre, visibleGraph(resnet, new Set(allContainers(resnet))));
  const rects = [...layout.boxes.values()];
  for (let i = 0; i < rects.length; i += 1) {
    for (let j = i + 1; j < rects.length; j += 1) {
      const a = rects[i];
      const b = rects[j];
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `${i} and ${j} overlap`);
    }
  }
});

test('containers with the same inside are laid out once', () => {
  const layout = layoutGraph(dagre, visibleGraph(resnet, new Set(allContainers(resnet))));
  // 4 stages, 8 blocks of 2 kinds (with and without downsample), 3 downsample Sequentials, the top.
  assert.ok(layout.dagreCalls < 1 + 4 + 8 + 3, `${layout.dagreCalls} dagre calls`);
});

test('op nodes are smaller boxes of their own size, and arrows keep their tensor and count', () => {
  const model = indexGraph({
    inputs: [{ name: 'x', shape: [1, 4] }],
    nodes: [{ id: '0', module: '', type: 'Net', parent: null }, { id: '1', module: 'fc', type: 'Linear', parent: '0' },
      { id: 'op0', kind: 'op', op: 'add', parent: '0', output_shape: [1, 4] }],
    edges: [['input:x', '1', { shape: [1, 4] }], ['1', 'op0', { shape: [1, 4] }], ['input:x', 'op0', { shape: [1, 4] }]],
  });
  const layout = layoutGraph(dagre, visibleGraph(model, new Set()));
  assert.deepEqual([layout.boxes.get('op0').width, layout.boxes.get('op0').height], [OP_WIDTH, OP_HEIGHT]);
  assert.deepEqual([layout.boxes.get('1').width, layout.boxes.get('1').height], [BOX_WIDTH, BOX_HEIGHT]);
  assert.ok(OP_WIDTH < BOX_WIDTH && OP_HEIGHT < BOX_HEIGHT);
  const into = layout.edges.filter((e) => e.to === 'op0');
  assert.deepEqual(into.map((e) => [e.from, e.shape, e.count]).sort(), [['1', [1, 4], 1], ['input:x', [1, 4], 1]]);
});

test('Fit shows a graph whole when it fits readably, centred, at most 1:1', () => {
  assert.deepEqual(fitView(300, 400, 1000, 600), { k: 1, x: 350, y: 24 });
  const view = fitView(1100, 500, 1000, 600); // fits at 0.865, above the minimum
  assert.ok(Math.abs(view.k - 952 / 1100) < 1e-9 && view.x === 24, JSON.stringify(view));
});

test('Fit of a deep model fits its width at a readable scale from the top, the rest by panning', () => {
  // resnet18 expanded: narrow and very tall. Fitting its height would be 0.09; its width fits at 1:1.
  assert.deepEqual(fitView(284, 6700, 1046, 638), { k: 1, x: (1046 - 284) / 2, y: 24 });
  // Wide and tall: the width at 0.9 (above the minimum) ...
  const wide = fitView(1109, 5000, 1046, 638);
  assert.ok(Math.abs(wide.k - 998 / 1109) < 1e-9 && wide.x === 24, JSON.stringify(wide));
  // ... but never under the minimum: a very wide graph is panned sideways too.
  assert.deepEqual(fitView(4000, 5000, 1046, 638), { k: MIN_FIT_SCALE, x: 24, y: 24 });
  assert.ok(MIN_FIT_SCALE * 10 >= 8.5); // the smallest text, 10 px, stays 8.5 px or more
});
