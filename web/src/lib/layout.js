// A small layered layout of the dependency graph (Sugiyama-style, for a dozen or so nodes):
// layer = longest path from a node without dependencies, then a few barycenter sweeps to cut
// crossings, then coordinates. Pure: the SVG is drawn by views/graph.js.
//
//   layoutGraph([{id: "db", deps: []}, {id: "app", deps: ["db"]}])
//     → {nodes: [{id: "db", layer: 0, order: 0, x, y}, {id: "app", layer: 1, ...}], edges: [...],
//        width, height}

/**
 * @param {Array<{id: string, deps: string[]}>} input in plan order
 * @param {{nodeWidth?: number, nodeHeight?: number, gapX?: number, gapY?: number, margin?: number}} [opts]
 */
export function layoutGraph(input, opts = {}) {
  const nodeWidth = opts.nodeWidth ?? 160;
  const nodeHeight = opts.nodeHeight ?? 44;
  const gapX = opts.gapX ?? 70;
  const gapY = opts.gapY ?? 22;
  const margin = opts.margin ?? 16;

  const ids = input.map((n) => n.id);
  const known = new Set(ids);
  const deps = new Map(input.map((n) => [n.id, [...new Set(n.deps.filter((d) => known.has(d) && d !== n.id))]]));

  // Longest-path layering; a cycle (the plan rejects them, but be safe) is cut where it is found.
  const layer = new Map();
  const visiting = new Set();
  const depth = (id) => {
    if (layer.has(id)) {
      return layer.get(id);
    }
    if (visiting.has(id)) {
      return 0;
    }
    visiting.add(id);
    let l = 0;
    for (const d of deps.get(id)) {
      l = Math.max(l, depth(d) + 1);
    }
    visiting.delete(id);
    layer.set(id, l);
    return l;
  };
  ids.forEach(depth);

  const layerCount = ids.length ? Math.max(...layer.values()) + 1 : 0;
  /** @type {string[][]} */
  const layers = Array.from({ length: layerCount }, () => []);
  for (const id of ids) {
    layers[layer.get(id)].push(id); // plan order within a layer to start with
  }

  const edges = [];
  for (const id of ids) {
    for (const d of deps.get(id)) {
      edges.push({ from: d, to: id });
    }
  }

  const orderOf = new Map();
  const reindex = () => layers.forEach((ls) => ls.forEach((id, i) => orderOf.set(id, i)));
  reindex();
  const dependents = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    dependents.get(e.from).push(e.to);
  }
  const barycenter = (id, neighbours) => {
    const ns = neighbours.get(id) ?? [];
    if (!ns.length) {
      return orderOf.get(id);
    }
    return ns.reduce((a, n) => a + orderOf.get(n), 0) / ns.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const range = down ? [...layers.keys()].slice(1) : [...layers.keys()].reverse().slice(1);
    for (const l of range) {
      const neighbours = down ? deps : dependents;
      const keyed = layers[l].map((id) => [barycenter(id, neighbours), orderOf.get(id), id]);
      keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      layers[l] = keyed.map((k) => k[2]);
      reindex();
    }
  }

  const tallest = Math.max(0, ...layers.map((ls) => ls.length));
  const height = tallest ? margin * 2 + tallest * nodeHeight + (tallest - 1) * gapY : 0;
  const nodes = [];
  const pos = new Map();
  layers.forEach((ls, l) => {
    const columnHeight = ls.length * nodeHeight + (ls.length - 1) * gapY;
    const top = (height - columnHeight) / 2;
    ls.forEach((id, i) => {
      const n = { id, layer: l, order: i, x: margin + l * (nodeWidth + gapX), y: top + i * (nodeHeight + gapY) };
      nodes.push(n);
      pos.set(id, n);
    });
  });
  nodes.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  const width = layerCount ? margin * 2 + layerCount * nodeWidth + (layerCount - 1) * gapX : 0;
  const routed = edges.map((e) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    return { ...e, x1: a.x + nodeWidth, y1: a.y + nodeHeight / 2, x2: b.x, y2: b.y + nodeHeight / 2 };
  });
  return { nodes, edges: routed, width, height, nodeWidth, nodeHeight };
}

/** How many pairs of edges between adjacent layers cross (used by the tests). */
export function countCrossings(layout) {
  const pos = new Map(layout.nodes.map((n) => [n.id, n]));
  let crossings = 0;
  const es = layout.edges.filter((e) => pos.get(e.to).layer - pos.get(e.from).layer === 1);
  for (let i = 0; i < es.length; i++) {
    for (let j = i + 1; j < es.length; j++) {
      const a = es[i];
      const b = es[j];
      if (pos.get(a.from).layer !== pos.get(b.from).layer) {
        continue;
      }
      const s = Math.sign(pos.get(a.from).order - pos.get(b.from).order);
      const t = Math.sign(pos.get(a.to).order - pos.get(b.to).order);
      if (s * t < 0) {
        crossings++;
      }
    }
  }
  return crossings;
}
