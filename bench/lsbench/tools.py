"""The tools under test behind one interface: up (detached, returns once the tool says so),
down, and a forced clean-up. Each works on its own project name and label only."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time

from . import procs
from .engine import Engine
from .floor import LABEL_KEY, Floor
from .shapes import Shape


class ToolError(RuntimeError):
    pass


def _tail(path: str, n: int = 15) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _next_name(project: str, base: str) -> str:
    n = int(project[len(base):] or "1") + 1
    return f"{base}{n}"


class LightShuttle:
    name = "lightshuttle"
    LABEL = "lightshuttle.project"

    def __init__(self, binary: str, project: str, engine: Engine, logdir: str, on_rename=None):
        self.bin, self.e, self.logdir = binary, engine, logdir
        self.base = project
        self.on_rename = on_rename  # regenerates the manifests (the project name is in them)
        self.stack_files: set[str] = set()
        self._set(project)

    def _set(self, project: str):
        self.project = project
        self.label = f"{self.LABEL}={project}"

    def rename(self):
        self._set(_next_name(self.project, self.base))
        if self.on_rename:
            self.on_rename(self.project)

    def up(self, shape: Shape, files: dict) -> dict:
        f = files["ls"]
        self.stack_files.add(f)
        err = os.path.join(self.logdir, f"ls-up-{shape.name}.log")
        with open(err, "w") as ef:
            t0 = time.time()
            m = procs.run_measured([self.bin, "up", "-d", "-f", f], cwd=os.path.dirname(f), stderr=ef, t_start=t0)
            sup_pid = None
            text = open(err, errors="replace").read()
            mm = re.search(r"supervisor pid (\d+)", text)
            sup = None
            if mm:
                sup_pid = int(mm.group(1))
                sup = procs.sample(sup_pid)
        if m.rc != 0:
            raise ToolError(f"lightshuttle up -d exited {m.rc}:\n{_tail(err)}")
        out = {"t0": t0, "up_return": m.t_end, "parent_maxrss_kib": m.maxrss_kib, "parent_cpu_s": m.cpu_s,
               "supervisor_pid": sup_pid}
        if sup:
            out.update(supervisor_hwm_kib=sup.vm_hwm_kib, supervisor_cpu_s=sup.cpu)
        out["peak_rss_mib"] = max(m.maxrss_kib, sup.vm_hwm_kib if sup else 0) / 1024
        out["cpu_s"] = m.cpu_s + (sup.cpu if sup else 0.0)
        self._sup = sup_pid
        return out

    def down(self, shape: Shape, files: dict) -> dict:
        f = files["ls"]
        err = os.path.join(self.logdir, f"ls-down-{shape.name}.log")
        with open(err, "w") as ef:
            m = procs.run_measured([self.bin, "down", "-f", f], cwd=os.path.dirname(f), stderr=ef)
        if m.rc != 0:
            raise ToolError(f"lightshuttle down exited {m.rc}:\n{_tail(err)}")
        out = {"down_s": m.wall, "down_cpu_s": m.cpu_s}
        if getattr(self, "_sup", None):  # reparented to us (subreaper): reap it, note its lifetime
            r = procs.wait_rusage(self._sup, 10)
            if r:
                out.update(supervisor_exit=r[0], supervisor_life_maxrss_kib=r[1], supervisor_life_cpu_s=r[2])
            self._sup = None
        return out

    def force_clean(self):
        for f in sorted(self.stack_files):
            if not os.path.exists(f):
                continue
            subprocess.run([self.bin, "down", "-f", f, "--timeout", "5s"], cwd=os.path.dirname(f),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
        self.e.force_remove_labelled(self.label)


class Compose:
    name = "compose"

    def __init__(self, binary: str, project: str, engine: Engine, logdir: str):
        self.bin, self.e, self.logdir = binary, engine, logdir
        self.base = project
        self.stack_files: set[str] = set()
        self._set(project)

    def _set(self, project: str):
        self.project = project
        self.label = f"com.docker.compose.project={project}"

    def rename(self):
        self._set(_next_name(self.project, self.base))

    def _argv(self, f: str, *args: str) -> list[str]:
        return [self.bin, "-p", self.project, "-f", f, *args]

    def up(self, shape: Shape, files: dict) -> dict:
        f = files["compose"]
        self.stack_files.add(f)
        err = os.path.join(self.logdir, f"compose-up-{shape.name}.log")
        with open(err, "w") as ef:
            t0 = time.time()
            m = procs.run_measured(self._argv(f, "up", "-d"), cwd=os.path.dirname(f), stderr=ef, t_start=t0)
        if m.rc != 0:
            raise ToolError(f"docker-compose up -d exited {m.rc}:\n{_tail(err)}")
        return {"t0": t0, "up_return": m.t_end, "peak_rss_mib": m.maxrss_kib / 1024, "cpu_s": m.cpu_s}

    def down(self, shape: Shape, files: dict) -> dict:
        f = files["compose"]
        err = os.path.join(self.logdir, f"compose-down-{shape.name}.log")
        with open(err, "w") as ef:
            m = procs.run_measured(self._argv(f, "down"), cwd=os.path.dirname(f), stderr=ef)
        if m.rc != 0:
            raise ToolError(f"docker-compose down exited {m.rc}:\n{_tail(err)}")
        return {"down_s": m.wall, "down_cpu_s": m.cpu_s}

    def force_clean(self):
        for f in sorted(self.stack_files):
            subprocess.run(self._argv(f, "down", "-t", "5"), cwd=os.path.dirname(f), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300, check=False)
        self.e.force_remove_labelled(self.label)


class FloorTool:
    """The Engine API floor as a tool (in-process; no process figures)."""

    def __init__(self, variant: str, project: str, engine: Engine):
        self.variant, self.e = variant, engine
        self.name = f"floor-{variant}"
        self.base = project
        self._set(project)
        self._floor: Floor | None = None

    def _set(self, project: str):
        self.project = project
        self.label = f"{LABEL_KEY}={project}"

    def rename(self):
        self._set(_next_name(self.project, self.base))

    def applies(self, shape: Shape) -> bool:
        """concK is the same client as par when no level of the shape is wider than K."""
        if self.variant.startswith("conc"):
            return max(len(level) for level in shape.levels()) > int(self.variant[4:])
        return True

    def up(self, shape: Shape, files: dict) -> dict:
        self._floor = Floor(self.e, shape, self.project, self.variant)
        r = self._floor.up()
        return {"t0": r["t0"], "up_return": r["last_start_returned"]}

    def down(self, shape: Shape, files: dict) -> dict:
        assert self._floor is not None
        return {"down_s": self._floor.down()}

    def force_clean(self):
        self.e.force_remove_labelled(self.label)


def new_logdir() -> str:
    return tempfile.mkdtemp(prefix="lsbench-logs-")
