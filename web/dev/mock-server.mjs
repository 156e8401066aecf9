#!/usr/bin/env node
// A development mock of the control API (docs/control-api.md): serves web/dist with the real
// server's headers (CSP, nosniff...), the token login, the REST routes and the four WebSockets
// with fake but contract-shaped data. For working on the page only: the browser tests in
// tests/browser/ run against the real supervisor.
//
//   node web/build.mjs && node web/dev/mock-server.mjs [--port 8090] [--dist DIR] [--lag-every N]
//   open http://127.0.0.1:8090/login?token=devtoken
//
// Dev-only extras: POST /dev/external-stop/NAME (as a `docker stop` behind the tool's back),
// POST /dev/lag (sends `lagged` then a fresh snapshot on every events socket).

import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const port = Number(opt('--port', process.env.PORT ?? 8090));
const dist = resolve(opt('--dist', join(here, '..', 'dist')));
const lagEvery = Number(opt('--lag-every', 0));
const TOKEN = process.env.MOCK_TOKEN ?? 'devtoken';
const COOKIE = 'lightshuttle_session';
const SESSION = 'mock-session-' + Math.random().toString(16).slice(2);

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const now = () => new Date().toISOString();
const nanos = () => {
  const t = process.hrtime.bigint() % 1000000n;
  return new Date().toISOString().replace('Z', String(t).padStart(6, '0') + 'Z');
};

const started = now();
const project = 'quickstart';
const fixture = opt('--fixture', 'quickstart');
const quickstartPlan = [
  { name: 'db', kind: 'postgres', image: 'lightshuttle-test/postgres:15', ports: [{ container_port: 5432, protocol: 'tcp', host_ip: '127.0.0.1', host_port: 15432, url: null }], depends_on: [], health: 'healthy' },
  { name: 'cache', kind: 'redis', image: 'lightshuttle-test/redis:7', ports: [{ container_port: 6379, protocol: 'tcp', host_ip: '127.0.0.1', host_port: 16379, url: null }], depends_on: [], health: 'healthy' },
  { name: 'web', kind: 'dockerfile', image: 'quickstart_web:latest', ports: [{ container_port: 8080, protocol: 'tcp', host_ip: '127.0.0.1', host_port: 18080, url: 'http://127.0.0.1:18080/' }], depends_on: ['db', 'cache'], health: 'healthy' },
  { name: 'worker', kind: 'container', image: 'lightshuttle-test/busybox:latest', ports: [], depends_on: ['web'], health: 'starting' },
  { name: 'ticker', kind: 'container', image: 'lightshuttle-test/busybox:latest', ports: [], depends_on: ['db'], health: 'none' },
];
// --fixture browser: the resources of tests/browser/stack/lightshuttle.yml, to dry-run the browser tests.
const busybox = 'lightshuttle-test/busybox:latest';
const browserPlan = [
  { name: 'web', kind: 'container', image: busybox, ports: [{ container_port: 8080, protocol: 'tcp', host_ip: '127.0.0.1', host_port: 18081, url: 'http://127.0.0.1:18081/' }], depends_on: [], health: 'healthy' },
  { name: 'ticker', kind: 'container', image: busybox, ports: [], depends_on: ['web'], health: 'none' },
  { name: 'colors', kind: 'container', image: busybox, ports: [], depends_on: ['web'], health: 'none' },
  { name: 'sleeper', kind: 'container', image: busybox, ports: [], depends_on: [], health: 'none' },
];
const plan = fixture === 'browser' ? browserPlan : quickstartPlan;
// --flood N: N more resources, each printing 100 lines/s (the page-responsiveness load).
const flood = Number(opt('--flood', 0));
for (let i = 0; i < flood; i++) {
  plan.push({ name: `flood${i}`, kind: 'container', image: busybox, ports: [], depends_on: [], health: 'none' });
}
const views = new Map(plan.map((p, i) => [p.name, {
  name: p.name, kind: p.kind, status: 'running', health: p.health, restarts: 0, image: p.image,
  container_id: (i + 1).toString(16).repeat(64).slice(0, 64), container_name: `${project}_${p.name}`,
  ports: p.ports, depends_on: p.depends_on, started_at: started, ready_at: p.health === 'starting' ? null : started,
  exit_code: null, last_error: null, operation: null,
}]));
if (views.has('worker')) {
  views.get('worker').last_error = 'healthcheck: exit 1: /tmp/ready: not found';
}

function stackObj() {
  const vs = [...views.values()];
  const ready = vs.filter((v) => v.status === 'running' && v.health !== 'starting' && v.health !== 'unhealthy').length;
  const status = vs.every((v) => v.status === 'running') ? (ready === vs.length ? 'ready' : 'degraded') : 'degraded';
  return { project, status, supervisor_pid: process.pid, started_at: started, ready_at: started, version: '0.1.0',
    resources: vs.length, resources_ready: ready, dashboard_url: `http://127.0.0.1:${port}/` };
}

let seq = 0;
const eventSockets = new Set();
function broadcast(kind, name, patch = {}, extra = {}) {
  const v = name ? Object.assign(views.get(name), patch) : null;
  const msg = { type: 'event', seq: ++seq, event: { kind, resource: name, time: now(), message: extra.message ?? '',
    exit_code: extra.exit_code ?? null, container_id: v?.container_id ?? null, restarts: v?.restarts ?? 0, delay_ms: extra.delay_ms ?? null },
    resource: v, stack: stackObj() };
  const text = JSON.stringify(msg);
  for (const ws of eventSockets) {
    ws.send(text);
  }
  if (lagEvery && seq % lagEvery === 0) {
    lagAll();
  }
}
function snapshot() {
  return JSON.stringify({ type: 'snapshot', stack: stackObj(), resources: [...views.values()] });
}
function lagAll() {
  for (const ws of eventSockets) {
    ws.send(JSON.stringify({ type: 'lagged', missed: 3 }));
    ws.send(snapshot());
  }
}

const later = (ms, fn) => setTimeout(fn, ms);
function operate(name, op) {
  const v = views.get(name);
  if (op === 'stop') {
    broadcast('resource_stopped', name, { operation: 'stop' });
    later(600, () => broadcast('resource_stopped', name, { status: 'stopped', health: 'none', operation: null, exit_code: 0, started_at: null }));
    return;
  }
  if (op === 'restart') {
    broadcast('resource_restarting', name, { status: 'restarting', operation: 'restart' });
  }
  later(400, () => broadcast('resource_starting', name, { status: 'starting', operation: op, health: 'none' }));
  later(700, () => broadcast('resource_progress', name, {}, { message: 'creating container' }));
  later(1000, () => broadcast('resource_started', name, { status: 'running', started_at: now(), health: plan.find((p) => p.name === name).health === 'none' ? 'none' : 'starting', exit_code: null }));
  later(1600, () => broadcast('resource_healthy', name, { operation: null, ready_at: now(), health: v.health === 'none' ? 'none' : 'healthy', restarts: op === 'restart' ? v.restarts + 1 : v.restarts }));
}

// Chatty logs, as the browser tests' fixture stack prints.
const logSockets = new Map(plan.map((p) => [p.name, new Set()]));
const history = new Map(plan.map((p) => [p.name, []]));
function emit(name, stream, line) {
  const obj = { ts: nanos(), stream, line };
  const h = history.get(name);
  h.push(obj);
  if (h.length > 5000) {
    h.shift();
  }
  const text = JSON.stringify(obj);
  for (const ws of logSockets.get(name)) {
    ws.send(text);
  }
}
let n = 0;
const has = (name) => views.has(name);
setInterval(() => {
  n++;
  for (let i = 0; i < flood; i++) {
    for (let k = 0; k < 10; k++) {
      emit(`flood${i}`, k % 4 ? 'stdout' : 'stderr', `\x1b[3${k % 8}mflood ${i}\x1b[0m line ${n * 10 + k} {"k":${k},"msg":"some payload text to make the line realistic"}`);
    }
  }
  if (views.get('ticker').status === 'running') {
    emit('ticker', 'stdout', `line ${n}`);
  }
  if (has('colors') && n % 10 === 0) {
    emit('colors', 'stdout', '\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m plain');
    emit('colors', 'stdout', '<script>window.__lsXss=1</script><img src=x onerror=window.__lsXss=2> stays text');
    emit('colors', 'stdout', '{"level":"info","msg":"a json line"}');
    emit('colors', 'stderr', 'to stderr');
  }
  if (!has('db')) {
    return;
  }
  if (n % 10 === 0) {
    emit('web', 'stdout', `\x1b[32mGET\x1b[0m /health \x1b[1;34m200\x1b[0m ${(Math.random() * 3).toFixed(2)} ms`);
  }
  if (n % 17 === 0) {
    emit('web', 'stdout', JSON.stringify({ level: 'info', msg: 'request served', path: '/api/items', status: 200, ms: 3.2 }));
  }
  if (n % 25 === 0) {
    emit('db', 'stderr', `\x1b[33mWARNING:\x1b[0m checkpoints are occurring too frequently (${n} seconds apart)`);
  }
  if (n % 40 === 0) {
    emit('worker', 'stdout', '<script>alert("xss")</script> <img src=x onerror=alert(1)> stays text');
    emit('worker', 'stderr', '\x1b[38;5;208m256-colour orange\x1b[0m and \x1b[38;2;0;180;120mtrue colour\x1b[0m, \x1b[7minverse\x1b[27m, \x1b[4munderline\x1b[0m');
  }
}, 100);
for (let i = 0; i < 30 && has('db'); i++) {
  emit('db', 'stdout', `LOG:  database system is ready to accept connections (${i})`);
  emit('cache', 'stdout', `1:M ${new Date().toUTCString()} * Ready to accept connections tcp`);
}
if (has('worker')) {
  emit('worker', 'stdout', '<script>alert("xss")</script> stays text');
  emit('web', 'stdout', '\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m plain');
}

function authed(req) {
  if (req.headers.authorization === `Bearer ${TOKEN}`) {
    return true;
  }
  return (req.headers.cookie ?? '').split(/;\s*/).includes(`${COOKIE}=${SESSION}`);
}
function sameOrigin(req) {
  const o = req.headers.origin;
  return !o || o === `http://${req.headers.host}`;
}
function hostOk(req) {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(req.headers.host);
}

function send(res, status, body, type = 'application/json', extra = {}) {
  res.writeHead(status, { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer', 'Content-Type': type, ...extra });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

// Read at each request, so a rebuild (build.mjs --watch) is served without a restart.
const loadAssets = () => (existsSync(join(dist, 'assets.json')) ? JSON.parse(readFileSync(join(dist, 'assets.json'), 'utf8')) : []);
function serveAsset(req, res, path) {
  const a = loadAssets().find((x) => x.path === path);
  if (!a) {
    return false;
  }
  if (req.headers['if-none-match'] === a.etag) {
    send(res, 304, '', a.contentType, { ETag: a.etag });
    return true;
  }
  const body = readFileSync(join(dist, a.gzip ? a.file + '.gz' : a.file));
  send(res, 200, body, a.contentType, { ETag: a.etag, ...(a.gzip ? { 'Content-Encoding': 'gzip' } : {}), 'Cache-Control': 'no-cache' });
  return true;
}

const server = createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  const path = url.pathname;
  if (!hostOk(req)) {
    return send(res, 403, { error: 'forbidden host' });
  }
  if (!sameOrigin(req) || req.headers['sec-fetch-site'] === 'cross-site') {
    return send(res, 403, { error: 'cross-origin request refused' });
  }
  if (path === '/healthz') {
    return send(res, 200, { status: 'ok' });
  }
  if (path === '/login') {
    if (url.searchParams.get('token') === TOKEN) {
      return send(res, 303, '', 'text/plain', { Location: '/', 'Set-Cookie': `${COOKIE}=${SESSION}; HttpOnly; SameSite=Strict; Path=/` });
    }
    const page = loadAssets().find((a) => a.path === '/assets/login.html');
    return send(res, 401, readFileSync(join(dist, page.file + '.gz')), page.contentType, { 'Content-Encoding': 'gzip' });
  }
  if (!authed(req)) {
    // As the real server: an asset asked for without a session gets the login page.
    if (path === '/' || path.startsWith('/assets/')) {
      const page = loadAssets().find((a) => a.path === '/assets/login.html');
      return send(res, 401, readFileSync(join(dist, page.file + '.gz')), page.contentType, { 'Content-Encoding': 'gzip' });
    }
    return send(res, 401, { error: 'unauthorized' });
  }
  if (req.method === 'GET' && serveAsset(req, res, path)) {
    return;
  }
  const api = { 'Cache-Control': 'no-store' };
  if (path === '/api/v1/stack') {
    return send(res, 200, stackObj(), 'application/json', api);
  }
  if (path === '/api/v1/resources') {
    return send(res, 200, [...views.values()], 'application/json', api);
  }
  let m = /^\/api\/v1\/resources\/([^/]+)$/.exec(path);
  if (m && req.method === 'GET') {
    const v = views.get(decodeURIComponent(m[1]));
    if (!v) {
      return send(res, 404, { error: 'no such resource', resource: m[1] }, 'application/json', api);
    }
    return send(res, 200, { ...v,
      env: v.name === 'db' ? { POSTGRES_USER: 'app', POSTGRES_DB: 'app', POSTGRES_PASSWORD: '***' } : { LOG_LEVEL: 'info', DATABASE_URL: 'postgres://app:***@db:5432/app', API_TOKEN: '***' },
      healthcheck: v.health === 'none' ? null : { test: ['CMD-SHELL', 'pg_isready -U app'], interval_ms: 1000, timeout_ms: 3000, retries: 30, start_period_ms: 0 },
      restart_policy: 'on-failure:3', command: v.name === 'ticker' ? ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i"; usleep 100000; done'] : [],
      volumes: v.name === 'db' ? ['quickstart_db_data:/var/lib/postgresql/data'] : [] }, 'application/json', api);
  }
  m = /^\/api\/v1\/resources\/([^/]+)\/(restart|stop|start)$/.exec(path);
  if (m && req.method === 'POST') {
    const name = decodeURIComponent(m[1]);
    const v = views.get(name);
    if (!v) {
      return send(res, 404, { error: 'no such resource', resource: name }, 'application/json', api);
    }
    if (v.operation) {
      return send(res, 409, { error: `a ${v.operation} is running`, resource: name }, 'application/json', api);
    }
    send(res, 202, { operation: m[2], resource: name }, 'application/json', api);
    return operate(name, m[2]);
  }
  m = /^\/dev\/external-stop\/([^/]+)$/.exec(path);
  if (m && req.method === 'POST') {
    const name = decodeURIComponent(m[1]);
    send(res, 204, '');
    return broadcast('resource_exited', name, { status: 'exited', health: 'none', exit_code: 137, last_error: 'exited with code 137 (stopped outside LightShuttle)' }, { exit_code: 137 });
  }
  if (path === '/dev/lag' && req.method === 'POST') {
    send(res, 204, '');
    return lagAll();
  }
  return send(res, 404, { error: 'not found' }, 'application/json', api);
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  if (!hostOk(req) || !authed(req) || !req.headers.origin || !sameOrigin(req)) {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const path = url.pathname;
    if (path === '/api/v1/events/ws') {
      eventSockets.add(ws);
      ws.on('close', () => eventSockets.delete(ws));
      ws.send(snapshot());
      return;
    }
    let m = /^\/api\/v1\/resources\/([^/]+)\/logs\/ws$/.exec(path);
    if (m && logSockets.has(decodeURIComponent(m[1]))) {
      const name = decodeURIComponent(m[1]);
      const tail = Number(url.searchParams.get('tail') ?? 100);
      for (const l of history.get(name).slice(-tail)) {
        ws.send(JSON.stringify(l));
      }
      logSockets.get(name).add(ws);
      ws.on('close', () => logSockets.get(name).delete(ws));
      return;
    }
    m = /^\/api\/v1\/resources\/([^/]+)\/stats\/ws$/.exec(path);
    if (m && views.has(decodeURIComponent(m[1]))) {
      const name = decodeURIComponent(m[1]);
      let mem = 20e6 + Math.random() * 5e6;
      const t = setInterval(() => {
        if (views.get(name).status !== 'running') {
          clearInterval(t);
          ws.close(1011, 'no running container');
          return;
        }
        mem = Math.max(5e6, mem + (Math.random() - 0.45) * 1e6);
        ws.send(JSON.stringify({ ts: now(), cpu_percent: Math.random() * 12, memory_bytes: Math.round(mem), memory_limit_bytes: 25165824000,
          net_rx_bytes: 1234, net_tx_bytes: 567, block_read_bytes: 0, block_write_bytes: 4096, pids: 7 }));
      }, 1000);
      ws.on('close', () => clearInterval(t));
      return;
    }
    m = /^\/api\/v1\/resources\/([^/]+)\/exec\/ws$/.exec(path);
    if (m) {
      fakeShell(ws);
      return;
    }
    ws.close(1008, 'not found');
  });
});

// A tiny line-editing "shell": echoes keys, runs `echo $((a*b))`, `exit [N]`, anything else echoes back.
function fakeShell(ws) {
  let line = '';
  const out = (s) => ws.send(Buffer.from(s));
  out('/ # ');
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      return; // resize
    }
    for (const ch of data.toString()) {
      if (ch === '\r') {
        out('\r\n');
        const cmd = line.trim();
        line = '';
        const exit = /^exit(?:\s+(\d+))?$/.exec(cmd);
        if (exit) {
          ws.send(JSON.stringify({ type: 'exit', exit_code: Number(exit[1] ?? 0) }));
          ws.close(1000);
          return;
        }
        const arith = /^echo \$\(\((\d+)\s*([*+-])\s*(\d+)\)\)$/.exec(cmd);
        if (arith) {
          const [a, op, b] = [Number(arith[1]), arith[2], Number(arith[3])];
          out(`${op === '*' ? a * b : op === '+' ? a + b : a - b}\r\n`);
        } else if (cmd.startsWith('echo ')) {
          out(cmd.slice(5) + '\r\n');
        } else if (cmd) {
          out(`sh: ${cmd.split(' ')[0]}: not found\r\n`);
        }
        out('/ # ');
      } else if (ch === '\x7f') {
        if (line) {
          line = line.slice(0, -1);
          out('\b \b');
        }
      } else {
        line += ch;
        out(ch);
      }
    }
  });
}

server.listen(port, '127.0.0.1', () => {
  console.log(`mock control API on http://127.0.0.1:${port}/ — log in at http://127.0.0.1:${port}/login?token=${TOKEN}`);
});
