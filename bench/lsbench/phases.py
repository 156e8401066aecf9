"""Parts 4-7: supervision cost (with the CLI latency measured while the stack is up), health
detection latency, micro-benchmarks."""
from __future__ import annotations

import datetime
import json
import os
import random
import signal
import subprocess
import threading
import time

from . import procs
from .boot import log, prepare, wait_clean
from .engine import Engine, Watcher, ev_name, ev_time, ready_predicate
from .shapes import Shape


def _tail(path: str, n: int = 6) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _quiet_clean(tool):
    try:
        tool.force_clean()
    except Exception as err:  # noqa: BLE001
        log(f"clean-up of {tool.name}: {err}")


# --- CLI latency (hyperfine) ----------------------------------------------------------------------
def hyperfine(cmds: dict[str, str], runs: int, warmup: int, out_json: str) -> dict:
    argv = ["hyperfine", "-N", "--warmup", str(warmup), "--runs", str(runs), "--export-json", out_json,
            "--style", "basic"]
    for name, cmd in cmds.items():
        argv += ["-n", name, cmd]
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"hyperfine failed: {r.stderr[-800:]}")
    with open(out_json) as f:
        data = json.load(f)
    out = {}
    for res in data["results"]:
        out[res["command"]] = {"mean_ms": res["mean"] * 1e3, "median_ms": res["median"] * 1e3,
                               "min_ms": res["min"] * 1e3, "max_ms": res["max"] * 1e3,
                               "stddev_ms": (res.get("stddev") or 0) * 1e3, "runs": len(res["times"]),
                               "command": cmds[res["command"]]}
    return out


# --- supervision ------------------------------------------------------------------------------
def supervise(engine: Engine, tool, argv: list[str], cwd: str, shape: Shape, idle_s: float, settle: float,
              logdir: str, warnings: list[str], cli: dict | None, cli_runs: int,
              after_stop: list[str] | None = None) -> dict:
    """Attached `up` on `shape`, stdout to /dev/null; after ready and a short pause, samples the
    process for idle_s seconds; then (stack still up) measures the CLI commands; then SIGINT."""
    prepare(engine, tool, warnings, f"supervision {tool.name}")
    time.sleep(settle)
    n = len(shape.services)
    w = Watcher(tool.label)
    errpath = os.path.join(logdir, f"{tool.name}-attached.log")
    out: dict = {}
    p = None
    try:
        with open(errpath, "w") as ef:
            t0 = time.time()
            p = procs.spawn(argv, cwd=cwd, stderr=ef)
        res = w.wait(ready_predicate(n, shape.ready_action, t0), 300)
        if res is None:
            raise RuntimeError(f"supervision {tool.name}: stack not ready after 300s")
        out["ready_s"] = res[0] - t0
        time.sleep(3.0)  # let the boot's tail (log followers attaching) finish before the idle window
        s0 = procs.sample(p.pid)
        if s0 is None:
            raise RuntimeError(f"supervision {tool.name}: the process exited; see {errpath}")
        out["boot_cpu_s"] = s0.cpu
        max_rss = s0.vm_rss_kib
        end = s0.t + idle_s
        while time.time() < end:
            time.sleep(min(1.0, max(0.0, end - time.time())))
            s = procs.sample(p.pid)
            if s is None:
                raise RuntimeError(f"supervision {tool.name}: the process exited while idle; see {errpath}")
            max_rss = max(max_rss, s.vm_rss_kib)
        s1 = procs.sample(p.pid)
        dt = s1.t - s0.t
        idle_cpu_ticks = s1.cpu_s - s0.cpu_s  # 10 ms ticks, includes threads that exited
        idle_cpu = s1.cpu_sched_s - s0.cpu_sched_s  # ns, live threads
        if s1.threads != s0.threads or idle_cpu < 0:
            idle_cpu = max(idle_cpu, idle_cpu_ticks)
        out.update(idle_window_s=dt, idle_cpu_s=idle_cpu, idle_cpu_pct_core=100 * idle_cpu / dt,
                   cpu_s_per_min=60 * idle_cpu / dt, idle_cpu_stat_ticks_s=idle_cpu_ticks, peak_rss_mib=s1.vm_hwm_kib / 1024,
                   idle_rss_mib=s1.vm_rss_kib / 1024, idle_max_rss_mib=max_rss / 1024, threads=s1.threads)
        if cli:
            log(f"CLI latency ({tool.name}, stack up): {', '.join(cli)}")
            out["cli"] = hyperfine(cli, cli_runs, 3, os.path.join(logdir, f"hyperfine-{tool.name}.json"))
        t_int = time.time()
        p.send_signal(signal.SIGINT)
        r = procs.wait_rusage(p.pid, 180)
        if r is None:
            raise RuntimeError(f"supervision {tool.name}: still running 180s after SIGINT")
        out["sigint_exit_s"] = time.time() - t_int
        out["exit_code"] = r[0]
        out["life_cpu_s"] = r[2]
        p = None
        if after_stop:
            subprocess.run(after_stop, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=300, check=False)
        if not wait_clean(engine, tool, 30):
            warnings.append(f"supervision {tool.name}: containers or networks left after stop "
                            f"(exit code {r[0]}; see the end of the log below)\n```\n{_tail(errpath)}```")
            _quiet_clean(tool)
        return out
    finally:
        w.close()
        if p is not None:
            procs._terminate(p.pid)


# --- health detection latency -----------------------------------------------------------------
def _exec_die_ok(events, cname: str, after: float, exclude: str):
    for ev in events:
        a = ev.get("Actor", {}).get("Attributes", {})
        if (ev.get("Action") == "exec_die" and ev_name(ev) == cname and ev_time(ev) >= after
                and a.get("exitCode") == "0" and a.get("execID") != exclude):
            return ev
    return None


def _first(events, cname: str, action: str, after: float = 0.0):
    for ev in events:
        if ev_name(ev) == cname and ev.get("Action") == action and ev_time(ev) >= after:
            return ev
    return None


def latency_run(engine: Engine, tool, kind: str, argv: list[str], cwd: str, names: dict, rng: random.Random,
                logdir: str, warnings: list[str], settle: float, stop_argv: list[str]) -> dict:
    """One health-latency run. `a` is healthy only once /tmp/ready exists; `b` depends on it.
    T = the touch exec's exec_die (the file exists from then on); P = the first passing probe after
    T (the first exec_die with exit code 0 in `a` other than the touch: the engine's probe or the
    tool's own); E = the tool's resource_healthy event (LightShuttle, --progress json);
    C = the engine's create event of `b` (the tool reacting)."""
    prepare(engine, tool, warnings, f"latency {tool.name}")
    time.sleep(settle)
    w = Watcher(tool.label)
    progress: list[tuple[float, dict]] = []
    p = None
    reader = None
    try:
        t0 = time.time()
        p = procs.spawn(argv, cwd=cwd, stderr=subprocess.PIPE)

        def read():
            for line in p.stderr:
                line = line.strip()
                if line.startswith(b"{"):
                    try:
                        progress.append((time.time(), json.loads(line)))
                    except ValueError:
                        pass
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        a, b = names["a"], names["b"]
        if w.wait(lambda evs: _first(evs, a, "start", t0), 60) is None:
            raise RuntimeError(f"latency {tool.name}: {a} did not start")
        time.sleep(rng.uniform(1.0, 2.0))  # a random phase against the probe schedule
        eid = engine.exec_run(a, ["touch", "/tmp/ready"])
        touch = w.wait(lambda evs: next((e for e in evs if e.get("Action") == "exec_die" and
                                         e["Actor"]["Attributes"].get("execID") == eid), None), 10)
        if touch is None:
            raise RuntimeError("latency: no exec_die for the touch")
        T = ev_time(touch)
        if w.wait(lambda evs: _first(evs, b, "start", T), 60) is None:
            raise RuntimeError(f"latency {tool.name}: {b} did not start")
        evs = w.snapshot()
        P = ev_time(_exec_die_ok(evs, a, T, eid))
        H = _first(evs, a, "health_status: healthy", T)
        C = ev_time(_first(evs, b, "create", T))
        out = {"touch_to_probe_pass_ms": (P - T) * 1e3, "probe_pass_to_dependent_create_ms": (C - P) * 1e3,
               "touch_to_dependent_create_ms": (C - T) * 1e3}
        if H is not None:
            out["probe_pass_to_engine_health_event_ms"] = (ev_time(H) - P) * 1e3
        if kind == "lightshuttle":
            deadline = time.monotonic() + 10
            E = None
            while E is None and time.monotonic() < deadline:
                E = next((j for _, j in list(progress)
                          if j.get("kind") == "resource_healthy" and j.get("resource") == "a"), None)
                if E is None:
                    time.sleep(0.05)
            if E is None:
                raise RuntimeError("latency: no resource_healthy event for a on stderr (--progress json)")
            e_t = datetime.datetime.fromisoformat(E["time"].replace("Z", "+00:00")).timestamp()
            out["probe_pass_to_event_ms"] = (e_t - P) * 1e3
            out["touch_to_event_ms"] = (e_t - T) * 1e3
        # stop
        if kind == "lightshuttle":
            p.send_signal(signal.SIGINT)
            if procs.wait_rusage(p.pid, 120) is None:
                raise RuntimeError("latency: lightshuttle up did not exit after SIGINT")
        else:
            if procs.wait_rusage(p.pid, 120) is None:
                raise RuntimeError("latency: docker-compose up -d did not return")
            subprocess.run(stop_argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=120, check=False)
        p = None
        if not wait_clean(engine, tool, 30):
            warnings.append(f"latency {tool.name}: containers or networks left after stop")
            _quiet_clean(tool)
        return out
    finally:
        w.close()
        if p is not None:
            procs._terminate(p.pid)
            _quiet_clean(tool)


# --- micro-benchmarks -------------------------------------------------------------------------
def micro(binary: str, out_json: str) -> dict:
    r = subprocess.run([binary, "--benchmark_format=json", f"--benchmark_out={out_json}",
                        "--benchmark_out_format=json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{binary} failed: {r.stderr[-500:]}")
    with open(out_json) as f:
        data = json.load(f)
    rows = []
    for b in data["benchmarks"]:
        row = {"name": b["name"]}
        for k in ("real_time", "cpu_time", "time_unit", "bytes_per_second", "iterations", "big_o",
                  "rms", "cpu_coefficient", "real_accumulated_time", "run_type", "aggregate_name"):
            if k in b:
                row[k] = b[k]
        rows.append(row)
    return {"context": {k: data["context"].get(k) for k in ("num_cpus", "mhz_per_cpu", "library_build_type",
                                                             "cpu_scaling_enabled")},
            "benchmarks": rows}
