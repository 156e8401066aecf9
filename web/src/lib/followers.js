// One logs WebSocket per followed resource, feeding the shared LogStore. A resource stays followed
// for the life of the page once a view asked for it (its ring keeps memory bounded), so going back
// and forth between pages keeps the lines already seen.

import { LogStore } from './logstore.js';
import { ReconnectingSocket } from './socket.js';
import { sockets } from './api.js';

export const INITIAL_TAIL = 1000;
export const FLUSH_MS = 100;

export class LogFollowers {
  constructor(store = new LogStore()) {
    this.store = store;
    /** @type {Map<string, ReconnectingSocket>} */
    this.sockets = new Map();
    /** @type {Set<(entries: import('./logstore.js').LogEntry[]) => void>} */
    this.listeners = new Set();
    this.pending = [];
    this.flushScheduled = false;
    /** last (ts, line) per resource, to drop the line repeated at a reconnect */
    this.last = new Map();
  }

  follow(name) {
    if (this.sockets.has(name)) {
      return;
    }
    let first = true;
    const sock = new ReconnectingSocket(
      () => {
        // First connection: a tail; later ones: everything the ring has not seen yet.
        const tail = first ? INITIAL_TAIL : this.store.size(name) ? 200 : INITIAL_TAIL;
        const last = this.last.get(name);
        if (!first && last) {
          last.reconnected = true;
        }
        first = false;
        return sockets.logs(name, tail);
      },
      { onMessage: (m) => this.onLine(name, m) },
    );
    this.sockets.set(name, sock);
  }

  onLine(name, obj) {
    if (!obj || typeof obj !== 'object') {
      return;
    }
    const last = this.last.get(name);
    // A reconnect replays a tail: drop what is not newer than the last line stored.
    if (last && typeof obj.ts === 'string' && obj.ts <= last.ts && last.reconnected) {
      return;
    }
    const entry = this.store.add(name, obj);
    this.last.set(name, { ts: entry.ts, reconnected: false });
    this.pending.push(entry);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // At most one DOM update per FLUSH_MS however many lines arrive (Aspire batches at 100 ms
      // too): a chatty stack costs ten small layouts a second, not one per line or per frame.
      setTimeout(() => {
        this.flushScheduled = false;
        const batch = this.pending;
        this.pending = [];
        for (const l of this.listeners) {
          l(batch);
        }
      }, FLUSH_MS);
    }
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
