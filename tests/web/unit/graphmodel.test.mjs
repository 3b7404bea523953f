/* graphmodel.test.mjs -- web/graphmodel.js: which boxes and arrows a model graph shows for a set of
 * expanded containers (rerouting into collapsed containers, passing through open ones, no duplicate
 * arrows, no self-loops), parameter counts as boxes print them, and the module search. */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import {
  allContainers, displayName, edgeLabel, fitText, formatCompact, formatCount, formatShape, indexGraph, representative, searchModules,
  visibleGraph,
} from '../../../web/graphmodel.js';

const fixture = (name) => JSON.parse(fs.readFileSync(new URL(`../../fixtures/torchinfo/${name}.graph.json`, import.meta.url)));
const resnet = indexGraph(fixture('resnet18'));
const moduleOf = (model, id) => (model.inputs.has(id) ? id : model.nodes.get(id).module);
const arrows = (model, visible) => visible.edges.map((e) => `${moduleOf(model, e.from)}>${moduleOf(model, e.to)}`);

test('collapsed, the model shows its top-level modules in a chain from the input', () => {
  const visible = visibleGraph(resnet, new Set());
  assert.deepEqual(visible.boxes.map((b) => moduleOf(resnet, b.id)),
    ['input:x', 'conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'fc']);
  assert.deepEqual(arrows(resnet, visible), ['input:x>conv1', 'conv1>bn1', 'bn1>relu', 'relu>maxpool', 'maxpool>layer1',
    'layer1>layer2', 'layer2>layer3', 'layer3>layer4', 'layer4>avgpool', 'avgpool>fc']);
  assert.deepEqual(visible.clusters, []);
});

test('an edge leaving a collapsed container starts at the container and carries its inner source', () => {
  const edge = visibleGraph(resnet, new Set()).edges.find((e) => moduleOf(resnet, e.from) === 'layer1');
  assert.equal(resnet.nodes.get(edge.source).module, 'layer1.1.relu');
});

test('expanding a container shows its children in a cluster and passes arrows through it', () => {
  const visible = visibleGraph(resnet, new Set(['5']));
  assert.deepEqual(visible.clusters, [{ id: '5', cluster: null }]);
  const inside = visible.boxes.filter((b) => b.cluster === '5').map((b) => moduleOf(resnet, b.id));
  assert.deepEqual(inside, ['layer1.0', 'layer1.1']);
  const shown = arrows(resnet, visible);
  assert.ok(shown.includes('maxpool>layer1.0'), shown.join(' '));
  assert.ok(shown.includes('layer1.0>layer1.1'));
  assert.ok(shown.includes('layer1.1>layer2'));
  assert.ok(!shown.some((a) => a.includes('>layer1') && a.endsWith('>layer1')), 'no arrow ends at the open container');
});

test('open containers nested in open containers are passed through to the first leaf', () => {
  const visible = visibleGraph(resnet, new Set(['5', '6']));
  assert.ok(arrows(resnet, visible).includes('maxpool>layer1.0.conv1'));
  const everything = visibleGraph(resnet, new Set(allContainers(resnet)));
  assert.equal(everything.boxes.length, 1 + resnet.graph.nodes.filter((n) => !resnet.isContainer(String(n.id))).length);
});

test('arrows into a collapsed container from several inner nodes are merged, and inner ones dropped', () => {
  const model = indexGraph({
    nodes: [{ id: '0', module: '', type: 'Net', parent: null }, { id: '1', module: 'a', type: 'Seq', parent: '0' },
      { id: '2', module: 'a.x', type: 'L', parent: '1' }, { id: '3', module: 'a.y', type: 'L', parent: '1' },
      { id: '4', module: 'b', type: 'L', parent: '0' }],
    edges: [['2', '3'], ['2', '4'], ['3', '4'], ['3', '4'], ['4', '4']],
  });
  const visible = visibleGraph(model, new Set());
  assert.deepEqual(visible.edges.map((e) => [e.from, e.to]), [['1', '4']]);
  assert.equal(representative(model, new Set(), '3'), '1');
  assert.equal(representative(model, new Set(['1']), '3'), '3');
});

test('a module called twice counts its parameters once', () => {
  const model = indexGraph(fixture('called_twice'));
  assert.equal(model.subtreeParams(model.root), 3844);
  assert.equal(resnet.subtreeParams(resnet.root), 11689512);
});

test('parameter counts print exactly when short and compactly when long', () => {
  assert.equal(formatCount(9408), '9,408');
  assert.equal(formatCompact(9408), '9,408');
  assert.equal(formatCompact(36864), '36,864');
  assert.equal(formatCompact(1180160), '1.2M');
  assert.equal(formatCompact(11689512), '11.7M');
  assert.equal(formatCompact(147968), '148K');
  assert.equal(formatCompact(1.1e9), '1.1B');
});

test('shapes print with × and tuples in parentheses', () => {
  assert.equal(formatShape([1, 64, 56, 56]), '1×64×56×56');
  assert.equal(formatShape([[4, 12, 32], [2, 4, 32]]), '(4×12×32, 2×4×32)');
  assert.equal(formatShape(null), '');
  assert.equal(fitText('layer4.1.downsample.0', 10), 'layer4.1.…');
});

test('search ranks an exact module name first, then prefixes, then names or types containing the text', () => {
  const ids = searchModules(resnet, 'layer1');
  assert.equal(resnet.nodes.get(ids[0]).module, 'layer1');
  assert.ok(ids.slice(1).every((id) => resnet.nodes.get(id).module.startsWith('layer1')));
  assert.deepEqual(searchModules(resnet, 'FC').map((id) => resnet.nodes.get(id).module), ['fc']);
  assert.equal(searchModules(resnet, 'batchnorm').length, 20);
  assert.deepEqual(searchModules(resnet, '  '), []);
});

// A block with an op: x -> a -> b, add(b, x) -> output; the block is container '1'.
const flowGraph = () => indexGraph({
  inputs: [{ name: 'x', shape: [1, 4] }],
  outputs: [{ name: 'y', shape: [1, 4] }],
  nodes: [{ id: '0', module: '', type: 'Net', parent: null }, { id: '1', module: 'blk', type: 'Block', parent: '0' },
    { id: '2', module: 'blk.a', type: 'Linear', parent: '1', output_shape: [1, 8] },
    { id: '3', module: 'blk.b', type: 'Linear', parent: '1', output_shape: [1, 4] },
    { id: 'op0', kind: 'op', op: 'add', parent: '1', output_shape: [1, 4] },
    { id: 'op1', kind: 'op', op: 'relu', parent: '0', output_shape: [1, 4] }],
  edges: [['input:x', '2', { shape: [1, 4], dtype: 'float32' }], ['2', '3', { shape: [1, 8] }],
    ['3', 'op0', { shape: [1, 4] }], ['input:x', 'op0', { shape: [1, 4] }], ['op0', 'op1'], ['op1', 'output:y']],
});

test('op nodes are boxes of kind op, outputs boxes of kind output, each arrow labelled by its own tensor', () => {
  const model = flowGraph();
  const visible = visibleGraph(model, new Set(['1']));
  assert.deepEqual(visible.boxes.map((b) => [b.id, b.kind]),
    [['input:x', 'input'], ['2', 'leaf'], ['3', 'leaf'], ['op0', 'op'], ['op1', 'op'], ['output:y', 'output']]);
  const byEnds = Object.fromEntries(visible.edges.map((e) => [`${e.from}>${e.to}`, edgeLabel(e)]));
  assert.deepEqual(byEnds, { 'input:x>2': '1×4', 'input:x>op0': '1×4', '2>3': '1×8', '3>op0': '1×4', 'op0>op1': '1×4', 'op1>output:y': '1×4' }); // no shape on the edge: the maker's output shape
  assert.equal(displayName(model.nodes.get('op0')), 'add');
  assert.deepEqual(searchModules(model, 'add'), ['op0']);
});

test('a collapsed container merges the arrows crossing its border, counting the tensors; expanding restores them', () => {
  const model = flowGraph();
  const collapsed = visibleGraph(model, new Set());
  // x flows to a and to the add inside: one tensor, one arrow into the block.
  assert.deepEqual(collapsed.edges.map((e) => [e.from, e.to, e.count, edgeLabel(e)]),
    [['input:x', '1', 1, '1×4'], ['1', 'op1', 1, '1×4'], ['op1', 'output:y', 1, '1×4']]);
  const twoOut = indexGraph({ ...model.graph, edges: [...model.graph.edges, ['2', 'op1', { shape: [1, 8] }]] });
  const merged = visibleGraph(twoOut, new Set()).edges.find((e) => e.from === '1' && e.to === 'op1');
  assert.equal(merged.count, 2);
  assert.equal(edgeLabel(merged), '2 tensors');
  assert.equal(visibleGraph(twoOut, new Set(['1'])).edges.filter((e) => e.to === 'op1').length, 2);
});

test('an imported GraphDef draws its tensors, not the trace values without a shape (constants, lists)', () => {
  const model = indexGraph({
    source: 'graph_def',
    inputs: [{ name: 'x', shape: [1, 4] }],
    nodes: [{ id: 'scope:Net', module: '', type: 'Net', parent: null },
      { id: 'scope:Net/Linear[a]', module: 'a', type: 'Linear', parent: 'scope:Net' },
      { id: 'Net/Linear[a]/1', kind: 'op', op: 'Constant', parent: 'scope:Net/Linear[a]' },
      { id: 'Net/Linear[a]/2', kind: 'op', op: 'linear', parent: 'scope:Net/Linear[a]', output_shape: [1, 4] },
      { id: 'Net/3', kind: 'op', op: 'relu', parent: 'scope:Net', output_shape: [1, 4] }],
    edges: [['input:x', 'Net/Linear[a]/2'], ['Net/Linear[a]/1', 'Net/Linear[a]/2'], ['Net/Linear[a]/1', 'Net/3'],
      ['Net/Linear[a]/2', 'Net/3']],
  });
  assert.equal(model.nodes.has('Net/Linear[a]/1'), false);
  const visible = visibleGraph(model, new Set());
  assert.deepEqual(visible.edges.map((e) => [e.from, e.to, e.count]),
    [['input:x', 'scope:Net/Linear[a]', 1], ['scope:Net/Linear[a]', 'Net/3', 1]]);
});
