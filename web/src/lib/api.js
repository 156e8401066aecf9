// The control API as the page uses it (docs/control-api.md). Same origin only: the session cookie
// rides along, and the server checks Origin on POSTs and WebSocket upgrades.

export class ApiError extends Error {
  constructor(status, message, resource) {
    super(message);
    this.status = status;
    this.resource = resource;
  }
}

/** Where the login-failure page is; a 401 anywhere sends the page there. */
export const LOGIN_PAGE = '/assets/login.html';

async function request(method, path) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    cache: 'no-store',
  });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.status === 401) {
    location.replace(LOGIN_PAGE);
  }
  if (!res.ok) {
    throw new ApiError(res.status, body?.error ?? `${method} ${path}: HTTP ${res.status}`, body?.resource);
  }
  return body;
}

const enc = encodeURIComponent;

export const api = {
  stack: () => request('GET', '/api/v1/stack'),
  resources: () => request('GET', '/api/v1/resources'),
  resource: (name) => request('GET', `/api/v1/resources/${enc(name)}`),
  /** op: restart | stop | start */
  operate: (name, op) => request('POST', `/api/v1/resources/${enc(name)}/${op}`),
};

/** A WebSocket URL on this origin. */
export function wsUrl(path) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${path}`;
}

export const sockets = {
  events: () => wsUrl('/api/v1/events/ws'),
  logs: (name, tail) => wsUrl(`/api/v1/resources/${enc(name)}/logs/ws?tail=${tail}`),
  stats: (name) => wsUrl(`/api/v1/resources/${enc(name)}/stats/ws`),
  exec: (name, cols, rows, cmd = 'sh') =>
    wsUrl(`/api/v1/resources/${enc(name)}/exec/ws?cmd=${enc(cmd)}&cols=${cols}&rows=${rows}`),
};
