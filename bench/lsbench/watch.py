"""Watch mode (issue 18): file saved -> new content in the container, a 1,000-file burst, and the
watcher's idle cost with 10,000 watched files, on a supervised one-container stack.

docker-compose 1.29 has no watch, so the peer in the same run is the floor of the same copy:
`docker cp` of the edited file (the CLI), and the Engine API's archive PUT of a one-file tar
(what our sync sends, without a watcher in front).

Timing: t0 is taken right after the edited file is closed; "synced" is when the supervisor's
watch_synced event reaches `lightshuttle watch --json` (the archive PUT has returned by then, so
the content is in the container); "visible" is when an exec started after that event has read
the new content back (so it includes one exec, ~tens of ms). Every read-back must show the
content of its edit: a mismatch is counted and reported, never hidden."""
from __future__ import annotations

import io
import json
import os
import queue
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time

from .boot import log
from .engine import Engine
from . import report

PROJECT = "lswatchb"


def _manifest(image: str) -> str:
    return f"""lightshuttle: v0
project:
  name: {PROJECT}
resources:
  app:
    container:
      image: {image}
      command: ["sleep", "36000"]
      stop_grace_period: 1s
      watch:
        - path: ./src
          action: sync
          target: /app/src
"""


def _exec_out(engine: Engine, container: str, cmd: list[str]) -> str:
    _, r = engine.call("POST", f"/containers/{container}/exec",
                       {"Cmd": cmd, "AttachStdout": True, "AttachStderr": True})
    _, raw = engine.call("POST", f"/exec/{r['Id']}/start", {"Detach": False, "Tty": False})
    out, i = b"", 0
    while i + 8 <= len(raw):  # multiplexed frames: 8-byte header, big-endian length
        n = int.from_bytes(raw[i + 4:i + 8], "big")
        if raw[i] == 1:
            out += raw[i + 8:i + 8 + n]
        i += 8 + n
    return out.decode(errors="replace")


def _proc_stat(pid: int) -> tuple[float, dict]:
    """(cpu seconds, {"VmRSS", "RssAnon", "RssFile"} in KiB) of `pid`. RssAnon is the process's
    private memory (heap, stacks, arenas); RssFile the pages of mapped files it touched, mostly
    the binary's code (shared with every process running it, and reclaimable)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    mem = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in mem:
                mem[key] = int(line.split()[1])
    return ticks / os.sysconf("SC_CLK_TCK"), mem


class _Events:
    """Reads `lightshuttle watch --json` lines into a queue of (monotonic time, event)."""

    def __init__(self, argv: list[str], cwd: str, logpath: str):
        self.q: queue.Queue = queue.Queue()
        self.err = open(logpath, "w")
        self.p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=self.err, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            try:
                self.q.put((time.monotonic(), json.loads(line)))
            except ValueError:
                continue

    def next(self, kinds: set[str], timeout: float = 60.0) -> tuple[float, dict]:
        end = time.monotonic() + timeout
        while True:
            t, ev = self.q.get(timeout=max(0.01, end - time.monotonic()))
            if ev.get("kind") in kinds:
                return t, ev

    def drain(self):
        while not self.q.empty():
            self.q.get_nowait()

    def stop(self):
        self.p.send_signal(2)
        try:
            self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self.err.close()


def _supervisor_pid() -> int:
    """The supervisor's pid, from its record in the control directory (cli/control.hpp)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    d = os.path.join(base, "lightshuttle") if base else f"/tmp/lightshuttle-{os.getuid()}"
    with open(os.path.join(d, PROJECT + ".json")) as f:
        return int(json.load(f)["pid"])


def run(engine: Engine, ls_bin: str, image: str, logdir: str, warnings: list[str], edits: int = 200,
        burst: int = 1000, many: int = 10000, idle_seconds: float = 10.0, cp_runs: int = 50) -> dict:
    work = tempfile.mkdtemp(prefix="lsbench-watch-")
    manifest = os.path.join(work, "lightshuttle.yml")
    with open(manifest, "w") as f:
        f.write(_manifest(image))
    src = os.path.join(work, "src")
    os.makedirs(src)
    with open(os.path.join(src, "edit.txt"), "w") as f:
        f.write("start")
    container = f"{PROJECT}_app"
    res: dict = {"edits": edits, "burst_files": burst, "watched_files": many}
    events = None
    try:
        r = subprocess.run([ls_bin, "up", "-d", "-f", manifest], cwd=work, capture_output=True, text=True,
                           check=False)
        if r.returncode != 0:
            raise RuntimeError(f"up -d failed: {r.stderr[-500:]}")
        pid = _supervisor_pid()
        time.sleep(1.0)  # let the supervisor settle after the boot before the baseline
        _, rss0 = _proc_stat(pid)
        # 10,000 files in 100 directories, in place before the watch starts (a checkout).
        for d in range(many // 100):
            sub = os.path.join(src, "many", f"d{d:03}")
            os.makedirs(sub)
            for i in range(100):
                with open(os.path.join(sub, f"f{i:03}.txt"), "w") as f:
                    f.write("x")
        events = _Events([ls_bin, "watch", "--json", "-f", manifest], work, os.path.join(logdir, "watch.log"))
        events.next({"watch_started"})
        time.sleep(2.0)
        cpu1, rss1 = _proc_stat(pid)
        time.sleep(idle_seconds)
        cpu2, rss2 = _proc_stat(pid)
        res["idle"] = {"cpu_s": cpu2 - cpu1, "seconds": idle_seconds,
                       "cpu_percent": 100 * (cpu2 - cpu1) / idle_seconds,
                       "rss_before_kib": rss0["VmRSS"], "rss_watching_kib": rss2["VmRSS"],
                       "rss_growth_kib": rss2["VmRSS"] - rss0["VmRSS"],
                       "anon_growth_kib": rss2["RssAnon"] - rss0["RssAnon"],
                       "file_growth_kib": rss2["RssFile"] - rss0["RssFile"]}
        log(f"watch: idle {res['idle']['cpu_percent']:.2f}% CPU, RSS +{res['idle']['rss_growth_kib'] / 1024:.2f} MiB "
            f"(private +{res['idle']['anon_growth_kib']} KiB, file-backed +{res['idle']['file_growth_kib']} KiB) "
            f"with {many} files watched")

        # Save -> synced / visible, one edit at a time.
        events.drain()
        synced, visible, mismatches = [], [], 0
        path = os.path.join(src, "edit.txt")
        for i in range(edits):
            text = f"edit {i} {time.monotonic_ns()}"
            with open(path, "w") as f:
                f.write(text)
            t0 = time.monotonic()
            t1, ev = events.next({"watch_synced", "watch_failed"})
            if ev.get("kind") != "watch_synced":
                warnings.append(f"watch: edit {i}: {ev.get('message')}")
                continue
            got = _exec_out(engine, container, ["cat", "/app/src/edit.txt"])
            t2 = time.monotonic()
            if got != text:
                mismatches += 1
            synced.append((t1 - t0) * 1000)
            visible.append((t2 - t0) * 1000)
        res["save_to_synced_ms"] = report.stats(synced)
        res["save_to_visible_exec_ms"] = report.stats(visible)
        res["save_to_synced_ms"]["p99"] = sorted(synced)[max(0, int(len(synced) * 0.99) - 1)] if synced else None
        res["save_to_visible_exec_ms"]["p99"] = sorted(visible)[max(0, int(len(visible) * 0.99) - 1)] if visible else None
        res["readback_mismatches"] = mismatches

        # The floor of one copy: docker cp (CLI), and the archive PUT it makes (API).
        cp, put = [], []
        for i in range(cp_runs):
            text = f"cp {i}"
            with open(path, "w") as f:
                f.write(text)
            t0 = time.monotonic()
            subprocess.run(["docker", "cp", path, f"{container}:/app/src/edit.txt"], check=True,
                           capture_output=True)
            cp.append((time.monotonic() - t0) * 1000)
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as t:
                t.add(path, arcname="app/src/edit.txt")
            t0 = time.monotonic()
            _archive_put(engine, container, buf.getvalue())
            put.append((time.monotonic() - t0) * 1000)
        res["docker_cp_ms"] = report.stats(cp)
        res["archive_put_ms"] = report.stats(put)
        events.drain()  # the watcher saw those writes too

        # A burst of `burst` new files: time to the last one synced, and how many batches.
        time.sleep(0.5)
        events.drain()
        t0 = time.monotonic()
        bdir = os.path.join(src, "burst")
        os.makedirs(bdir)
        for i in range(burst):
            with open(os.path.join(bdir, f"b{i:04}.txt"), "w") as f:
                f.write(str(i))
        seen, batches, t_end = 0, 0, t0
        while seen < burst + 1:
            t_end, ev = events.next({"watch_synced", "watch_failed"})
            batches += 1
            seen += int(ev.get("files") or 0)
        count = _exec_out(engine, container, ["sh", "-c", "ls /app/src/burst | wc -l"]).strip()
        res["burst"] = {"seconds": t_end - t0, "batches": batches, "files_in_container": int(count or 0)}
        log(f"watch: burst of {burst} in {t_end - t0:.2f}s, {batches} batch(es); "
            f"save->synced p50 {res['save_to_synced_ms']['median']:.1f} ms")
    finally:
        if events:
            events.stop()
        subprocess.run([ls_bin, "down", "-f", manifest], cwd=work, capture_output=True, check=False)
        engine.force_remove_labelled(f"lightshuttle.project={PROJECT}")
        shutil.rmtree(work, ignore_errors=True)
    return res


def _archive_put(engine: Engine, container: str, tar: bytes):
    import http.client as hc
    from .engine import API, UnixHTTPConnection
    c = UnixHTTPConnection(engine.path, timeout=60)
    c.request("PUT", f"/{API}/containers/{container}/archive?path=/", body=tar,
              headers={"Content-Type": "application/x-tar"})
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != 200:
        raise hc.HTTPException(f"archive PUT: {r.status}")


def _rss_split(idle: dict) -> str:
    if "anon_growth_kib" not in idle:
        return ""  # an older result
    return (f" (private +{idle['anon_growth_kib']} KiB; file-backed +{idle['file_growth_kib']} KiB: "
            "the binary's code first run by watching)")


def render(w: dict) -> str:
    def ms(st):
        return f"p50 {st['median']:.1f} ms, p99 {st['p99']:.1f} ms" if st.get("p99") is not None else \
            f"median {st['median']:.1f} ms"
    L = ["", "## Watch mode", "",
         f"One supervised container, a sync rule, {w['edits']} edits one at a time; "
         f"{w['watched_files']} files watched.", "",
         "| measure | value |", "|---|---|",
         f"| save → synced (watch_synced event; content in the container) | {ms(w['save_to_synced_ms'])} |",
         f"| save → read back by an exec started after the event | {ms(w['save_to_visible_exec_ms'])} |",
         f"| read-backs that did not show the edit | {w['readback_mismatches']} |",
         f"| peer: `docker cp` of the same file | median {w['docker_cp_ms']['median']:.1f} ms |",
         f"| floor: archive PUT of a one-file tar (Engine API) | median {w['archive_put_ms']['median']:.1f} ms |",
         f"| {w['burst_files']}-file burst → all synced | {w['burst']['seconds']:.2f} s in {w['burst']['batches']} "
         f"batch(es), {w['burst']['files_in_container']} files in the container |",
         f"| supervisor CPU while watching idle | {w['idle']['cpu_percent']:.2f} % over {w['idle']['seconds']:.0f} s |",
         f"| supervisor RSS growth from watching {w['watched_files']} files | "
         f"{w['idle']['rss_growth_kib'] / 1024:.2f} MiB{_rss_split(w['idle'])} |", ""]
    return "\n".join(L)
