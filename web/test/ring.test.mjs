// The bounded log buffer: memory stays flat on a chatty container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingBuffer } from '../src/lib/ring.js';
import { LogStore, compareEntries, toText } from '../src/lib/logstore.js';

test('keeps the newest capacity entries in order', () => {
  const r = new RingBuffer(3);
  assert.equal(r.push(1), undefined);
  r.push(2);
  r.push(3);
  assert.equal(r.push(4), 1);
  assert.deepEqual(r.toArray(), [2, 3, 4]);
  assert.equal(r.at(0), 2);
  assert.equal(r.at(-1), 4);
  assert.equal(r.at(3), undefined);
  assert.equal(r.dropped, 1);
  r.clear();
  assert.deepEqual(r.toArray(), []);
  assert.throws(() => new RingBuffer(0), RangeError);
});

test('100,000 lines into a 10,000-line store keep exactly the last 10,000', () => {
  const s = new LogStore();
  for (let i = 1; i <= 100000; i++) {
    s.add('ticker', { ts: `2026-12-01T20:00:00.${String(i % 1000).padStart(3, '0')}000000Z`, stream: 'stdout', line: `line ${i}` });
  }
  assert.equal(s.size('ticker'), 10000);
  const all = s.merged(['ticker']);
  assert.equal(all[0].line, 'line 90001');
  assert.equal(all.at(-1).line, 'line 100000');
  assert.equal(s.rings.get('ticker').items.length, 10000);
});

test('merged view orders by time, then arrival; escapes stripped once', () => {
  const s = new LogStore(10);
  s.add('a', { ts: '2026-12-01T20:00:00.300000000Z', stream: 'stdout', line: 'a2' });
  s.add('b', { ts: '2026-12-01T20:00:00.100000000Z', stream: 'stderr', line: '\x1b[31mb1\x1b[0m' });
  s.add('a', { ts: '2026-12-01T20:00:00.100000000Z', stream: 'stdout', line: 'a1' });
  s.add('b', { stream: 'weird', line: 7 });
  const m = s.merged(['a', 'b']);
  assert.deepEqual(m.map((e) => e.plain), ['b1', 'a1', 'a2', '7']);
  assert.equal(m.at(-1).stream, 'stdout');
  assert.ok(compareEntries(m[0], m[1]) < 0);
  assert.equal(toText(m.slice(0, 1)), '2026-12-01T20:00:00.100000000Z b stderr | b1\n');
  assert.equal(toText([]), '');
});
