// Formatting of times, durations and sizes for the views. Pure.

/** Milliseconds since the epoch of an RFC 3339 time (nanoseconds allowed), or NaN. */
export function parseTime(ts) {
  if (typeof ts !== 'string' || ts === '') {
    return NaN;
  }
  // Date.parse is only specified for up to millisecond precision: cut the fraction to 3 digits.
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(ts);
  if (!m) {
    return Date.parse(ts);
  }
  const frac = m[2] ? '.' + m[2].slice(0, 3).padEnd(3, '0') : '';
  return Date.parse(m[1] + frac + (m[3] ?? 'Z'));
}

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

/** "HH:MM:SS.mmm" in local time or UTC ("…Z"), with the date when it is not today's. */
export function formatClock(ms, mode = 'local', now = Date.now()) {
  if (!Number.isFinite(ms)) {
    return '';
  }
  const d = new Date(ms);
  const utc = mode === 'utc';
  const y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = utc ? d.getUTCMonth() : d.getMonth();
  const da = utc ? d.getUTCDate() : d.getDate();
  const n = new Date(now);
  const sameDay = utc
    ? n.getUTCFullYear() === y && n.getUTCMonth() === mo && n.getUTCDate() === da
    : n.getFullYear() === y && n.getMonth() === mo && n.getDate() === da;
  const h = utc ? d.getUTCHours() : d.getHours();
  const mi = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  const time = `${pad(h)}:${pad(mi)}:${pad(s)}.${pad(d.getUTCMilliseconds(), 3)}${utc ? 'Z' : ''}`;
  return sameDay ? time : `${y}-${pad(mo + 1)}-${pad(da)} ${time}`;
}

/** "3s", "4m 05s", "2h 03m", "5d 04h" */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) {
    return '';
  }
  const s = Math.floor(ms / 1000);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${pad(s % 60)}s`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return `${h}h ${pad(m % 60)}m`;
  }
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

/** 1536 → "1.5 KiB" */
export function formatBytes(n) {
  if (!Number.isFinite(n)) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** The published ports of a view as short labels with their links. */
export function portLabels(ports) {
  return (ports ?? []).map((p) => ({
    label: `${p.host_port}→${p.container_port}${p.protocol && p.protocol !== 'tcp' ? '/' + p.protocol : ''}`,
    url: typeof p.url === 'string' && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(p.url) ? p.url : null,
  }));
}
