/* graphmodel.js -- what the Graph tab shows of a model graph, before any layout: which modules and ops
 * are boxes, which are open clusters, and which arrows join the boxes. Pure: no DOM, no layout library.
 *
 * A graph (docs/API.md and docs/ARCHITECTURE.md, "Model graphs") lists one node per module call with
 * its parent, op nodes ("kind": "op": x + identity, torch.flatten) parented to the call they ran in,
 * and edges between node ids, "input:NAME" and "output:NAME", each optionally with the shape of the tensor it carries.
 * Containers (nodes with children) start collapsed: a collapsed container is one box standing for all
 * its descendants, so an edge touching a descendant is moved to the container. Edges that then join the
 * same two boxes are one arrow, carrying a count of the distinct tensors (sources) that flow on it, as
 * TensorBoard aggregates the edges crossing a collapsed scope; expanding gives them back. An expanded
 * container is drawn as a cluster around its children and is not a box itself: graphs of module rows
 * only have edges into containers (maxpool -> layer1 -> layer1.0 -> conv1), so an open container is
 * contracted away, joining what flows into it to what it passes on. Self-loops (a collapsed container's
 * inner edges) are dropped. The root node (the model) is always open.
 *
 * A graph imported from an event file's GraphDef ("source": "graph_def") also holds the trace's values
 * that are not tensors (prim::Constant, ListConstruct, GetAttr: op nodes without an output shape). They
 * are not drawn, nor their edges, as TensorBoard keeps them out of the main graph: torch shares one
 * constant between many modules, which would draw arrows between modules where no tensor flows. */

export const INPUT_PREFIX = 'input:';
export const OUTPUT_PREFIX = 'output:';

/**
 * Indexes a posted graph: nodes by id, children in call order, the root, and each node's subtree
 * parameter count (a module called twice counts once, as in torchinfo's totals).
 * @param {{nodes: object[], edges: string[][], inputs?: object[]}} graph
 */
export function indexGraph(graph) {
  const nodes = new Map();
  const children = new Map();
  const isTraceValue = (node) => graph.source === 'graph_def' && node.kind === 'op' && node.output_shape === undefined;
  const drawn = (graph.nodes || []).filter((node) => !isTraceValue(node));
  for (const node of drawn) {
    nodes.set(String(node.id), node);
    children.set(String(node.id), []);
  }
  const roots = [];
  for (const node of drawn) {
    const parent = node.parent === null || node.parent === undefined ? null : String(node.parent);
    if (parent !== null && nodes.has(parent)) children.get(parent).push(String(node.id));
    else roots.push(String(node.id));
  }
  // The model itself is the single parentless row; a graph with several gets no root box at all.
  const root = roots.length === 1 ? roots[0] : null;
  const topLevel = root === null ? roots : children.get(root);
  const inputs = new Map((graph.inputs || []).map((input) => [INPUT_PREFIX + input.name, input]));
  const outputs = new Map((graph.outputs || []).map((output) => [OUTPUT_PREFIX + output.name, output]));
  const parentOf = (id) => {
    const parent = nodes.get(id)?.parent;
    return parent === null || parent === undefined || !nodes.has(String(parent)) ? null : String(parent);
  };

  const seenModules = new Set();
  const ownCounted = new Map();
  for (const node of drawn) {
    if (node.kind === 'op') {
      ownCounted.set(String(node.id), 0);
      continue;
    }
    const first = !seenModules.has(node.module);
    seenModules.add(node.module);
    ownCounted.set(String(node.id), first && Number.isFinite(node.params) ? node.params : 0);
  }
  const subtreeParams = new Map();
  const total = (id) => {
    if (subtreeParams.has(id)) return subtreeParams.get(id);
    let sum = ownCounted.get(id);
    for (const child of children.get(id)) sum += total(child);
    subtreeParams.set(id, sum);
    return sum;
  };
  // Deepest first, so the recursion above stays shallow even for very deep nesting.
  for (const id of [...nodes.keys()].reverse()) total(id);

  return {
    graph, nodes, children, root, topLevel, inputs, outputs, parentOf,
    isContainer: (id) => (children.get(id)?.length || 0) > 0,
    isOp: (id) => nodes.get(id)?.kind === 'op',
    subtreeParams: (id) => subtreeParams.get(id) || 0,
  };
}

/** Ancestors of a node from the outermost (below the root) to its parent. */
export function ancestorsOf(model, id) {
  const chain = [];
  for (let parent = model.parentOf(id); parent !== null && parent !== model.root; parent = model.parentOf(parent)) {
    chain.push(parent);
  }
  return chain.reverse();
}

/** Every container id except the root: "expand all". */
export function allContainers(model) {
  return [...model.nodes.keys()].filter((id) => id !== model.root && model.isContainer(id));
}

/**
 * The box standing for a node: itself, or its outermost collapsed ancestor. Inputs stand for
 * themselves; an unknown id stands for nothing (null).
 */
export function representative(model, expanded, id) {
  if (model.inputs.has(id) || model.outputs.has(id)) return id;
  if (!model.nodes.has(id)) return null;
  for (const ancestor of ancestorsOf(model, id)) if (!expanded.has(ancestor)) return ancestor;
  return id;
}

function isOpen(model, expanded, id) {
  return id === model.root || (model.isContainer(id) && expanded.has(id));
}

/** What flows out of a node: its output shape (an input's shape), or null. */
export function outputShapeOf(model, id) {
  if (model.inputs.has(id)) return model.inputs.get(id).shape ?? null;
  if (model.outputs.has(id)) return model.outputs.get(id).shape ?? null;
  return model.nodes.get(id)?.output_shape ?? null;
}

/**
 * The visible graph for a set of expanded container ids.
 * @returns {{boxes: {id, kind: 'input'|'output'|'leaf'|'op'|'collapsed', cluster: string|null}[],
 *            clusters: {id, cluster: string|null}[],
 *            edges: {from: string, to: string, source: string, shape: array|null, count: number}[]}}
 *   `cluster` is the open container a box or cluster sits in (null: the top level). An edge's `source`
 *   is the node whose output it carries, `shape` the tensor's shape (the edge's own, else the source's
 *   output shape) and `count` the number of distinct sources merged into it (1: one tensor).
 */
export function visibleGraph(model, expanded) {
  const boxes = [];
  const clusters = [];
  const clusterOf = (id) => {
    const parent = model.parentOf(id);
    return parent === null || parent === model.root ? null : parent;
  };
  for (const [id, input] of model.inputs) if (input) boxes.push({ id, kind: 'input', cluster: null });
  const visit = (id) => {
    if (model.isContainer(id) && expanded.has(id)) {
      clusters.push({ id, cluster: clusterOf(id) });
      for (const child of model.children.get(id)) visit(child);
    } else {
      const kind = model.isContainer(id) ? 'collapsed' : model.isOp(id) ? 'op' : 'leaf';
      boxes.push({ id, kind, cluster: clusterOf(id) });
    }
  };
  for (const id of model.topLevel) visit(id);
  for (const [id, output] of model.outputs) if (output) boxes.push({ id, kind: 'output', cluster: null });

  // Edges between representatives; open containers are passed through below.
  const out = new Map();
  for (const edge of model.graph.edges || []) {
    if (!Array.isArray(edge) || edge.length < 2) continue;
    const from = representative(model, expanded, String(edge[0]));
    const to = representative(model, expanded, String(edge[1]));
    if (from === null || to === null || from === to) continue;
    if (!out.has(from)) out.set(from, []);
    const shape = edge[2] && typeof edge[2] === 'object' && Array.isArray(edge[2].shape) ? edge[2].shape : null;
    out.get(from).push({ to, source: String(edge[0]), shape });
  }

  const edges = [];
  const byEnds = new Map();
  for (const box of boxes) {
    // Walk from each box through open containers until boxes are reached.
    const stack = (out.get(box.id) || []).slice().reverse();
    const passed = new Set();
    while (stack.length) {
      const hop = stack.pop();
      if (isOpen(model, expanded, hop.to)) {
        if (passed.has(hop.to)) continue;
        passed.add(hop.to);
        for (const next of (out.get(hop.to) || []).slice().reverse()) stack.push({ ...next, source: hop.source, shape: hop.shape });
        continue;
      }
      if (hop.to === box.id) continue;
      const key = `${box.id}\u0000${hop.to}`;
      let edge = byEnds.get(key);
      if (!edge) {
        edge = { from: box.id, to: hop.to, source: hop.source, shape: hop.shape ?? outputShapeOf(model, hop.source), count: 0, sources: new Set() };
        byEnds.set(key, edge);
        edges.push(edge);
      }
      if (!edge.sources.has(hop.source)) {
        edge.sources.add(hop.source);
        edge.count += 1;
      }
    }
  }
  for (const edge of edges) delete edge.sources;
  return { boxes, clusters, edges };
}

/** What an arrow's label says: the tensor's shape, or "N tensors" for an arrow standing for several. */
export function edgeLabel(edge) {
  return edge.count > 1 ? `${edge.count} tensors` : formatShape(edge.shape);
}

/** 9408 -> "9,408". */
export function formatCount(n) {
  if (!Number.isFinite(n)) return '--';
  return Math.round(n).toLocaleString('en-US');
}

/** A parameter count short enough for a box: "9,408", "36,864", "1.2M", "11.7M", "1.1B". */
export function formatCompact(n) {
  if (!Number.isFinite(n)) return '--';
  const abs = Math.abs(n);
  if (abs < 100000) return formatCount(n);
  for (const [unit, size] of [['B', 1e9], ['M', 1e6], ['K', 1e3]]) {
    if (abs >= size) {
      const value = n / size;
      const digits = Math.abs(value) >= 100 ? 0 : 1;
      return `${Number(value.toFixed(digits))}${unit}`;
    }
  }
  return formatCount(n);
}

/** [1, 64, 56, 56] -> "1×64×56×56"; nested lists (tuple outputs) -> "(4×12×32, 2×4×32)". */
export function formatShape(shape) {
  if (shape === null || shape === undefined) return '';
  if (!Array.isArray(shape)) return String(shape);
  if (shape.length === 0) return 'scalar';
  if (shape.some(Array.isArray)) return `(${shape.map(formatShape).join(', ')})`;
  return shape.join('×');
}

/** The name a box shows: the module's dotted name, or the model's type for an unnamed root. */
export function displayName(node) {
  if (node.kind === 'op') return String(node.op ?? '');
  return node.module === '' || node.module === undefined ? node.type || '' : String(node.module);
}

/**
 * Modules matching a search text, best first: an exact module name, then names starting with it, then
 * names or types containing it (case-insensitive), each group in call order. Empty text matches none.
 * @returns {string[]} node ids
 */
export function searchModules(model, text) {
  const needle = String(text || '').trim().toLowerCase();
  if (!needle) return [];
  const ranked = [[], [], []];
  for (const [id, node] of model.nodes) {
    const name = String(node.module || '').toLowerCase();
    const type = String(node.kind === 'op' ? node.op || '' : node.type || '').toLowerCase();
    if (name === needle) ranked[0].push(id);
    else if (name.startsWith(needle)) ranked[1].push(id);
    else if (name.includes(needle) || type.includes(needle)) ranked[2].push(id);
  }
  return ranked.flat();
}

/** Cuts text to at most `maxChars` characters, ending in an ellipsis when cut. */
export function fitText(text, maxChars) {
  const s = String(text ?? '');
  if (s.length <= maxChars) return s;
  return maxChars <= 1 ? '…' : `${s.slice(0, maxChars - 1)}…`;
}
