// JSON log lines: recognise one and pretty-print it on demand.

/** The parsed value when the whole line (escapes stripped, trimmed) is a JSON object or array. */
export function parseJsonLine(plain) {
  const t = plain.trim();
  if (t.length < 2) {
    return undefined;
  }
  const first = t[0];
  const last = t[t.length - 1];
  if (!((first === '{' && last === '}') || (first === '[' && last === ']'))) {
    return undefined;
  }
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/** The line pretty-printed with two-space indentation, or null when it is not a JSON line. */
export function prettyJsonLine(plain) {
  const v = parseJsonLine(plain);
  return v === undefined ? null : JSON.stringify(v, null, 2);
}
