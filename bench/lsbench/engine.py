"""A minimal Docker Engine API client over the unix socket (http.client, stdlib only), and an
independent /events watcher used to observe readiness without trusting any tool's own output."""
from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
import urllib.parse

API = "v1.41"  # Docker Engine 20.10


def socket_path() -> str:
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    if host:
        raise SystemExit(f"bench: DOCKER_HOST={host!r} is not a unix socket; the bench talks to a local engine only")
    return "/var/run/docker.sock"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None = None):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class EngineError(RuntimeError):
    pass


def q(filters: dict) -> str:
    return urllib.parse.quote(json.dumps(filters))


class Engine:
    """One keep-alive connection per thread."""

    def __init__(self, path: str | None = None):
        self.path = path or socket_path()
        self._local = threading.local()

    def _conn(self) -> UnixHTTPConnection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = UnixHTTPConnection(self.path, timeout=300)
            self._local.conn = c
        return c

    def call(self, method: str, path: str, body=None, ok=(200, 201, 204, 304)):
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            c = self._conn()
            try:
                c.request(method, f"/{API}{path}", body=data, headers=headers)
                r = c.getresponse()
                raw = r.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                c.close()
                self._local.conn = None
                if attempt:
                    raise
        if r.status not in ok:
            raise EngineError(f"{method} {path}: {r.status} {raw[:300]!r}")
        if raw and r.getheader("Content-Type", "").startswith("application/json"):
            return r.status, json.loads(raw)
        return r.status, raw

    # conveniences -------------------------------------------------------------------------
    def version(self) -> dict:
        return self.call("GET", "/version")[1]

    def containers(self, label: str, all_: bool = True) -> list:
        return self.call("GET", f"/containers/json?all={1 if all_ else 0}&filters={q({'label': [label]})}")[1]

    def networks(self, label: str) -> list:
        return self.call("GET", f"/networks?filters={q({'label': [label]})}")[1]

    def force_remove_labelled(self, label: str) -> list[str]:
        """Removes (force) every container, then every network, carrying exactly this label=value.
        Returns the errors (the engine refusing), never raises for them."""
        errors = []
        for c in self.containers(label):
            try:
                self.call("DELETE", f"/containers/{c['Id']}?force=1&v=1", ok=(204, 404, 409))
            except EngineError as err:
                errors.append(str(err))
        for net in self.networks(label):
            try:
                self.call("DELETE", f"/networks/{net['Id']}", ok=(204, 404))
            except EngineError as err:
                errors.append(str(err))
        return errors

    def exec_run(self, container: str, cmd: list[str]) -> str:
        """docker exec (attached, waits for the end); returns the exec id."""
        _, r = self.call("POST", f"/containers/{container}/exec",
                         {"Cmd": cmd, "AttachStdout": True, "AttachStderr": True})
        eid = r["Id"]
        self.call("POST", f"/exec/{eid}/start", {"Detach": False, "Tty": False})
        return eid


class Watcher:
    """Subscribes to the engine's /events for container events carrying `label` (before the tool
    is launched) and records every event with the daemon's own timestamp (timeNano)."""

    def __init__(self, label: str, path: str | None = None, on_event=None):
        self.label = label
        self._on_event = on_event
        self.events: list[dict] = []
        self._cond = threading.Condition()
        self._conn = UnixHTTPConnection(path or socket_path(), timeout=None)
        filters = {"type": ["container"], "label": [label]}
        self._conn.request("GET", f"/{API}/events?filters={q(filters)}")
        self._resp = self._conn.getresponse()  # the engine flushes headers once subscribed
        if self._resp.status != 200:
            raise EngineError(f"events: {self._resp.status}")
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            while True:
                line = self._resp.readline()
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                ev = json.loads(line)
                ev["_recv"] = time.time()
                with self._cond:
                    self.events.append(ev)
                    self._cond.notify_all()
                if self._on_event is not None:
                    self._on_event(ev)
        except Exception:  # noqa: BLE001 - the stream ends when close() shuts the socket down
            pass
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def wait(self, predicate, timeout: float):
        """Waits until predicate(events) returns a non-None value; returns it (None on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                v = predicate(self.events)
                if v is not None:
                    return v
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._cond.wait(min(left, 0.5))

    def snapshot(self) -> list[dict]:
        with self._cond:
            return list(self.events)

    def close(self):
        try:
            self._conn.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass
        self._thread.join(timeout=5)
        self._conn.close()


def ev_time(ev: dict) -> float:
    return ev["timeNano"] / 1e9


def ev_name(ev: dict) -> str:
    return ev.get("Actor", {}).get("Attributes", {}).get("name", "")


def ready_predicate(expected: int, action: str, t0: float):
    """All `expected` distinct containers emitted `action` at or after t0: returns (t_ready, per-name)."""
    def pred(events):
        first: dict[str, float] = {}
        for ev in events:
            if ev.get("Action") == action and ev_time(ev) >= t0:
                first.setdefault(ev_name(ev), ev_time(ev))
        if len(first) >= expected:
            return max(first.values()), first
        return None
    return pred
