// The dependency graph of the plan (depends_on), laid out by lib/layout.js, each node showing its
// live status. Nodes are links to the resource page (focusable with Tab, opened with Enter).

import { h, svg, clear } from '../lib/dom.js';
import { layoutGraph } from '../lib/layout.js';
import { statusTone, healthDisplay } from '../lib/store.js';

export function graphView(ctx) {
  let root;
  let holder;
  let shape = '';
  const nodes = new Map();

  function structureKey() {
    return ctx.store
      .views()
      .map((v) => `${v.name}<${(v.depends_on ?? []).join(',')}`)
      .join('|');
  }

  function nodeLabel(v) {
    const hd = healthDisplay(v.health);
    return v.health && v.health !== 'none' ? `${v.status} · ${hd.label}` : v.status;
  }

  function draw() {
    clear(holder);
    nodes.clear();
    const views = ctx.store.views();
    shape = structureKey();
    if (!views.length) {
      holder.appendChild(h('p', { class: 'muted', text: ctx.store.synced ? 'No resources.' : 'Connecting…' }));
      return;
    }
    const lay = layoutGraph(views.map((v) => ({ id: v.name, deps: v.depends_on ?? [] })));
    const root = svg('svg', {
      class: 'graph',
      viewBox: `0 0 ${lay.width} ${lay.height}`,
      width: lay.width,
      height: lay.height,
      role: 'img',
      'aria-label': 'dependency graph',
    });
    const defs = svg('defs', {},
      svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' })));
    root.appendChild(defs);
    for (const e of lay.edges) {
      const mx = (e.x1 + e.x2) / 2;
      root.appendChild(svg('path', {
        class: 'edge',
        d: `M ${e.x1} ${e.y1} C ${mx} ${e.y1}, ${mx} ${e.y2}, ${e.x2} ${e.y2}`,
        'marker-end': 'url(#arrow)',
        'data-from': e.from,
        'data-to': e.to,
      }));
    }
    for (const n of lay.nodes) {
      const v = ctx.store.resources.get(n.id);
      const status = svg('text', { x: n.x + 12, y: n.y + 34, class: 'node-status', text: nodeLabel(v) });
      const rect = svg('rect', { x: n.x, y: n.y, width: lay.nodeWidth, height: lay.nodeHeight, rx: 8, class: 'node-box' });
      const dot = svg('circle', { cx: n.x + lay.nodeWidth - 14, cy: n.y + 14, r: 5, class: 'node-dot' });
      const g = svg('a', { href: `#/resource/${encodeURIComponent(n.id)}`, class: `node tone-${statusTone(v)}`, 'data-resource': n.id, 'data-status': v.status },
        svg('title', { text: `${n.id}: ${nodeLabel(v)}` }),
        rect, dot,
        svg('text', { x: n.x + 12, y: n.y + 18, class: 'node-name', text: n.id }),
        status);
      nodes.set(n.id, { g, status });
      root.appendChild(g);
    }
    holder.appendChild(root);
  }

  function refresh(name) {
    const n = nodes.get(name);
    const v = ctx.store.resources.get(name);
    if (!n || !v) {
      return;
    }
    n.g.setAttribute('class', `node tone-${statusTone(v)}`);
    n.g.setAttribute('data-status', v.status);
    n.status.textContent = nodeLabel(v);
    n.g.querySelector('title').textContent = `${name}: ${nodeLabel(v)}`;
  }

  return {
    title: 'Graph',
    mount(container) {
      holder = h('div', { class: 'graph-wrap' });
      root = h('section', { class: 'page page-graph', attrs: { 'aria-labelledby': 'graph-title' } },
        h('h1', { id: 'graph-title', text: 'Dependency graph' }),
        h('p', { class: 'muted hint', text: 'Arrows point from a dependency to what depends on it. Select a node to open the resource.' }),
        holder);
      container.appendChild(root);
      draw();
    },
    update(changed) {
      if (changed.structure || structureKey() !== shape) {
        draw();
        return;
      }
      changed.resources.forEach(refresh);
    },
    unmount() {
      root?.remove();
    },
  };
}
