// The dashboard's entry point: the events WebSocket feeding the StackStore, a hash router
// (#/, #/graph, #/logs[/NAME,…], #/resource/NAME) and the header. Nothing polls: every change on
// the page comes from a WebSocket message.

import { h, clear } from './lib/dom.js';
import { StackStore, stackTone } from './lib/store.js';
import { ReconnectingSocket } from './lib/socket.js';
import { LogFollowers } from './lib/followers.js';
import { sockets, LOGIN_PAGE } from './lib/api.js';
import { parseTime } from './lib/format.js';
import { stackView } from './views/stack.js';
import { graphView } from './views/graph.js';
import { logsView } from './views/logs.js';
import { resourceView } from './views/resource.js';

const store = new StackStore();
const followers = new LogFollowers();
/** For tests and the bench: event → DOM latencies (ms), bounded. */
const probe = { latencies: [], store, followers, terminal: null, messages: 0 };
window.lightshuttleDashboard = probe;

const ctx = {
  store,
  followers,
  /** name → {op, since}: a click not yet reflected by the server's view */
  pending: new Map(),
  refresh: (name) => current?.update({ stack: false, structure: false, resources: new Set([name]) }),
  setActivity: (name, act) => store.activity.set(name, act),
};

let current = null;
const outlet = document.getElementById('view');
const stackPill = document.getElementById('stack-status');
const engineBanner = document.getElementById('engine-banner');
const watchPill = document.getElementById('watch-state');
const projectName = document.getElementById('project-name');
const connection = document.getElementById('connection');
const nav = document.getElementById('nav');

function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [page, ...rest] = hash.split('/');
  const arg = rest.join('/');
  switch (page) {
    case 'graph':
      return { key: 'graph', make: () => graphView(ctx) };
    case 'logs':
      return { key: `logs:${arg}`, make: () => logsView(ctx, arg ? arg.split(',').filter(Boolean) : []), nav: 'logs' };
    case 'resource':
      return { key: `resource:${arg}`, make: () => resourceView(ctx, arg), nav: 'stack' };
    default:
      return { key: 'stack', make: () => stackView(ctx) };
  }
}

let currentKey = null;
function render() {
  const r = route();
  if (r.key === currentKey) {
    return;
  }
  currentKey = r.key;
  current?.unmount();
  clear(outlet);
  current = r.make();
  current.mount(outlet);
  const navKey = r.nav ?? r.key;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.nav === navKey) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  updateTitle();
}

function updateTitle() {
  const project = store.stack?.project;
  document.title = `${current?.title ?? 'Dashboard'}${project ? ' · ' + project : ''} · LightShuttle`;
}

function drawHeader() {
  const s = store.stack;
  projectName.textContent = s?.project ?? '…';
  const status = s?.status ?? 'connecting';
  stackPill.textContent = s ? `${status} · ${s.resources_ready ?? 0}/${s.resources ?? 0} ready` : 'connecting';
  stackPill.className = `pill tone-${stackTone(status)}`;
  stackPill.dataset.status = status;
  // Watch mode: the pill says it runs; what it watches (the CLI's line) is the pill's title.
  const watching = store.watch?.active === true;
  watchPill.hidden = !watching;
  watchPill.title = watching ? store.watch.text : '';
  // An engine outage: nothing is restarted until it answers; the recovery then brings back
  // what ran (stack_recovered).
  const down = s?.engine === 'unavailable';
  engineBanner.hidden = !down;
  engineBanner.textContent = down
    ? `The container engine does not answer${s.engine_unavailable_since ? ' since ' + new Date(s.engine_unavailable_since).toLocaleTimeString() : ''}: nothing is restarted until it is back, then the stack is brought back.`
    : '';
  if (down) {
    stackPill.textContent = `engine unavailable · ${s.resources_ready ?? 0}/${s.resources ?? 0} ready`;
    stackPill.className = 'pill tone-bad';
  }
  updateTitle();
}

function clearPending(changed) {
  const ev = changed.event;
  for (const name of changed.resources) {
    const p = ctx.pending.get(name);
    if (!p) {
      continue;
    }
    const v = store.resources.get(name);
    const outcome = ev && ['resource_healthy', 'resource_failed', 'resource_stopped', 'operation_failed', 'resource_completed'].includes(ev.kind);
    if (store.operation(name) || outcome || Date.now() - p.since > 60000) {
      ctx.pending.delete(name);
    }
  }
}

function onMessage(msg) {
  probe.messages++;
  const changed = store.apply(msg);
  if (msg.type === 'snapshot') {
    ctx.pending.clear();
  }
  clearPending(changed);
  if (changed.stack || changed.watch) {
    drawHeader();
  }
  if (msg.type === 'lagged') {
    connection.textContent = `resyncing (missed ${msg.missed} events)`;
    connection.dataset.state = 'lagged';
  } else if (msg.type === 'snapshot') {
    connection.textContent = 'live';
    connection.dataset.state = 'open';
  }
  current?.update(changed);
  if (msg.type === 'snapshot' && probe.firstSnapshotMs === undefined) {
    probe.firstSnapshotMs = Math.round(performance.now()); // navigation start → stack drawn
  }
  if (msg.type === 'event' && msg.event?.time) {
    const t = parseTime(msg.event.time);
    if (Number.isFinite(t)) {
      probe.latencies.push(Date.now() - t);
      if (probe.latencies.length > 1000) {
        probe.latencies.shift();
      }
    }
  }
}

async function checkLoggedIn() {
  // A WebSocket never tells why it failed: ask a plain route whether the session is still valid.
  try {
    const res = await fetch('/api/v1/stack', { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401) {
      location.replace(LOGIN_PAGE);
    }
  } catch {
    // the supervisor is gone: the connection indicator says so
  }
}

new ReconnectingSocket(sockets.events, {
  onMessage,
  onState: (state) => {
    if (state !== 'open') {
      connection.textContent = state === 'connecting' ? 'connecting…' : 'disconnected: retrying';
      connection.dataset.state = state;
    }
  },
  onGiveUp: checkLoggedIn,
});

window.addEventListener('hashchange', render);
drawHeader();
render();
