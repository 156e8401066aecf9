"""The Engine API floor (perf-anchors.md): a minimal event-driven client doing exactly the work a
compose tool must do and nothing else — network create, create + start, launch dependents on the
health event (on start for services without a healthcheck), then stop in reverse dependency
order, remove, network remove.

Variants: `par` (every launchable service at once), `seq` (one create+start at a time), `concK`
(at most K at once). t0 = just before the network create; the client's own /events subscription
is opened before t0."""
from __future__ import annotations

import queue
import threading
import time

from . import shapes as shp
from .engine import Engine, Watcher, ev_name

LABEL_KEY = "lsbench.floor.project"


def concurrency(variant: str, n: int) -> int:
    if variant == "par":
        return max(n, 1)
    if variant == "seq":
        return 1
    if variant.startswith("conc") and variant[4:].isdigit():
        return int(variant[4:])
    raise ValueError(f"unknown floor variant {variant!r} (par, seq, concK)")


class _Pool:
    def __init__(self, k: int):
        self.q: queue.Queue = queue.Queue()
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(k)]
        for t in self.threads:
            t.start()

    def _work(self):
        while True:
            job = self.q.get()
            if job is None:
                return
            try:
                job()
            except BaseException as e:  # noqa: BLE001 - reported by the caller
                self.errors.append(e)

    def close(self):
        for _ in self.threads:
            self.q.put(None)
        for t in self.threads:
            t.join()


def _body(project: str, s: shp.Service) -> dict:
    net = f"{project}_default"
    b = {"Image": shp.IMAGE, "Cmd": shp.COMMAND,
         "Labels": {LABEL_KEY: project, "lsbench.floor.service": s.name},
         "HostConfig": {"NetworkMode": net},
         "NetworkingConfig": {"EndpointsConfig": {net: {"Aliases": [s.name]}}}}
    if s.healthcheck:
        hc = s.healthcheck
        sec = lambda v: int(float(v.rstrip("s")) * 1e9)  # noqa: E731 - "1s" -> ns
        b["Healthcheck"] = {"Test": hc["test"], "Interval": sec(hc["interval"]), "Timeout": sec(hc["timeout"]),
                            "Retries": hc["retries"], "StartPeriod": sec(hc["start_period"])}
    return b


class Floor:
    def __init__(self, engine: Engine, shape: shp.Shape, project: str, variant: str):
        self.e, self.shape, self.project, self.variant = engine, shape, project, variant
        self.ids: dict[str, str] = {}

    def up(self, timeout: float = 300) -> dict:
        """Returns {'t0', 'last_start_returned', 'ready_self'} (wall-clock seconds)."""
        shape, project = self.shape, self.project
        by = {s.name: s for s in shape.services}
        lock = threading.Lock()
        ready: set[str] = set()
        launched: set[str] = set()
        done = threading.Event()
        starts: list[float] = []
        pool = _Pool(concurrency(self.variant, len(shape.services)))

        def mark_ready(name: str):
            with lock:
                if name in ready:
                    return
                ready.add(name)
                if len(ready) == len(shape.services):
                    done.set()
            launch()

        def launch():
            with lock:
                todo = [s for s in shape.services
                        if s.name not in launched and all(d in ready for d in s.depends_on)]
                launched.update(s.name for s in todo)
            for s in todo:
                pool.q.put(lambda s=s: create_start(s))

        def create_start(s: shp.Service):
            _, r = self.e.call("POST", f"/containers/create?name={project}_{s.name}", _body(project, s))
            self.ids[s.name] = r["Id"]
            self.e.call("POST", f"/containers/{r['Id']}/start")
            with lock:
                starts.append(time.time())
            if s.healthcheck is None:
                mark_ready(s.name)

        prefix = f"{project}_"

        def on_event(ev):
            if ev.get("Action") == "health_status: healthy":
                n = ev_name(ev)
                if n.startswith(prefix) and n[len(prefix):] in by:
                    mark_ready(n[len(prefix):])

        sub = Watcher(f"{LABEL_KEY}={project}", on_event=on_event)
        try:
            t0 = time.time()
            self.e.call("POST", "/networks/create",
                        {"Name": f"{project}_default", "CheckDuplicate": True, "Labels": {LABEL_KEY: project}})
            launch()
            ok = done.wait(timeout)
            t_ready = time.time()
        finally:
            sub.close()
            pool.close()
        if pool.errors:
            raise pool.errors[0]
        if not ok:
            raise TimeoutError(f"floor {self.variant}: not ready after {timeout}s")
        return {"t0": t0, "last_start_returned": max(starts), "ready_self": t_ready}

    def down(self) -> float:
        """Stop (reverse dependency order, each level at once or per the variant), remove, network remove."""
        t0 = time.time()
        k = concurrency(self.variant, len(self.shape.services))
        for level in reversed(self.shape.levels()):
            pool = _Pool(min(k, len(level)))
            for name in level:
                cid = self.ids.get(name)
                if cid:
                    def job(cid=cid):
                        self.e.call("POST", f"/containers/{cid}/stop?t=10", ok=(204, 304))
                        self.e.call("DELETE", f"/containers/{cid}", ok=(204,))
                    pool.q.put(job)
            pool.close()
            if pool.errors:
                raise pool.errors[0]
        self.e.call("DELETE", f"/networks/{self.project}_default", ok=(204,))
        return time.time() - t0
