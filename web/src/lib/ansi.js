// ANSI SGR escape sequences → styled segments. Pure: no DOM here (see dom.js for rendering).
//
// A log line is hostile input: this module only ever produces plain strings and small style
// records; the renderer puts each segment's text into a span with textContent.
//
//   parseAnsi("\x1b[31merror\x1b[0m ok") →
//     [{text: "error", style: {fg: 1}}, {text: " ok", style: {}}]
//
// Colours are a palette index (0–255) or "#rrggbb". Escapes other than SGR (cursor moves, OSC
// titles, erase-line) are dropped; C0 control characters other than tab are dropped too.

/** @typedef {{fg?: number|string, bg?: number|string, bold?: boolean, dim?: boolean,
 *   italic?: boolean, underline?: boolean, inverse?: boolean, strike?: boolean}} Style */
/** @typedef {{text: string, style: Style}} Segment */

const ESC = '\x1b';

function hex2(n) {
  return n.toString(16).padStart(2, '0');
}

function clampByte(n) {
  return Number.isFinite(n) ? Math.max(0, Math.min(255, n)) : 0;
}

/** Applies one SGR parameter list (already split on ';' or ':') to a style; returns the new style. */
export function applySgr(style, params) {
  const s = { ...style };
  if (params.length === 0) {
    params = [0];
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0 || Number.isNaN(p)) {
      for (const k of Object.keys(s)) {
        delete s[k];
      }
    } else if (p === 1) {
      s.bold = true;
    } else if (p === 2) {
      s.dim = true;
    } else if (p === 3) {
      s.italic = true;
    } else if (p === 4) {
      s.underline = true;
    } else if (p === 7) {
      s.inverse = true;
    } else if (p === 9) {
      s.strike = true;
    } else if (p === 21 || p === 22) {
      delete s.bold;
      delete s.dim;
    } else if (p === 23) {
      delete s.italic;
    } else if (p === 24) {
      delete s.underline;
    } else if (p === 27) {
      delete s.inverse;
    } else if (p === 29) {
      delete s.strike;
    } else if (p >= 30 && p <= 37) {
      s.fg = p - 30;
    } else if (p === 39) {
      delete s.fg;
    } else if (p >= 40 && p <= 47) {
      s.bg = p - 40;
    } else if (p === 49) {
      delete s.bg;
    } else if (p >= 90 && p <= 97) {
      s.fg = p - 90 + 8;
    } else if (p >= 100 && p <= 107) {
      s.bg = p - 100 + 8;
    } else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      if (params[i + 1] === 5 && i + 2 < params.length) {
        s[key] = clampByte(params[i + 2]);
        i += 2;
      } else if (params[i + 1] === 2 && i + 4 < params.length) {
        const [r, g, b] = params.slice(i + 2, i + 5).map(clampByte);
        s[key] = `#${hex2(r)}${hex2(g)}${hex2(b)}`;
        i += 4;
      } else {
        break; // malformed extended colour: ignore the rest of this sequence
      }
    }
    // Anything else (blink, fonts, overline...) is ignored.
  }
  return s;
}

function sameStyle(a, b) {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) {
    return false;
  }
  return ka.every((k) => a[k] === b[k]);
}

/**
 * Splits a line into styled segments.
 * @param {string} line
 * @param {Style} [initial] the style in force at the start of the line
 * @returns {{segments: Segment[], style: Style}} the segments and the style at the end of the line
 */
export function parseAnsiWithState(line, initial = {}) {
  /** @type {Segment[]} */
  const segments = [];
  let style = { ...initial };
  let text = '';
  const flush = () => {
    if (text === '') {
      return;
    }
    const last = segments[segments.length - 1];
    if (last && sameStyle(last.style, style)) {
      last.text += text;
    } else {
      segments.push({ text, style: { ...style } });
    }
    text = '';
  };
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line[i];
    if (c === ESC) {
      const next = line[i + 1];
      if (next === '[') {
        // CSI: parameters 0x30–0x3F, intermediates 0x20–0x2F, one final byte 0x40–0x7E.
        let j = i + 2;
        while (j < n && line.charCodeAt(j) >= 0x30 && line.charCodeAt(j) <= 0x3f) {
          j++;
        }
        const paramText = line.slice(i + 2, j);
        while (j < n && line.charCodeAt(j) >= 0x20 && line.charCodeAt(j) <= 0x2f) {
          j++;
        }
        if (j >= n) {
          i = n; // truncated sequence: drop it
          break;
        }
        const final = line[j];
        if (final === 'm' && /^[0-9;:]*$/.test(paramText)) {
          flush();
          const params = paramText === '' ? [] : paramText.split(/[;:]/).map((x) => (x === '' ? 0 : Number(x)));
          style = applySgr(style, params);
        }
        i = j + 1;
        continue;
      }
      if (next === ']') {
        // OSC: ends with BEL or ESC \.
        let j = i + 2;
        while (j < n && line[j] !== '\x07' && !(line[j] === ESC && line[j + 1] === '\\')) {
          j++;
        }
        i = j >= n ? n : line[j] === '\x07' ? j + 1 : j + 2;
        continue;
      }
      // Other two-character escapes (ESC c, ESC =, ESC ( B...): drop the escape and its next char.
      i += next === '(' || next === ')' ? 3 : 2;
      continue;
    }
    const code = line.charCodeAt(i);
    if ((code < 0x20 && c !== '\t') || code === 0x7f) {
      i++;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return { segments, style };
}

/** Splits a line into styled segments, starting unstyled. */
export function parseAnsi(line) {
  return parseAnsiWithState(line).segments;
}

/** The line without any escape sequence or control character. */
export function stripAnsi(line) {
  return parseAnsi(line)
    .map((s) => s.text)
    .join('');
}

/** The 256-colour palette entry for indices 16–255 as "#rrggbb" (0–15 are themed by CSS). */
export function xterm256(index) {
  if (index < 16) {
    return null;
  }
  if (index < 232) {
    const i = index - 16;
    const steps = [0, 95, 135, 175, 215, 255];
    const r = steps[Math.floor(i / 36)];
    const g = steps[Math.floor(i / 6) % 6];
    const b = steps[i % 6];
    return `#${hex2(r)}${hex2(g)}${hex2(b)}`;
  }
  const v = 8 + (index - 232) * 10;
  return `#${hex2(v)}${hex2(v)}${hex2(v)}`;
}

/**
 * Splits segments at the given [start, end) ranges of the plain text, marking the covered parts
 * (search highlight over coloured text).
 * @param {Segment[]} segments
 * @param {Array<[number, number]>} ranges sorted, non-overlapping
 * @returns {Array<Segment & {mark?: boolean}>}
 */
export function markRanges(segments, ranges) {
  if (!ranges.length) {
    return segments;
  }
  const out = [];
  let pos = 0;
  let r = 0;
  for (const seg of segments) {
    const segStart = pos;
    const segEnd = pos + seg.text.length;
    let cursor = segStart;
    while (cursor < segEnd) {
      while (r < ranges.length && ranges[r][1] <= cursor) {
        r++;
      }
      if (r >= ranges.length || ranges[r][0] >= segEnd) {
        out.push({ text: seg.text.slice(cursor - segStart), style: seg.style });
        cursor = segEnd;
        break;
      }
      const [a, b] = ranges[r];
      if (a > cursor) {
        out.push({ text: seg.text.slice(cursor - segStart, a - segStart), style: seg.style });
        cursor = a;
      }
      const stop = Math.min(b, segEnd);
      out.push({ text: seg.text.slice(cursor - segStart, stop - segStart), style: seg.style, mark: true });
      cursor = stop;
    }
    pos = segEnd;
  }
  return out;
}
