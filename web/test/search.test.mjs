// The log search and filter: plain text or /regex/, invalid regex reported, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, findRanges, matches, keepLine, isActive } from '../src/lib/search.js';

test('plain text is case-insensitive and literal', () => {
  const q = parseQuery('a.B');
  assert.equal(q.kind, 'text');
  assert.deepEqual(findRanges('xa.by A.B aXb', q), [[1, 4], [6, 9]]);
  assert.equal(matches('aXb', q), false);
  assert.equal(parseQuery('(').kind, 'text');
});

test('/regex/ with flags', () => {
  const q = parseQuery('/line \\d+5$/');
  assert.equal(q.kind, 'regex');
  assert.ok(matches('line 45', q));
  assert.ok(!matches('line 46', q));
  assert.equal(matches('ERROR', parseQuery('/error/')), false);
  assert.equal(matches('ERROR', parseQuery('/error/i')), true);
  assert.deepEqual(findRanges('aaa', parseQuery('/a/')), [[0, 1], [1, 2], [2, 3]]);
});

test('invalid regex and flags give an error, not an exception', () => {
  const q = parseQuery('/(/');
  assert.equal(q.kind, 'invalid');
  assert.match(q.error, /Invalid regular expression/);
  assert.equal(isActive(q), false);
  assert.deepEqual(findRanges('(', q), []);
  assert.equal(parseQuery('/a/g').kind, 'invalid');
  assert.equal(parseQuery('/a/ii').kind, 'invalid');
});

test('empty matches neither loop nor mark', () => {
  assert.deepEqual(findRanges('abc', parseQuery('/x*/')), []);
  assert.deepEqual(findRanges('abc', parseQuery('/b*/')), [[1, 2]]);
  assert.deepEqual(findRanges('', parseQuery('')), []);
  assert.equal(parseQuery('').kind, 'none');
});

test('a limit bounds the ranges of a huge line', () => {
  assert.equal(findRanges('a'.repeat(10000), parseQuery('a'), 50).length, 50);
});

test('keepLine: stream filter, then the search when filtering', () => {
  const q = parseQuery('boom');
  const out = { stream: 'stdout' };
  const err = { stream: 'stderr' };
  assert.equal(keepLine(out, 'boom', { query: q, filter: true, stream: 'all' }), true);
  assert.equal(keepLine(out, 'fine', { query: q, filter: true, stream: 'all' }), false);
  assert.equal(keepLine(out, 'fine', { query: q, filter: false, stream: 'all' }), true);
  assert.equal(keepLine(out, 'boom', { query: q, filter: true, stream: 'stderr' }), false);
  assert.equal(keepLine(err, 'boom', { query: q, filter: true, stream: 'stderr' }), true);
  assert.equal(keepLine(out, 'x', { query: parseQuery('/(/'), filter: true, stream: 'all' }), true);
});
