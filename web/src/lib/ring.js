// A bounded FIFO of log entries: pushing past the capacity drops the oldest, so a chatty
// container costs at most `capacity` entries of memory however long the page stays open.

export class RingBuffer {
  /** @param {number} capacity at least 1 */
  constructor(capacity) {
    if (!(capacity >= 1)) {
      throw new RangeError('capacity must be at least 1');
    }
    this.capacity = Math.floor(capacity);
    this.items = new Array(this.capacity);
    this.start = 0;
    this.length = 0;
    /** how many entries were dropped from the front since the last clear() */
    this.dropped = 0;
  }

  /** Appends one entry; returns the entry dropped to make room, or undefined. */
  push(item) {
    if (this.length < this.capacity) {
      this.items[(this.start + this.length) % this.capacity] = item;
      this.length++;
      return undefined;
    }
    const old = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    this.dropped++;
    return old;
  }

  /** The i-th entry from the oldest (0) to the newest (length - 1); undefined out of range. */
  at(i) {
    if (i < 0) {
      i += this.length;
    }
    if (i < 0 || i >= this.length) {
      return undefined;
    }
    return this.items[(this.start + i) % this.capacity];
  }

  clear() {
    this.items = new Array(this.capacity);
    this.start = 0;
    this.length = 0;
    this.dropped = 0;
  }

  *[Symbol.iterator]() {
    for (let i = 0; i < this.length; i++) {
      yield this.items[(this.start + i) % this.capacity];
    }
  }

  toArray() {
    return Array.from(this);
  }
}
