/* graphlayout.js -- places the visible model graph (graphmodel.js) with dagre, one cluster at a time.
 * No DOM: dagre is passed in (the page's UMD global, or the npm module in unit tests).
 *
 * Why not one dagre call on the whole compound graph: on a 1,500-node model dagre takes 5-13 s for
 * that here, far over the 2 s budget. Laying out each open container's children on their own, inner
 * containers first, keeps every call small (a block, a stage), and models repeat themselves: a ResNet
 * has many BasicBlocks that differ only in names. Boxes have one fixed size, so two containers with
 * the same inner structure get the same layout, and it is computed once (`cache`, keyed by the
 * structure; it can be kept across calls so expanding one container re-lays out only its ancestors).
 * Op nodes (x + identity, torch.flatten) are smaller boxes of their own fixed size (OP_WIDTH x OP_HEIGHT),
 * so the same holds with them.
 *
 * An arrow from a box inside one cluster to a box inside another is split where it crosses cluster
 * borders, as TensorBoard's graph does: inside a cluster it runs to (or from) an anchor at the
 * cluster's bottom (top); at the innermost cluster containing both ends it is an ordinary dagre edge
 * between the two children that hold the ends. The pieces are joined into one polyline. */

export const BOX_WIDTH = 200;
export const BOX_HEIGHT = 54;
export const OP_WIDTH = 112;
export const OP_HEIGHT = 30;
export const CLUSTER_PAD = { top: 30, right: 14, bottom: 14, left: 14 };
const NODE_SEP = 24;
const RANK_SEP = 30;
const ANCHOR_IN = '\u0000in';
const ANCHOR_OUT = '\u0000out';

/** A cache of group layouts that outlives one layout call. */
export function createLayoutCache() {
  return new Map();
}

function runDagre(dagre, items, edges) {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: NODE_SEP, ranksep: RANK_SEP, edgesep: 12, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  items.forEach((item, index) => g.setNode(String(index), { width: item.width, height: item.height }));
  for (const [from, to] of edges) g.setEdge(String(from), String(to), {});
  dagre.layout(g);
  const label = g.graph();
  return {
    width: label.width || 0,
    height: label.height || 0,
    centers: items.map((_, index) => {
      const node = g.node(String(index));
      return { x: node.x, y: node.y };
    }),
    points: edges.map(([from, to]) => (g.edge(String(from), String(to)).points || []).map((p) => ({ x: p.x, y: p.y }))),
  };
}

/**
 * @param {object} dagre  the dagre library
 * @param {{boxes, clusters, edges}} visible  from visibleGraph()
 * @param {Map} [cache]  from createLayoutCache()
 * @returns {{width, height, boxes: Map<id, {x, y, width, height}>, clusters: Map<id, {x, y, width, height}>,
 *            edges: {from, to, source, points: {x, y}[], label: {x, y}|null}[], dagreCalls: number}}
 *   x, y are top-left corners in one coordinate space starting at (0, 0).
 */
export function layoutGraph(dagre, visible, cache = createLayoutCache()) {
  const TOP = '';
  const clusterParent = new Map(visible.clusters.map((c) => [c.id, c.cluster === null ? TOP : c.cluster]));
  const groups = new Map([[TOP, { items: [], index: new Map(), edges: [], edgeIndex: new Map(), hasIn: false, hasOut: false }]]);
  for (const cluster of visible.clusters) {
    groups.set(cluster.id, { items: [], index: new Map(), edges: [], edgeIndex: new Map(), hasIn: false, hasOut: false });
  }
  const isSmall = new Set(visible.boxes.filter((box) => box.kind === 'op').map((box) => box.id));
  const addItem = (group, id, kind) => {
    const g = groups.get(group);
    g.index.set(id, g.items.length);
    const small = isSmall.has(id);
    g.items.push({ id, kind, width: small ? OP_WIDTH : BOX_WIDTH, height: small ? OP_HEIGHT : BOX_HEIGHT });
  };
  // Items in call order: visible.clusters and visible.boxes come from one pre-order walk, so merge them
  // back by that order (inputs first).
  const order = [];
  for (const box of visible.boxes) order.push({ id: box.id, kind: 'box', group: box.cluster === null ? TOP : box.cluster });
  for (const cluster of visible.clusters) order.push({ id: cluster.id, kind: 'cluster', group: clusterParent.get(cluster.id) });
  const rank = new Map();
  visible.boxes.forEach((box, i) => rank.set(box.id, i));
  const walkRank = (() => {
    // A cluster sorts just before its first descendant box (pre-order).
    const firstBox = new Map();
    for (const box of visible.boxes) {
      for (let c = box.cluster; c !== null && c !== TOP && c !== undefined; c = clusterParent.get(c)) {
        if (!firstBox.has(c)) firstBox.set(c, rank.get(box.id) - 0.5);
      }
    }
    return (item) => (item.kind === 'box' ? rank.get(item.id) : firstBox.get(item.id) ?? Infinity);
  })();
  order.sort((a, b) => walkRank(a) - walkRank(b));
  for (const item of order) addItem(item.group, item.id, item.kind);

  const chainOf = (boxId, group) => {
    const chain = [];
    for (let c = group; c !== TOP; c = clusterParent.get(c)) chain.push(c);
    chain.push(TOP);
    return chain.reverse(); // outermost (TOP) first
  };
  const boxGroup = new Map(visible.boxes.map((b) => [b.id, b.cluster === null ? TOP : b.cluster]));
  const addEdge = (group, from, to) => {
    const g = groups.get(group);
    const key = `${from}\u0000${to}`;
    if (!g.edgeIndex.has(key)) {
      g.edgeIndex.set(key, g.edges.length);
      g.edges.push([from, to]);
    }
    return g.edgeIndex.get(key);
  };

  // Split every arrow into its pieces (see the comment at the top).
  const routes = visible.edges.map((edge) => {
    const chainU = chainOf(edge.from, boxGroup.get(edge.from));
    const chainV = chainOf(edge.to, boxGroup.get(edge.to));
    let level = 0;
    while (level + 1 < chainU.length && level + 1 < chainV.length && chainU[level + 1] === chainV[level + 1]) level += 1;
    const childAt = (chain, boxId, depth) => (depth < chain.length ? chain[depth] : boxId);
    const pieces = [];
    for (let depth = chainU.length - 1; depth > level; depth -= 1) {
      const group = chainU[depth];
      groups.get(group).hasOut = true;
      pieces.push({ group, index: addEdge(group, childAt(chainU, edge.from, depth + 1), ANCHOR_OUT), main: false });
    }
    const main = chainU[level];
    pieces.push({ group: main, index: addEdge(main, childAt(chainU, edge.from, level + 1), childAt(chainV, edge.to, level + 1)), main: true });
    for (let depth = level + 1; depth < chainV.length; depth += 1) {
      const group = chainV[depth];
      groups.get(group).hasIn = true;
      pieces.push({ group, index: addEdge(group, ANCHOR_IN, childAt(chainV, edge.to, depth + 1)), main: false });
    }
    return { edge, pieces };
  });

  // Inner clusters first: visible.clusters is pre-order, so reversed it lists children before parents.
  let dagreCalls = 0;
  const local = new Map();
  for (const group of [...visible.clusters.map((c) => c.id).reverse(), TOP]) {
    const g = groups.get(group);
    const items = g.items.map((item) => {
      if (item.kind === 'cluster') {
        const inner = local.get(item.id);
        return { ...item, width: inner.width + CLUSTER_PAD.left + CLUSTER_PAD.right, height: inner.height + CLUSTER_PAD.top + CLUSTER_PAD.bottom };
      }
      return item;
    });
    g.items = items;
    const nodes = items.map((item) => ({ width: item.width, height: item.height }));
    const anchorIndex = new Map(items.map((item, i) => [item.id, i]));
    if (g.hasIn) {
      anchorIndex.set(ANCHOR_IN, nodes.length);
      nodes.push({ width: 1, height: 1 });
    }
    if (g.hasOut) {
      anchorIndex.set(ANCHOR_OUT, nodes.length);
      nodes.push({ width: 1, height: 1 });
    }
    const edges = g.edges.map(([from, to]) => [anchorIndex.get(from), anchorIndex.get(to)]);
    const key = JSON.stringify([nodes.map((n) => [n.width, n.height]), edges]);
    let result = cache.get(key);
    if (!result) {
      result = nodes.length === 0 ? { width: 0, height: 0, centers: [], points: [] } : runDagre(dagre, nodes, edges);
      dagreCalls += nodes.length === 0 ? 0 : 1;
      cache.set(key, result);
    }
    local.set(group, result);
  }

  // Top-down: absolute positions. A group's content origin is where its local (0, 0) lands.
  const origin = new Map([[TOP, { x: 0, y: 0 }]]);
  const boxes = new Map();
  const clusters = new Map();
  const place = (group) => {
    const g = groups.get(group);
    const at = origin.get(group);
    const result = local.get(group);
    g.items.forEach((item, i) => {
      const center = result.centers[i];
      const rect = { x: at.x + center.x - item.width / 2, y: at.y + center.y - item.height / 2, width: item.width, height: item.height };
      if (item.kind === 'cluster') {
        clusters.set(item.id, rect);
        origin.set(item.id, { x: rect.x + CLUSTER_PAD.left, y: rect.y + CLUSTER_PAD.top });
        place(item.id);
      } else {
        boxes.set(item.id, rect);
      }
    });
  };
  place(TOP);

  const labelled = new Set();
  const edges = routes.map(({ edge, pieces }) => {
    const points = [];
    let label = null;
    for (const piece of pieces) {
      const at = origin.get(piece.group);
      const piecePoints = local.get(piece.group).points[piece.index].map((p) => ({ x: at.x + p.x, y: at.y + p.y }));
      if (piece.main) {
        // One label per drawn segment: arrows merged into one segment carry the same tensor.
        const key = `${piece.group}\u0000${piece.index}`;
        if (!labelled.has(key) && piecePoints.length) {
          labelled.add(key);
          label = midpoint(piecePoints);
        }
      }
      points.push(...piecePoints);
    }
    return { ...edge, points, label };
  });
  const top = local.get(TOP);
  return { width: top.width, height: top.height, boxes, clusters, edges, dagreCalls };
}

/** The point halfway along a polyline. */
export function midpoint(points) {
  if (points.length === 1) return { ...points[0] };
  let length = 0;
  for (let i = 1; i < points.length; i += 1) length += Math.hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
  let rest = length / 2;
  for (let i = 1; i < points.length; i += 1) {
    const step = Math.hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
    if (step >= rest && step > 0) {
      const t = rest / step;
      return { x: points[i - 1].x + t * (points[i].x - points[i - 1].x), y: points[i - 1].y + t * (points[i].y - points[i - 1].y) };
    }
    rest -= step;
  }
  return { ...points[points.length - 1] };
}

/** The smallest scale "Fit" uses: the graph's smallest text (10 px edge labels, 10.5 px shapes) stays
 * at least 8.5 px on screen, and module names (11 px) over 9. */
export const MIN_FIT_SCALE = 0.85;

/**
 * The view "Fit" shows of a graph of graphWidth x graphHeight in a view of viewWidth x viewHeight:
 * {k, x, y}, screen = graph * k + (x, y). The whole graph when it fits at a readable scale (at least
 * MIN_FIT_SCALE, at most 1:1); otherwise its width, at no less than MIN_FIT_SCALE, from the top, and the
 * rest is reached by panning (a deep model shrunk to fit its height would be a column of unreadable
 * boxes). Centred when narrower than the view, else from the left edge; from the top either way.
 */
export function fitView(graphWidth, graphHeight, viewWidth, viewHeight, { margin = 24, minScale = MIN_FIT_SCALE } = {}) {
  const w = Math.max(1, graphWidth);
  const h = Math.max(1, graphHeight);
  const byWidth = (viewWidth - 2 * margin) / w;
  const whole = Math.min(1, byWidth, (viewHeight - 2 * margin) / h);
  const k = whole >= minScale ? whole : Math.max(minScale, Math.min(1, byWidth));
  const x = w * k <= viewWidth - 2 * margin ? (viewWidth - w * k) / 2 : margin;
  return { k, x, y: margin };
}
