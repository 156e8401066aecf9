// JSON log lines, pretty-printed on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonLine, prettyJsonLine } from '../src/lib/jsonline.js';

test('objects and arrays are pretty-printed with two spaces', () => {
  assert.equal(prettyJsonLine('{"level":"info","n":[1,2]}'), '{\n  "level": "info",\n  "n": [\n    1,\n    2\n  ]\n}');
  assert.equal(prettyJsonLine('  [1]  '), '[\n  1\n]');
});

test('anything else is not a JSON line', () => {
  for (const s of ['', 'plain', '42', '"str"', 'true', '{broken', '{"a":1} trailing', 'prefix {"a":1}', '{']) {
    assert.equal(prettyJsonLine(s), null, s);
  }
  assert.equal(parseJsonLine('{}').constructor, Object);
});

test('hostile content stays data', () => {
  assert.equal(prettyJsonLine('{"x":"<script>alert(1)</script>"}'), '{\n  "x": "<script>alert(1)</script>"\n}');
  assert.equal(prettyJsonLine('{"__proto__":{"polluted":1}}').includes('polluted'), true);
  assert.equal({}.polluted, undefined);
});
