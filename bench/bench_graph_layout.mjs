/* bench_graph_layout.mjs -- how long the Graph tab takes to lay out and draw big models with every
 * container expanded, in headless Chromium (a benchmark, not a test; the target is under 2 s each):
 * a made-up 1,500-module model (below), and two graphs exported by the Python client's add_graph from
 * real torch models (tests/web/browser/model_graphs.py): resnet18 with its op nodes, and a transformer
 * of 300 modules and about 2,000 ops.
 *
 * The model is a deep ResNet-like chain: stages of residual blocks (conv, bn, relu, conv, bn, relu plus
 * a skip edge from the block's input), a downsample Sequential in each stage's first block and a
 * squeeze-excitation container in every third block, so the containers are not all alike. It is
 * POSTed to a vizd on a fresh database; the figure is measured inside the page around the tab's
 * layout+render function (window.__vizd.graph().renderMs), after clicking "Expand all".
 *
 *   make build/vizd && node bench/bench_graph_layout.mjs [LEAVES]     (VIZD_BIN overrides build/vizd) */

import { execFileSync } from 'node:child_process';
import { openBrowser, startVizd, waitIdle } from '../tests/web/browser/harness.mjs';

const target = Number(process.argv[2] || 1500);
process.env.VIZD_BIN ||= 'build/vizd';

function makeModel(leafCount) {
  const nodes = [{ id: '0', module: '', type: 'DeepResNet', parent: null, output_shape: [1, 1000] }];
  const edges = [];
  let leaves = 0;
  let last = 'input:x';
  const add = (module, type, parent, extra = {}) => {
    const id = String(nodes.length);
    nodes.push({ id, module, type, parent, ...extra });
    return id;
  };
  const leaf = (module, type, parent, shape, params = 0) => {
    const id = add(module, type, parent, { output_shape: shape, params, trainable_params: params });
    edges.push([last, id]);
    last = id;
    leaves += 1;
    return id;
  };
  const container = (module, type, parent) => {
    const id = add(module, type, parent);
    edges.push([last, id]);
    last = id;
    return id;
  };
  leaf('stem', 'Conv2d', '0', [1, 64, 112, 112], 9408);
  for (let stage = 1; leaves < leafCount - 2; stage += 1) {
    const width = 64 * 2 ** Math.min(stage - 1, 3);
    const shape = [1, width, 56 >> Math.min(stage - 1, 3), 56 >> Math.min(stage - 1, 3)];
    const stageId = container(`stage${stage}`, 'Sequential', '0');
    for (let b = 0; b < 60 && leaves < leafCount - 2; b += 1) {
      const name = `stage${stage}.${b}`;
      const blockId = container(name, 'Bottleneck', stageId);
      const blockInput = last;
      leaf(`${name}.conv1`, 'Conv2d', blockId, shape, width * width * 9);
      leaf(`${name}.bn1`, 'BatchNorm2d', blockId, shape, 2 * width);
      leaf(`${name}.relu`, 'ReLU', blockId, shape);
      leaf(`${name}.conv2`, 'Conv2d', blockId, shape, width * width * 9);
      leaf(`${name}.bn2`, 'BatchNorm2d', blockId, shape, 2 * width);
      if (b % 3 === 2) {
        const se = container(`${name}.se`, 'SqueezeExcite', blockId);
        leaf(`${name}.se.pool`, 'AdaptiveAvgPool2d', se, [1, width, 1, 1]);
        leaf(`${name}.se.fc1`, 'Linear', se, [1, width / 16], width * width / 16);
        leaf(`${name}.se.fc2`, 'Linear', se, [1, width], width * width / 16);
        leaf(`${name}.se.gate`, 'Sigmoid', se, [1, width, 1, 1]);
      }
      let skipFrom = blockInput;
      if (b === 0) {
        const ds = add(`${name}.downsample`, 'Sequential', blockId);
        const dsConv = add(`${name}.downsample.0`, 'Conv2d', ds, { output_shape: shape, params: width * width });
        const dsBn = add(`${name}.downsample.1`, 'BatchNorm2d', ds, { output_shape: shape, params: 2 * width });
        edges.push([blockInput, ds], [ds, dsConv], [dsConv, dsBn]);
        leaves += 2;
        skipFrom = dsBn;
      }
      const out = leaf(`${name}.relu_out`, 'ReLU', blockId, shape);
      edges.push([skipFrom, out]);
    }
  }
  leaf('avgpool', 'AdaptiveAvgPool2d', '0', [1, 2048, 1, 1]);
  leaf('fc', 'Linear', '0', [1, 1000], 2049000);
  return { model: 'DeepResNet', inputs: [{ name: 'x', shape: [1, 3, 224, 224], dtype: 'float32' }], nodes, edges, repr: 'DeepResNet(...)', leaves };
}

const graph = makeModel(target);
const exported = JSON.parse(execFileSync('python3', ['tests/web/browser/model_graphs.py', 'resnet18', 'transformer'],
  { encoding: 'utf8', maxBuffer: 256 << 20 }));
const vizd = await startVizd();
const { browser, page, errors } = await openBrowser();

async function drawExpanded(run, minimumBoxes) {
  await page.selectOption('.graph-run', run);
  await page.waitForFunction((name) => window.__vizd.graph().run === name, run);
  await waitIdle(page);
  const collapsed = await page.evaluate(() => window.__vizd.graph());
  await page.click('.graph-expand-all');
  await page.waitForFunction((n) => window.__vizd.graph().boxes >= n, minimumBoxes);
  const expanded = await page.evaluate(() => window.__vizd.graph());
  const elements = await page.evaluate(() => document.querySelectorAll('.graph-svg *').length);
  console.log(`  collapsed: ${collapsed.boxes} boxes, layout+draw ${collapsed.renderMs.toFixed(1)} ms`);
  console.log(`  expanded:  ${expanded.boxes} boxes, ${elements} SVG elements, ${expanded.dagreCalls} dagre calls, `
    + `layout+draw ${expanded.renderMs.toFixed(1)} ms (target < 2000 ms)`);
}

try {
  await vizd.write({ run: 'deep', graph: { ...graph, leaves: undefined } });
  for (const [name, g] of Object.entries(exported)) await vizd.write({ run: name, graph: g });
  await page.goto(`${vizd.url}/#graph`);
  await page.waitForSelector('.graph-node');
  await waitIdle(page);
  console.log(`deep: ${graph.nodes.length} rows, ${graph.leaves} leaf modules, ${graph.edges.length} edges`);
  await drawExpanded('deep', graph.leaves);
  for (const [name, g] of Object.entries(exported)) {
    const ops = g.nodes.filter((n) => n.kind === 'op').length;
    console.log(`${name}: ${g.nodes.length - ops} module rows, ${ops} ops, ${g.edges.length} edges`);
    await drawExpanded(name, ops);
  }
  if (errors.length) console.log('page errors:', errors);
} finally {
  await browser.close();
  await vizd.stop();
}
