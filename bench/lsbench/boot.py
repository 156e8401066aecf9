"""Part 2: boot / ready / teardown per shape, tools in rotating order, from a verified clean state."""
from __future__ import annotations

import sys
import time

from . import procs
from .engine import Engine, Watcher, ev_name, ev_time, ready_predicate
from .shapes import Shape

READY_TIMEOUT = 300.0


def log(msg: str):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class StuckProject(RuntimeError):
    """The engine keeps a network of the project that it refuses to remove although no container
    is left ("has active endpoints": a stale endpoint count inside the daemon, only a daemon
    restart clears it). The bench then moves the tool to a fresh project name."""


def ensure_clean(engine: Engine, tool, warnings: list[str], where: str):
    """No container or network with the tool's project label may exist before a run."""
    left = engine.containers(tool.label), engine.networks(tool.label)
    if not (left[0] or left[1]):
        return
    warnings.append(f"{where}: {tool.name} (project {tool.project}) not clean before the run "
                    f"({len(left[0])} containers, {len(left[1])} networks); cleaned up")
    try:
        tool.force_clean()
    except Exception as err:  # noqa: BLE001 - the label-based removal below is what counts
        log(f"{where}: force clean of {tool.name}: {err}")
    start = time.monotonic()
    while True:
        errors = engine.force_remove_labelled(tool.label)
        containers, networks = engine.containers(tool.label), engine.networks(tool.label)
        if not containers and not networks:
            return
        stuck = not containers and errors and all("active endpoints" in e for e in errors)
        if stuck and time.monotonic() - start > 2:
            raise StuckProject(errors[-1])
        if time.monotonic() - start > 20:
            raise RuntimeError(f"{where}: cannot get a clean state for {tool.name}: {errors[-1:]}")
        time.sleep(0.5)


def prepare(engine: Engine, tool, warnings: list[str], where: str):
    """ensure_clean, moving the tool to a fresh project name if the engine holds a stuck network."""
    for _ in range(5):
        try:
            ensure_clean(engine, tool, warnings, where)
            return
        except StuckProject as err:
            old = tool.project
            tool.rename()
            warnings.append(f"{where}: the engine refuses to remove the network of project '{old}' "
                            f"({err}); {tool.name} continues as project '{tool.project}'")
            log(warnings[-1])
    raise RuntimeError(f"{where}: no clean project for {tool.name}")


def wait_clean(engine: Engine, tool, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while engine.containers(tool.label) or engine.networks(tool.label):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def one_run(engine: Engine, tool, shape: Shape, files: dict) -> dict:
    n = len(shape.services)
    w = Watcher(tool.label)
    try:
        busy0 = procs.system_busy_s()
        up = tool.up(shape, files)
        t0 = up["t0"]
        res = w.wait(ready_predicate(n, shape.ready_action, t0), READY_TIMEOUT)
        busy1 = procs.system_busy_s()
        if res is None:
            raise RuntimeError(f"{tool.name} {shape.name}: not all {n} ready ({shape.ready_action}) after "
                               f"{READY_TIMEOUT:.0f}s")
        t_ready, _ = res
        evs = w.snapshot()
        starts = ready_predicate(n, "start", t0)(evs)
        out = {
            "up_s": up["up_return"] - t0,
            "ready_s": t_ready - t0,
            "started_s": (starts[0] - t0) if starts else None,
            "probe_ready_s": _minus(probe_ready(evs, n, t0) if shape.healthchecked else None, t0),
            "sys_busy_cpu_s": busy1 - busy0,
        }
        for k in ("peak_rss_mib", "cpu_s", "parent_maxrss_kib", "parent_cpu_s", "supervisor_hwm_kib",
                  "supervisor_cpu_s"):
            if k in up:
                out[k] = up[k]
        down = tool.down(shape, files)
        out.update(down)
        if not wait_clean(engine, tool, 30):
            out["left_behind"] = True
        return out
    finally:
        w.close()


def run_shape(engine: Engine, tools: list, shape: Shape, files: dict, runs: int, settle: float,
              warnings: list[str]) -> dict:
    results: dict[str, list[dict]] = {t.name: [] for t in tools}
    for i in range(runs + 1):
        k = i % len(tools)
        order = tools[k:] + tools[:k]
        for tool in order:
            where = f"{shape.name} run {i}{' (warm-up)' if i == 0 else ''}"
            try:
                prepare(engine, tool, warnings, where)
                time.sleep(settle)
                r = one_run(engine, tool, shape, files)
            except Exception as e:  # noqa: BLE001 - noted, cleaned, the bench goes on
                warnings.append(f"{where}: {tool.name} failed: {e}")
                log(f"{where}: {tool.name} FAILED: {e}")
                try:
                    tool.force_clean()
                except Exception as err:  # noqa: BLE001
                    log(f"{where}: clean-up of {tool.name} after the failure: {err}")
                continue
            if r.get("left_behind"):
                warnings.append(f"{where}: {tool.name} left containers or networks after down")
            log(f"{where}: {tool.name:14} up {r['up_s']:6.2f}s ready {r['ready_s']:6.2f}s "
                f"down {r['down_s']:5.2f}s" + (f" rss {r['peak_rss_mib']:5.1f}MiB cpu {r['cpu_s']:.2f}s"
                                              if 'peak_rss_mib' in r else ""))
            if i > 0:
                results[tool.name].append(r)
    return results


def first_event(events: list[dict], name: str, action: str, after: float = 0.0) -> dict | None:
    for ev in events:
        if ev_name(ev) == name and ev.get("Action") == action and ev_time(ev) >= after:
            return ev
    return None


def _minus(t: float | None, t0: float) -> float | None:
    return None if t is None else t - t0


def probe_ready(events: list[dict], n: int, t0: float) -> float | None:
    """The time by which every container had a first passing probe after its start: an exec_die
    with exit code 0 (the engine's healthcheck or the tool's own exec probe; nothing else execs in
    the bench stacks). None if not all n have one."""
    started: dict[str, float] = {}
    passed: dict[str, float] = {}
    for ev in events:
        name, t = ev_name(ev), ev_time(ev)
        if t < t0:
            continue
        if ev.get("Action") == "start":
            started.setdefault(name, t)
        elif (ev.get("Action") == "exec_die" and name in started and name not in passed
              and ev.get("Actor", {}).get("Attributes", {}).get("exitCode") == "0"):
            passed[name] = t
    return max(passed.values()) if len(passed) >= n else None
