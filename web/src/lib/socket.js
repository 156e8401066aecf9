// A WebSocket that reconnects with backoff (0.5 s doubling to 5 s) until closed by the page.

export class ReconnectingSocket {
  /**
   * @param {() => string} url called before each connection (so it can carry a fresh `since`)
   * @param {{onMessage: (data: any) => void, onState?: (state: 'connecting'|'open'|'closed') => void,
   *          onGiveUp?: () => void, retry?: (close: CloseEvent) => boolean}} handlers
   *   retry: whether to reconnect after this close (default: always)
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.delay = 500;
    this.closed = false;
    this.ws = null;
    this.timer = null;
    this.failures = 0;
    this.connect();
  }

  connect() {
    if (this.closed) {
      return;
    }
    this.handlers.onState?.('connecting');
    let opened = false;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener('open', () => {
      opened = true;
      this.delay = 500;
      this.failures = 0;
      this.handlers.onState?.('open');
    });
    ws.addEventListener('message', (e) => {
      if (typeof e.data !== 'string') {
        return;
      }
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      this.handlers.onMessage(msg);
    });
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws) {
        return;
      }
      this.ws = null;
      this.handlers.onState?.('closed', e);
      if (this.closed || (this.handlers.retry && !this.handlers.retry(e))) {
        return;
      }
      if (!opened) {
        this.failures++;
        if (this.failures === 3) {
          this.handlers.onGiveUp?.();
        }
      }
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    });
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }
}
