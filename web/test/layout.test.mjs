// The layered layout of the dependency graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutGraph, countCrossings } from '../src/lib/layout.js';

const byId = (l) => Object.fromEntries(l.nodes.map((n) => [n.id, n]));

test('layers follow the longest dependency path', () => {
  const l = layoutGraph([
    { id: 'db', deps: [] }, { id: 'cache', deps: [] },
    { id: 'api', deps: ['db', 'cache'] }, { id: 'web', deps: ['api', 'db'] },
  ]);
  const n = byId(l);
  assert.deepEqual([n.db.layer, n.cache.layer, n.api.layer, n.web.layer], [0, 0, 1, 2]);
  assert.equal(l.edges.length, 4);
  assert.ok(n.api.x > n.db.x && n.web.x > n.api.x);
  for (const e of l.edges) {
    assert.ok(e.x2 > e.x1, 'edges go left to right');
  }
  assert.deepEqual(l.nodes.map((x) => x.id), ['db', 'cache', 'api', 'web'], 'plan order kept');
});

test('nodes never overlap and fit the canvas', () => {
  const input = Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, deps: i < 4 ? [] : [`r${i % 4}`, `r${(i + 1) % 4}`] }));
  const l = layoutGraph(input);
  for (const a of l.nodes) {
    assert.ok(a.x >= 0 && a.y >= 0 && a.x + l.nodeWidth <= l.width && a.y + l.nodeHeight <= l.height);
    for (const b of l.nodes) {
      if (a !== b && a.layer === b.layer) {
        assert.ok(Math.abs(a.y - b.y) >= l.nodeHeight, `${a.id} and ${b.id} overlap`);
      }
    }
  }
});

test('barycenter ordering removes an avoidable crossing', () => {
  // In plan order a→y and b→x cross; the sweep puts x and y so they do not.
  const l = layoutGraph([{ id: 'a', deps: [] }, { id: 'b', deps: [] }, { id: 'x', deps: ['b'] }, { id: 'y', deps: ['a'] }]);
  assert.equal(countCrossings(l), 0);
});

test('unknown deps, self-deps and cycles do not break the layout', () => {
  const l = layoutGraph([{ id: 'a', deps: ['ghost', 'a', 'b'] }, { id: 'b', deps: ['a'] }]);
  assert.equal(l.nodes.length, 2);
  assert.ok(l.width > 0);
  assert.deepEqual(layoutGraph([]).nodes, []);
  assert.equal(layoutGraph([]).width, 0);
});
