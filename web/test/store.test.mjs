// The stack state from the events WebSocket: snapshot, events, lagged resync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StackStore, isReady, statusTone, healthDisplay, allowedOperations } from '../src/lib/store.js';
import { formatDuration, formatBytes, parseTime, formatClock, portLabels } from '../src/lib/format.js';

const view = (name, extra = {}) => ({ name, status: 'running', health: 'healthy', operation: null, restarts: 0, depends_on: [], ...extra });

test('snapshot, then events update one view; lagged waits for the next snapshot', () => {
  const s = new StackStore();
  let c = s.apply({ type: 'snapshot', stack: { status: 'ready' }, resources: [view('db'), view('web')] });
  assert.ok(c.structure && c.stack && s.synced);
  assert.deepEqual(s.order, ['db', 'web']);
  c = s.apply({ type: 'event', seq: 5, event: { kind: 'resource_restarting', resource: 'web', time: 't' }, resource: view('web', { status: 'restarting', operation: 'restart' }), stack: { status: 'degraded' } });
  assert.deepEqual([...c.resources], ['web']);
  assert.equal(c.structure, false);
  assert.equal(s.resources.get('web').operation, 'restart');
  assert.equal(s.activity.get('web').text, 'restarting…');
  assert.equal(s.stack.status, 'degraded');
  s.apply({ type: 'event', seq: 6, event: { kind: 'resource_failed', resource: 'web', message: 'exit 1' }, resource: view('web', { status: 'failed' }), stack: null });
  assert.equal(s.activity.get('web').text, 'failed: exit 1');
  assert.equal(s.activity.get('web').tone, 'bad');
  s.apply({ type: 'lagged', missed: 12 });
  assert.equal(s.synced, false);
  assert.equal(s.lagged, 12);
  c = s.apply({ type: 'snapshot', stack: { status: 'ready' }, resources: [view('db')] });
  assert.ok(c.structure);
  assert.deepEqual(s.order, ['db']);
  assert.equal(s.activity.has('web'), false);
  assert.equal(s.lastSeq, 6);
});

test('stack events without a resource and unknown messages', () => {
  const s = new StackStore();
  s.apply({ type: 'snapshot', stack: {}, resources: [] });
  const c = s.apply({ type: 'event', seq: 1, event: { kind: 'stack_ready' }, resource: null, stack: { status: 'ready' } });
  assert.ok(c.stack);
  assert.equal(c.resources.size, 0);
  assert.equal(s.apply({ type: 'nonsense' }).stack, false);
  assert.equal(s.apply(null).stack, false);
  const added = s.apply({ type: 'event', seq: 2, event: { kind: 'resource_starting', resource: 'new' }, resource: view('new', { status: 'starting' }) });
  assert.ok(added.structure);
});

test('"starting" health is a waiting state, not the red of "unhealthy"', () => {
  assert.equal(healthDisplay('starting').tone, 'wait');
  assert.equal(healthDisplay('unhealthy').tone, 'bad');
  assert.notEqual(healthDisplay('starting').tone, healthDisplay('unhealthy').tone);
  assert.equal(statusTone(view('a', { health: 'starting' })), 'busy');
  assert.equal(statusTone(view('a', { status: 'exited', exit_code: 0 })), 'idle');
  assert.equal(statusTone(view('a', { status: 'exited', exit_code: 137 })), 'bad');
  assert.equal(isReady(view('a')), true);
  assert.equal(isReady(view('a', { health: 'none' })), true);
  assert.equal(isReady(view('a', { health: 'starting' })), false);
  assert.equal(isReady(view('a', { status: 'completed', health: 'none' })), true);
});

test('operations: none while one runs; start only when not running', () => {
  assert.deepEqual([...allowedOperations(view('a'))].sort(), ['restart', 'stop']);
  assert.deepEqual([...allowedOperations(view('a', { status: 'stopped' }))].sort(), ['restart', 'start']);
  assert.equal(allowedOperations(view('a', { operation: 'restart' })).size, 0);
});

test('formatting', () => {
  assert.equal(formatDuration(5400), '5s');
  assert.equal(formatDuration(65000), '1m 05s');
  assert.equal(formatDuration(3 * 3600e3 + 60e3), '3h 01m');
  assert.equal(formatDuration(26 * 3600e3), '1d 02h');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(12582912), '12 MiB');
  assert.equal(parseTime('2026-12-01T20:44:05.123456789Z'), Date.UTC(2026, 11, 1, 20, 44, 5, 123));
  assert.ok(Number.isNaN(parseTime(null)));
  const t = Date.UTC(2026, 11, 1, 20, 44, 5, 7);
  assert.equal(formatClock(t, 'utc', t), '20:44:05.007Z');
  assert.equal(formatClock(t, 'utc', t + 86400e3 * 2), '2026-12-01 20:44:05.007Z');
  assert.deepEqual(portLabels([{ container_port: 8080, host_port: 18080, protocol: 'tcp', url: 'http://127.0.0.1:18080/' },
    { container_port: 53, host_port: 5353, protocol: 'udp', url: 'javascript:alert(1)' }]),
  [{ label: '18080→8080', url: 'http://127.0.0.1:18080/' }, { label: '5353→53/udp', url: null }]);
});

test('an operation ends with its outcome event even if the view still names it', () => {
  const s = new StackStore();
  s.apply({ type: 'snapshot', stack: {}, resources: [view('web')] });
  const ev = (kind, v) => s.apply({ type: 'event', seq: 1, event: { kind, resource: 'web' }, resource: view('web', v) });
  ev('resource_restarting', { operation: 'restart' });
  assert.equal(s.operation('web'), 'restart');
  ev('resource_stopped', { status: 'starting', health: 'starting', operation: 'restart' });
  ev('resource_started', { status: 'starting', health: 'starting', operation: 'restart' });
  assert.equal(s.operation('web'), 'restart', 'started is not the end while the healthcheck runs');
  ev('resource_healthy', { operation: 'restart' });
  assert.equal(s.operation('web'), null);
  assert.equal(s.resources.get('web').operation, 'restart', 'the view itself is kept as sent');
  s.expect('web');
  assert.equal(s.operation('web'), 'restart', 'a new request waits for its own outcome');
  ev('resource_restarting', { operation: 'restart' });
  ev('operation_failed', { operation: 'restart' });
  assert.equal(s.operation('web'), null);
  ev('resource_stopped', { status: 'stopped', health: 'none', operation: 'stop' });
  assert.equal(s.operation('web'), null, 'stop ends at stopped');
  ev('resource_started', { status: 'running', health: 'none', operation: 'start' });
  assert.equal(s.operation('web'), null, 'start without a healthcheck ends at started');
  ev('resource_starting', { status: 'starting', operation: null });
  assert.equal(s.settled.size, 0);
});

test('image steps show as their own activity before the start', () => {
  // Issue 18: the image is prepared as a step of its own (image_preparing, image_ready, image_failed).
  const s = new StackStore();
  s.apply({ type: 'snapshot', stack: { status: 'starting' }, resources: [view('web', { status: 'pending' })] });
  s.apply({ type: 'event', seq: 1, event: { kind: 'image_preparing', resource: 'web', message: "building image 'w:dev'" }, resource: view('web', { status: 'pending' }), stack: null });
  assert.equal(s.activity.get('web').text, "preparing image…: building image 'w:dev'");
  assert.equal(s.activity.get('web').tone, 'busy');
  s.apply({ type: 'event', seq: 2, event: { kind: 'image_ready', resource: 'web', message: 'built 1a2b in 3.0s' }, resource: view('web', { status: 'pending' }), stack: null });
  assert.equal(s.activity.get('web').text, 'image ready: built 1a2b in 3.0s');
  s.apply({ type: 'event', seq: 3, event: { kind: 'image_failed', resource: 'web', message: 'step 2 failed' }, resource: view('web', { status: 'failed' }), stack: null });
  assert.equal(s.activity.get('web').text, 'image failed: step 2 failed');
  assert.equal(s.activity.get('web').tone, 'bad');
});

test('watch events: the CLI line as the activity, the watcher state for the header', () => {
  const s = new StackStore();
  s.apply({ type: 'snapshot', stack: { status: 'ready' }, resources: [view('web')] });
  let c = s.apply({ type: 'event', seq: 1, event: { kind: 'watch_started', resource: null, message: 'watching 2 rules (3 directories) for web' }, resource: null });
  assert.ok(c.watch);
  assert.equal(c.resources.size, 0);
  assert.deepEqual(s.watch, { active: true, text: 'watching 2 rules (3 directories) for web' });
  const lines = [
    ['watch_synced', 'synced 3 files in 18 ms', 'ok'],
    ['watch_restarted', 'restarted in 1.2 s, ready', 'ok'],
    ['watch_rebuilding', 'rebuilding (1 file changed)', 'busy'],
    ['watch_rebuilt', 'rebuilt in 4.2 s, ready', 'ok'],
    ['watch_failed', 'rebuild failed, the old container keeps running: step 3: exit 1', 'bad'],
  ];
  for (const [kind, message, tone] of lines) {
    c = s.apply({ type: 'event', seq: 2, event: { kind, resource: 'web', message, files: 3, took_ms: 18 }, resource: view('web') });
    assert.ok(c.resources.has('web'), kind);
    assert.deepEqual({ ...s.activity.get('web'), time: undefined }, { text: message, tone, kind, time: undefined });
  }
  // Without a message, the kind's label; a message is kept verbatim (the DOM sets it as text).
  s.apply({ type: 'event', seq: 3, event: { kind: 'watch_synced', resource: 'web' }, resource: view('web') });
  assert.equal(s.activity.get('web').text, 'synced');
  const hostile = 'sync failed: <img src=x onerror=alert(1)>';
  s.apply({ type: 'event', seq: 4, event: { kind: 'watch_failed', resource: 'web', message: hostile }, resource: view('web') });
  assert.equal(s.activity.get('web').text, hostile);
  c = s.apply({ type: 'event', seq: 5, event: { kind: 'watch_stopped', resource: null, message: 'watching stopped' }, resource: null });
  assert.ok(c.watch);
  assert.equal(s.watch.active, false);
});

test('the watcher state comes back with the snapshot after missed events', () => {
  const s = new StackStore();
  const watching = { active: true, message: 'watching 1 rule (1 directory) for web' };
  let c = s.apply({ type: 'snapshot', stack: { status: 'ready', watch: watching }, resources: [view('web')] });
  assert.ok(c.watch);
  assert.deepEqual(s.watch, { active: true, text: watching.message });
  // The watch_stopped event was among the dropped ones: the snapshot that follows says so.
  s.apply({ type: 'lagged', missed: 40 });
  c = s.apply({ type: 'snapshot', stack: { status: 'ready', watch: { active: false, message: 'watching stopped' } }, resources: [view('web')] });
  assert.ok(c.watch);
  assert.equal(s.watch.active, false);
  // A stack that never had a watcher: no pill at all; an unchanged state is no change.
  c = s.apply({ type: 'snapshot', stack: { status: 'ready', watch: null }, resources: [view('web')] });
  assert.ok(c.watch);
  assert.equal(s.watch, null);
  c = s.apply({ type: 'event', seq: 9, event: { kind: 'resource_healthy', resource: 'web' }, resource: view('web'), stack: { status: 'ready', watch: null } });
  assert.equal(c.watch, false);
  // An older server's stack object without the field leaves the events' state alone.
  s.apply({ type: 'event', seq: 10, event: { kind: 'watch_started', resource: null, message: 'w' }, resource: null });
  c = s.apply({ type: 'snapshot', stack: { status: 'ready' }, resources: [view('web')] });
  assert.equal(c.watch, false);
  assert.equal(s.watch.active, true);
});

test('event kinds are looked up as own keys only', () => {
  const s = new StackStore();
  s.apply({ type: 'snapshot', stack: {}, resources: [view('web')] });
  for (const kind of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const c = s.apply({ type: 'event', seq: 1, event: { kind, resource: 'web', message: 'x' }, resource: view('web') });
    assert.equal(c.watch, false, kind);
    assert.equal(s.activity.has('web'), false, kind);
  }
});
