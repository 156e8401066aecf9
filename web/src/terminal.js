// The exec terminal (xterm.js), loaded as its own chunk only when the user opens a terminal.
//
// Binary frames carry the TTY's bytes both ways; a text frame {"type":"resize",...} resizes it and
// the server's {"type":"exit","exit_code":N} ends the session (docs/control-api.md, exec WebSocket).

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { sockets } from './lib/api.js';

// NOTE: xterm's DOM renderer writes its theme and cell sizes into <style> elements, which the
// dashboard's CSP (style-src 'self', no 'unsafe-inline') refuses (an empty one too). Constructed
// style sheets are CSSOM, which the CSP allows: a <style> asked for from here on is an inert
// <template> whose text goes to an adopted sheet of its own.
let shimmed = false;
function installStyleShim() {
  if (shimmed || typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in document)) {
    return;
  }
  shimmed = true;
  const create = document.createElement.bind(document);
  document.createElement = function (tag, options) {
    if (String(tag).toLowerCase() !== 'style') {
      return create(tag, options);
    }
    const el = create('template');
    el.dataset.adoptedStyle = '';
    const sheet = new CSSStyleSheet();
    let text = '';
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    Object.defineProperty(el, 'textContent', {
      get: () => text,
      set: (v) => {
        text = String(v ?? '');
        sheet.replaceSync(text);
      },
    });
    const remove = el.remove.bind(el);
    el.remove = () => {
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
      remove();
    };
    return el;
  };
}

function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * Opens a terminal on the resource in `container`.
 * @returns {{close: () => void}}
 */
export function openTerminal(container, resource, { cmd = 'sh', onState = () => {} } = {}) {
  installStyleShim();
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 13,
    scrollback: 2000,
    theme: {
      background: cssVar('--term-bg', '#111318'),
      foreground: cssVar('--term-fg', '#e6e6e6'),
      cursor: cssVar('--term-fg', '#e6e6e6'),
    },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(container);
  try {
    fit.fit();
  } catch {
    // not laid out yet: the initial 80×24 stays
  }

  const encoder = new TextEncoder();
  const ws = new WebSocket(sockets.exec(resource, term.cols, term.rows, cmd));
  ws.binaryType = 'arraybuffer';
  let ended = false;
  onState('connecting');
  ws.addEventListener('open', () => {
    onState('open');
    term.focus();
  });
  ws.addEventListener('message', (e) => {
    if (typeof e.data === 'string') {
      let msg = null;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg?.type === 'exit') {
        ended = true;
        term.write(`\r\n\x1b[2m[exited with code ${msg.exit_code}]\x1b[0m\r\n`);
        onState('exited', msg.exit_code);
      }
      return;
    }
    term.write(new Uint8Array(e.data));
  });
  ws.addEventListener('close', (e) => {
    if (!ended) {
      term.write(`\r\n\x1b[2m[connection closed${e.reason ? ': ' + e.reason : ''}]\x1b[0m\r\n`);
    }
    onState('closed');
  });
  const send = (data) => {
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(data);
    }
  };
  term.onData((d) => send(encoder.encode(d)));
  term.onBinary((d) => send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)));
  term.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })));
  const ro = new ResizeObserver(() => {
    try {
      fit.fit();
    } catch {
      // hidden: keep the size
    }
  });
  ro.observe(container);

  return {
    term,
    close() {
      ro.disconnect();
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        ws.close(1000);
      }
      term.dispose();
    },
  };
}
