"""Part "api": the control plane of a supervised 50-resource stack.

- GET /api/v1/resources at a fixed rate (open loop, ls_bench_api) against the peer that answers the
  same question for docker compose: the engine's own GET /containers/json filtered on the project
  (what `docker compose ps` asks), on the same machine in the same run;
- engine event -> our WebSocket message: `docker kill` of a container (Engine API), the daemon's
  timeNano of its `die` against the time each of N open events sockets received `resource_exited`;
- the supervisor's RSS with the sockets open, and its CPU while idle with them open.
Loopback and the engine's unix socket only; every loop is bounded in count and time."""
from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import threading
import time

from . import shapes
from .boot import log, prepare
from .engine import API, Engine, Watcher, ev_name, ev_time, q, socket_path
from .tools import LightShuttle


class WebSocket:
    """A minimal RFC 6455 client (text frames, no extensions) for the bench's own measurements."""

    def __init__(self, port: int, path: str, token: str, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket: closed during the handshake")
            head += chunk
        status, self._buf = head.split(b"\r\n\r\n", 1)
        first = status.split(b"\r\n")[0]
        if b" 101 " not in first:
            raise RuntimeError("websocket: " + first.decode(errors="replace"))
        self.sock.settimeout(None)  # an events socket is quiet while the stack is

    def _read(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def recv(self) -> str | None:
        """The next text message (None when the server closed)."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            op, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            if op == 8:
                return None
            if op in (9, 10):
                continue
            message += payload
            if b0 & 0x80:
                return message.decode(errors="replace")

    def close(self):
        try:
            self.sock.sendall(bytes([0x88, 0x80]) + os.urandom(4))  # masked close, empty payload
        except OSError:
            pass
        self.sock.close()


def _rfc3339(text: str) -> float:
    import datetime
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _percentile(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def _status(path: str) -> dict:
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _load(load_bin: str, args: list[str]) -> dict:
    r = subprocess.run([load_bin] + args, capture_output=True, text=True, timeout=120, check=False)
    if not r.stdout.strip():
        raise RuntimeError(f"ls_bench_api failed: {r.stderr[-500:]}")
    return json.loads(r.stdout)


def run(engine: Engine, ls_bin: str, load_bin: str, stacks_dir: str, logdir: str, warnings: list[str],
        rate: float = 500, seconds: float = 10, sockets: int = 20, kills: int = 20,
        events_bin: str | None = None) -> dict:
    shape = shapes.SHAPES["wide50"]
    project = "lsapi"
    where = os.path.join(stacks_dir, "api")
    lf, _ = shapes.write(shape, where, project)
    # A project the engine still holds (a stuck network) moves to a new name: the manifest follows.
    tool = LightShuttle(ls_bin, project, engine, logdir, on_rename=lambda p: shapes.write(shape, where, p))
    prepare(engine, tool, warnings, "api")
    res: dict = {"resources": len(shape.services), "rate": rate, "seconds": seconds, "sockets": sockets}
    up = tool.up(shape, {"ls": lf})
    open_ws: list[WebSocket] = []
    try:
        info = json.loads(subprocess.check_output([ls_bin, "dashboard", "--json", "-p", tool.project]))
        token = info["token"]
        port = int(info["url"].rstrip("/").rsplit(":", 1)[1])
        pid = up["supervisor_pid"]
        res["rss_before_kib"] = int(_status(f"/proc/{pid}/status")["VmRSS"].split()[0])

        log(f"api: GET /api/v1/resources at {rate:.0f}/s for {seconds:.0f} s, then the engine's /containers/json")
        res["ours"] = _load(load_bin, ["--tcp", f"127.0.0.1:{port}", "--token", token, "--path", "/api/v1/resources",
                                       "--rate", str(rate), "--seconds", str(seconds)])
        # The floor of this machine for the loader itself: the engine's /_ping (2 bytes, no work).
        res["floor"] = _load(load_bin, ["--unix", socket_path(), "--path", "/_ping", "--rate", str(rate),
                                        "--seconds", str(seconds)])
        res["ours_healthz"] = _load(load_bin, ["--tcp", f"127.0.0.1:{port}", "--path", "/healthz",
                                               "--rate", str(rate), "--seconds", str(seconds)])
        filt = q({"label": [f"lightshuttle.project={tool.project}"]})
        res["engine"] = _load(load_bin, ["--unix", socket_path(), "--path",
                                         f"/{API}/containers/json?all=1&filters={filt}",
                                         "--rate", str(rate), "--seconds", str(seconds)])

        # N event sockets: each reads its snapshot, then records when each event arrived.
        arrivals: list[dict[str, float]] = [dict() for _ in range(sockets)]
        emitted: list[dict[str, float]] = [dict() for _ in range(sockets)]  # the supervisor's event time

        def reader(i: int, ws: WebSocket):
            try:
                ws.recv()  # snapshot
                while True:
                    msg = ws.recv()
                    t = time.time()
                    if msg is None:
                        return
                    m = json.loads(msg)
                    ev = m.get("event") or {}
                    if m.get("type") == "event" and ev.get("kind") == "resource_exited":
                        arrivals[i].setdefault(ev["resource"], t)
                        emitted[i].setdefault(ev["resource"], _rfc3339(ev["time"]))
            except (OSError, EOFError, ValueError):
                return

        threads = []
        native = None
        if events_bin and os.path.exists(events_bin):
            # The sockets are read by ls_bench_events (C++, one thread): no Python wake-up in the figure.
            res["reader"] = "ls_bench_events"
            native = subprocess.Popen([events_bin, "--port", str(port), "--token", token, "--sockets", str(sockets),
                                       "--seconds", str(10.0 + 1.5 + kills * 0.3 + 6.0)],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        else:
            res["reader"] = "python threads"
            for i in range(sockets):
                ws = WebSocket(port, "/api/v1/events/ws", token)
                open_ws.append(ws)
                th = threading.Thread(target=reader, args=(i, ws), daemon=True)
                th.start()
                threads.append(th)
        time.sleep(1.5)
        res["rss_sockets_kib"] = int(_status(f"/proc/{pid}/status")["VmRSS"].split()[0])
        res["hwm_kib"] = int(_status(f"/proc/{pid}/status")["VmHWM"].split()[0])
        idle_s = 10.0
        c0, t0 = _cpu_ticks(pid), time.time()
        time.sleep(idle_s)
        ticks = _cpu_ticks(pid) - c0
        hz = os.sysconf("SC_CLK_TCK")
        res["idle_cpu_percent"] = 100.0 * ticks / hz / (time.time() - t0)

        log(f"api: {kills} kills, each seen by {sockets} sockets")
        watcher = Watcher(tool.label)
        names = [s.name for s in shape.services][:kills]
        try:
            for n in names:
                engine.call("POST", f"/containers/{tool.project}_{n}/kill")
                time.sleep(0.3)
            if native is not None:
                out, _ = native.communicate(timeout=60)
                for line in out.splitlines():
                    i, n, recv, emit = json.loads(line)
                    arrivals[i].setdefault(n, recv)
                    emitted[i].setdefault(n, emit)
            deadline = time.time() + 10
            while time.time() < deadline and not all(len(a) >= len(names) for a in arrivals):
                time.sleep(0.1)
            dies = {}
            for ev in watcher.snapshot():
                if ev.get("Action") == "die":
                    dies.setdefault(ev_name(ev).removeprefix(f"{tool.project}_"), ev_time(ev))
        finally:
            watcher.close()
        lat, sup_lat, seen_lat = [], [], []
        missing = 0
        for a, e in zip(arrivals, emitted):
            for n in names:
                if n in a and n in dies:
                    lat.append((a[n] - dies[n]) * 1000.0)
                    sup_lat.append((a[n] - e[n]) * 1000.0)
                    seen_lat.append((e[n] - dies[n]) * 1000.0)
                else:
                    missing += 1

        def summary(xs):
            return {"samples": len(xs), "missing": missing, "p50": _percentile(xs, 50), "p99": _percentile(xs, 99),
                    "max": max(xs) if xs else 0.0}
        res["event_latency_ms"] = summary(lat)                 # engine die -> client
        res["event_after_supervisor_ms"] = summary(sup_lat)    # supervisor's event -> client
        res["engine_to_supervisor_ms"] = summary(seen_lat)     # engine die -> supervisor's event
    finally:
        for ws in open_ws:
            ws.close()
        try:
            res["down"] = tool.down(shape, {"ls": lf})
        except Exception as err:  # noqa: BLE001
            warnings.append(f"api: down failed: {err}")
            tool.force_clean()
    return res


def render(a: dict) -> str:
    ours, eng = a["ours"], a["engine"]
    lines = ["## Control API (50 resources, supervised)", "",
             f"GET at {a['rate']:.0f} requests/s for {a['seconds']:.0f} s, open loop over 8 keep-alive connections; "
             "latency from each request's scheduled time.", "",
             "| endpoint | requests | errors | p50 ms | p99 ms | p99.9 ms | max ms | bytes |",
             "|---|---|---|---|---|---|---|---|"]
    rows = [("ours: GET /api/v1/resources", ours)]
    if a.get("ours_healthz"):
        rows.append(("ours: GET /healthz", a["ours_healthz"]))
    if a.get("floor"):
        rows.append(("floor: the engine's GET /_ping", a["floor"]))
    rows.append(("engine: GET /containers/json (project filter)", eng))
    for name, r in rows:
        lines.append(f"| {name} | {r['requests']} | {r['errors'] + r['non_2xx']} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {r['max_ms']:.2f} | {r['bytes_per_response']:.0f} |")
    ratio = ours["p99_ms"] / eng["p99_ms"] if eng["p99_ms"] else 0.0
    el = a["event_latency_ms"]
    sl = a.get("event_after_supervisor_ms", el)
    es = a.get("engine_to_supervisor_ms", el)
    lines += ["", f"p99 ours/engine: {ratio:.4f}x (the engine answers the same question, the project's containers, "
              f"as `docker compose ps` asks it; it could not keep up with {a['rate']:.0f}/s when its p50 is far above "
              f"its service time).", "",
              f"Engine `die` -> `resource_exited` on each of {a['sockets']} events sockets: p50 {el['p50']:.1f} ms, "
              f"p99 {el['p99']:.1f} ms, max {el['max']:.1f} ms ({el['samples']} samples, {el['missing']} missing): "
              f"engine -> supervisor p50 {es['p50']:.1f} / p99 {es['p99']:.1f} ms (the engine's event stream), "
              f"supervisor -> client p50 {sl['p50']:.1f} / p99 {sl['p99']:.1f} ms (the event's own time to the "
              f"socket's receipt; reader: {a.get('reader', 'python threads')}).", "",
              f"Supervisor RSS: {a['rss_before_kib'] / 1024:.1f} MiB before, {a['rss_sockets_kib'] / 1024:.1f} MiB with "
              f"{a['sockets']} sockets open (peak {a['hwm_kib'] / 1024:.1f} MiB); idle CPU with them open "
              f"{a['idle_cpu_percent']:.3f} %.", ""]
    return "\n".join(lines)
