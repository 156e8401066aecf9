// DOM helpers. Text always goes in through textContent / createTextNode: nothing in the dashboard
// assigns innerHTML, so no log line, env value or error message can become markup.

import { xterm256 } from './ansi.js';

/**
 * Creates an element.
 * @param {string} tag
 * @param {object} [props] class, text, attrs {name: value}, data {key: value}, on {event: fn}, and
 *   any plain property (type, value, disabled, href, title...)
 * @param {...(Node|string|null|undefined|false)} children strings become text nodes
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null) {
      continue;
    }
    if (k === 'class') {
      el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    } else if (k === 'text') {
      el.textContent = v;
    } else if (k === 'attrs') {
      for (const [a, av] of Object.entries(v)) {
        if (av !== undefined && av !== null && av !== false) {
          el.setAttribute(a, av === true ? '' : String(av));
        }
      }
    } else if (k === 'data') {
      for (const [a, av] of Object.entries(v)) {
        if (av !== undefined && av !== null) {
          el.dataset[a] = String(av);
        }
      }
    } else if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) {
        el.addEventListener(ev, fn);
      }
    } else {
      el[k] = v;
    }
  }
  append(el, ...children);
  return el;
}

export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return el;
}

/** Removes every child. */
export function clear(el) {
  while (el.firstChild) {
    el.removeChild(el.firstChild);
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') {
      el.textContent = v;
    } else if (v !== undefined && v !== null) {
      el.setAttribute(k, String(v));
    }
  }
  append(el, ...children);
  return el;
}

/**
 * Appends ANSI segments as spans: the 16 base colours are CSS classes (themed for light and dark),
 * 256-colour and true colour go through element.style (allowed by the CSP, unlike style="").
 */
export function appendSegments(parent, segments) {
  for (const seg of segments) {
    const s = seg.style;
    const plain = !seg.mark && Object.keys(s).length === 0;
    if (plain) {
      parent.appendChild(document.createTextNode(seg.text));
      continue;
    }
    const el = document.createElement(seg.mark ? 'mark' : 'span');
    const cls = [];
    let fg = s.fg;
    let bg = s.bg;
    if (s.inverse) {
      [fg, bg] = [bg ?? 'default-bg', fg ?? 'default-fg'];
    }
    colour(el, cls, 'fg', fg);
    colour(el, cls, 'bg', bg);
    if (s.bold) cls.push('ansi-bold');
    if (s.dim) cls.push('ansi-dim');
    if (s.italic) cls.push('ansi-italic');
    if (s.underline) cls.push('ansi-underline');
    if (s.strike) cls.push('ansi-strike');
    if (cls.length) {
      el.className = cls.join(' ');
    }
    el.textContent = seg.text;
    parent.appendChild(el);
  }
  return parent;
}

function colour(el, cls, which, c) {
  if (c === undefined) {
    return;
  }
  if (c === 'default-fg' || c === 'default-bg') {
    cls.push(`ansi-${which}-${c}`);
    return;
  }
  if (typeof c === 'number' && c < 16) {
    cls.push(`ansi-${which}-${c}`);
    return;
  }
  const css = typeof c === 'number' ? xterm256(c) : c;
  if (css) {
    if (which === 'fg') {
      el.style.color = css;
    } else {
      el.style.backgroundColor = css;
    }
  }
}
