// The log search: plain text (case-insensitive) or /regex/flags, with the error of an invalid
// regular expression reported instead of thrown.
//
//   parseQuery("/err(or)?/i") → {kind: "regex", re: /err(or)?/gi, error: null}
//   parseQuery("/(/")         → {kind: "invalid", re: null, error: "Invalid regular expression: ..."}

/** @typedef {{kind: 'none'|'text'|'regex'|'invalid', source: string, re: RegExp|null, error: string|null}} Query */

function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** @returns {Query} */
export function parseQuery(input) {
  const source = input ?? '';
  if (source === '') {
    return { kind: 'none', source, re: null, error: null };
  }
  const m = /^\/(.+)\/([a-z]*)$/s.exec(source);
  if (m) {
    const flags = m[2];
    if (/[^imsu]/.test(flags) || new Set(flags).size !== flags.length) {
      return { kind: 'invalid', source, re: null, error: `unsupported regex flags '${flags}' (use i, m, s, u)` };
    }
    try {
      return { kind: 'regex', source, re: new RegExp(m[1], flags + 'g'), error: null };
    } catch (e) {
      return { kind: 'invalid', source, re: null, error: String(e.message ?? e) };
    }
  }
  return { kind: 'text', source, re: new RegExp(escapeRegex(source), 'gi'), error: null };
}

/** Whether the query selects anything (an empty or invalid query selects every line). */
export function isActive(query) {
  return query.kind === 'text' || query.kind === 'regex';
}

/**
 * The [start, end) ranges of every match of the query in text, in order, non-overlapping.
 * Empty matches are skipped (a pattern like x* must not loop or mark everything).
 * At most `limit` ranges are returned.
 */
export function findRanges(text, query, limit = 1000) {
  if (!isActive(query)) {
    return [];
  }
  const re = query.re;
  re.lastIndex = 0;
  const out = [];
  let m;
  while (out.length < limit && (m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex = m.index + 1;
      if (re.lastIndex > text.length) {
        break;
      }
      continue;
    }
    out.push([m.index, m.index + m[0].length]);
  }
  re.lastIndex = 0;
  return out;
}

/** Whether text has at least one non-empty match. */
export function matches(text, query) {
  return findRanges(text, query, 1).length > 0;
}

/**
 * The line filter of the log view.
 * @param {{stream: string}} entry
 * @param {string} plainText the line without escapes
 * @param {{query: Query, filter: boolean, stream: 'all'|'stdout'|'stderr'}} opts
 */
export function keepLine(entry, plainText, opts) {
  if (opts.stream !== 'all' && entry.stream !== opts.stream) {
    return false;
  }
  if (opts.filter && isActive(opts.query)) {
    return matches(plainText, opts.query);
  }
  return true;
}
