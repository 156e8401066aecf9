// Log lines of every followed resource, each resource in its own bounded ring (10,000 lines by
// default), with one arrival sequence across resources so a merged view keeps a stable order.

import { RingBuffer } from './ring.js';
import { stripAnsi } from './ansi.js';
import { parseTime } from './format.js';

export const DEFAULT_CAPACITY = 10000;

/** @typedef {{seq: number, resource: string, ts: string, tsMs: number, stream: string, line: string, plain: string}} LogEntry */

export class LogStore {
  constructor(capacity = DEFAULT_CAPACITY) {
    this.capacity = capacity;
    /** @type {Map<string, RingBuffer>} */
    this.rings = new Map();
    this.seq = 0;
  }

  ring(resource) {
    let r = this.rings.get(resource);
    if (!r) {
      r = new RingBuffer(this.capacity);
      this.rings.set(resource, r);
    }
    return r;
  }

  /**
   * Adds one line object of the logs WebSocket ({ts, stream, line}); returns the stored entry.
   * @returns {LogEntry}
   */
  add(resource, obj) {
    const line = typeof obj?.line === 'string' ? obj.line : String(obj?.line ?? '');
    const entry = {
      seq: ++this.seq,
      resource,
      ts: typeof obj?.ts === 'string' ? obj.ts : '',
      tsMs: parseTime(obj?.ts),
      stream: obj?.stream === 'stderr' ? 'stderr' : 'stdout',
      line,
      plain: stripAnsi(line),
    };
    this.ring(resource).push(entry);
    return entry;
  }

  clear(resource) {
    this.rings.get(resource)?.clear();
  }

  size(resource) {
    return this.rings.get(resource)?.length ?? 0;
  }

  /**
   * The lines of the given resources in time order (arrival order among equal or missing times).
   * @param {string[]} resources
   * @returns {LogEntry[]}
   */
  merged(resources) {
    const all = [];
    for (const name of resources) {
      const r = this.rings.get(name);
      if (r) {
        for (const e of r) {
          all.push(e);
        }
      }
    }
    if (resources.length > 1) {
      all.sort(compareEntries);
    }
    return all;
  }
}

/** Time order, arrival order for ties and for lines without a time. */
export function compareEntries(a, b) {
  const ta = Number.isFinite(a.tsMs) ? a.tsMs : null;
  const tb = Number.isFinite(b.tsMs) ? b.tsMs : null;
  if (ta !== null && tb !== null && ta !== tb) {
    return ta - tb;
  }
  return a.seq - b.seq;
}

/** The text of a download: one line per entry, "TIME RESOURCE STREAM | line" without escapes. */
export function toText(entries, { withResource = true } = {}) {
  return entries
    .map((e) => `${e.ts}${withResource ? ' ' + e.resource : ''} ${e.stream} | ${e.plain}`)
    .join('\n') + (entries.length ? '\n' : '');
}
