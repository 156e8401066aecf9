// The stack as the events WebSocket tells it: a snapshot, then ordered events, each carrying the
// resource view and the stack object after it. Pure: the socket lives in app.js, the DOM in views/.
//
// `lagged` means the server dropped events for this client; the snapshot that follows it replaces
// everything, so nothing here ever tries to patch over a gap.

/** @typedef {{text: string, tone: 'busy'|'ok'|'bad'|'idle', kind: string, time: string}} Activity */

const ACTIVITY = {
  resource_starting: ['starting…', 'busy'],
  resource_progress: ['', 'busy'],
  image_preparing: ['preparing image…', 'busy'],
  image_ready: ['image ready', 'busy'],
  image_failed: ['image failed', 'bad'],
  resource_started: ['started', 'busy'],
  resource_healthy: ['healthy', 'ok'],
  resource_unhealthy: ['unhealthy', 'bad'],
  resource_exited: ['exited', 'idle'],
  resource_completed: ['completed', 'ok'],
  resource_restarting: ['restarting…', 'busy'],
  resource_failed: ['failed', 'bad'],
  resource_stopped: ['stopped', 'idle'],
  operation_failed: ['operation failed', 'bad'],
  // Watch mode (`up --watch`, `lightshuttle watch`): the message is the line the CLI prints after
  // the resource's name ("synced 3 files in 18 ms"), so it is shown as is; the label only stands
  // in for an event without one.
  watch_synced: ['synced', 'ok'],
  watch_restarted: ['restarted', 'ok'],
  watch_rebuilding: ['rebuilding…', 'busy'],
  watch_rebuilt: ['rebuilt', 'ok'],
  watch_failed: ['watch action failed', 'bad'],
};

/** Watch-mode events about the whole stack (no resource): whether the watcher runs. */
const WATCH_STATE = { watch_started: true, watch_stopped: false };

export class StackStore {
  constructor() {
    this.stack = null;
    /** @type {Map<string, object>} views by name */
    this.resources = new Map();
    /** @type {string[]} names in plan order */
    this.order = [];
    /** @type {Map<string, Activity>} the last event seen per resource */
    this.activity = new Map();
    /** @type {Map<string, string>} name → the operation whose outcome event was seen */
    this.settled = new Map();
    /** @type {{active: boolean, text: string} | null} the watcher, once an event said */
    this.watch = null;
    this.lastSeq = null;
    this.synced = false;
    this.lagged = 0;
  }

  /**
   * The watcher's state from a stack object (`watch`: null before any watcher ran, else
   * `{active, message}`); an older server without the field leaves it as the events said.
   * @returns {boolean} whether it changed
   */
  takeWatch(stack) {
    if (!stack || typeof stack !== 'object' || !Object.hasOwn(stack, 'watch')) {
      return false;
    }
    const w = stack.watch;
    const next = w && typeof w === 'object'
      ? { active: w.active === true, text: typeof w.message === 'string' ? w.message : '' }
      : null;
    const same = (next === null && this.watch === null) ||
      (next !== null && this.watch !== null && next.active === this.watch.active &&
       next.text === this.watch.text);
    this.watch = next;
    return !same;
  }

  /**
   * Applies one message of the events WebSocket.
   * @returns {{stack: boolean, structure: boolean, watch: boolean, resources: Set<string>, event?: object}} what changed
   */
  apply(msg) {
    const changed = { stack: false, structure: false, watch: false, resources: new Set() };
    if (!msg || typeof msg !== 'object') {
      return changed;
    }
    if (msg.type === 'snapshot') {
      const before = this.order.join('\n');
      this.stack = msg.stack ?? null;
      // The watcher's state is part of the stack object, so a snapshot after missed events
      // (`lagged`) cannot leave a pill saying "watching" for a watcher that stopped meanwhile.
      if (this.takeWatch(msg.stack)) {
        changed.watch = true;
      }
      this.resources = new Map((msg.resources ?? []).map((r) => [r.name, r]));
      this.order = (msg.resources ?? []).map((r) => r.name);
      for (const name of [...this.activity.keys()]) {
        if (!this.resources.has(name)) {
          this.activity.delete(name);
        }
      }
      this.synced = true;
      changed.stack = true;
      changed.structure = before !== this.order.join('\n');
      this.order.forEach((n) => changed.resources.add(n));
      return changed;
    }
    if (msg.type === 'lagged') {
      this.synced = false;
      this.lagged += Number(msg.missed) || 0;
      changed.stack = true;
      return changed;
    }
    if (msg.type !== 'event') {
      return changed;
    }
    if (typeof msg.seq === 'number') {
      this.lastSeq = msg.seq;
    }
    const ev = msg.event ?? {};
    changed.event = ev;
    if (msg.stack) {
      this.stack = msg.stack;
      changed.stack = true;
      if (this.takeWatch(msg.stack)) {
        changed.watch = true;
      }
    }
    const view = msg.resource;
    if (view && typeof view.name === 'string') {
      if (!this.resources.has(view.name)) {
        this.order.push(view.name);
        changed.structure = true;
      }
      this.resources.set(view.name, view);
      changed.resources.add(view.name);
    }
    const name = ev.resource ?? view?.name;
    if (view && typeof view.name === 'string') {
      if (!view.operation) {
        this.settled.delete(view.name);
      } else if (isOutcome(ev.kind, view)) {
        this.settled.set(view.name, view.operation);
      }
    }
    // Own keys only: a kind such as "constructor" must not reach Object.prototype.
    if (Object.hasOwn(WATCH_STATE, ev.kind)) {
      this.watch = { active: WATCH_STATE[ev.kind], text: typeof ev.message === 'string' ? ev.message : '' };
      changed.watch = true;
    }
    const meta = Object.hasOwn(ACTIVITY, ev.kind) ? ACTIVITY[ev.kind] : undefined;
    if (name && meta) {
      let text = meta[0];
      if (ev.kind.startsWith('watch_')) {
        text = ev.message || meta[0];
      } else if (ev.kind === 'resource_progress') {
        text = ev.message || 'working…';
      } else if ((ev.kind === 'image_preparing' || ev.kind === 'image_ready') && ev.message) {
        text = `${meta[0]}: ${ev.message}`;
      } else if (ev.kind === 'resource_exited' && ev.exit_code != null) {
        text = `exited with code ${ev.exit_code}`;
      } else if (ev.kind === 'resource_restarting' && ev.delay_ms) {
        text = `restarting in ${(ev.delay_ms / 1000).toFixed(1)} s…`;
      } else if ((ev.kind === 'resource_failed' || ev.kind === 'operation_failed' ||
                  ev.kind === 'image_failed') && ev.message) {
        text = `${meta[0]}: ${ev.message}`;
      }
      this.activity.set(name, { text, tone: meta[1], kind: ev.kind, time: ev.time ?? '' });
      changed.resources.add(name);
    }
    return changed;
  }

  /**
   * The operation in flight on a resource: the view's, unless that operation's outcome event has
   * already arrived (the docs: "the outcome comes as events"), so a view that still names a
   * finished operation cannot leave the buttons disabled.
   */
  operation(name) {
    const v = this.resources.get(name);
    if (!v?.operation) {
      return null;
    }
    return this.settled.get(name) === v.operation ? null : v.operation;
  }

  /** A new operation was asked for: its outcome is still to come. */
  expect(name) {
    this.settled.delete(name);
  }

  /** The views in plan order. */
  views() {
    return this.order.map((n) => this.resources.get(n)).filter(Boolean);
  }
}

/** Whether an event ends the operation the view names. */
export function isOutcome(kind, view) {
  if (kind === 'resource_failed' || kind === 'operation_failed') {
    return true;
  }
  if (view.operation === 'stop') {
    return kind === 'resource_stopped' && view.status !== 'starting' && view.status !== 'running';
  }
  // restart and start end when the resource is ready again.
  return (kind === 'resource_healthy' || (kind === 'resource_started' && (view.health === 'none' || view.health == null))) &&
    view.status === 'running';
}

/** Whether a view counts as ready (what the stack page marks with data-ready). */
export function isReady(view) {
  if (!view) {
    return false;
  }
  if (view.status === 'completed') {
    return true;
  }
  return view.status === 'running' && (view.health === 'healthy' || view.health === 'none' || view.health == null);
}

/** The tone of a status pill. */
export function statusTone(view) {
  switch (view?.status) {
    case 'running':
      return view.health === 'unhealthy' ? 'bad' : view.health === 'starting' ? 'busy' : 'ok';
    case 'pending':
    case 'starting':
    case 'restarting':
      return 'busy';
    case 'completed':
      return 'ok';
    case 'exited':
      return view.exit_code === 0 ? 'idle' : 'bad';
    case 'failed':
      return 'bad';
    default:
      return 'idle';
  }
}

/** The label and tone of the health pill: "starting" is a waiting state, never the red of "unhealthy". */
export function healthDisplay(health) {
  switch (health) {
    case 'healthy':
      return { label: 'healthy', tone: 'ok' };
    case 'starting':
      return { label: 'starting', tone: 'wait' };
    case 'unhealthy':
      return { label: 'unhealthy', tone: 'bad' };
    default:
      return { label: 'no check', tone: 'idle' };
  }
}

/** The tone of the stack status pill. */
export function stackTone(status) {
  return { ready: 'ok', starting: 'busy', stopping: 'busy', degraded: 'warn', failed: 'bad' }[status] ?? 'idle';
}

/** Which operations make sense on a view (buttons stay visible; these are the enabled ones). */
export function allowedOperations(view, operation = view?.operation) {
  if (!view || operation) {
    return new Set();
  }
  const running = view.status === 'running' || view.status === 'starting' || view.status === 'restarting';
  const ops = new Set(['restart']);
  if (running) {
    ops.add('stop');
  } else {
    ops.add('start');
  }
  return ops;
}
