"""Process helpers: launch-and-measure (wait4 rusage), /proc sampling, system CPU, the child
subreaper (so that a detached `lightshuttle up -d` supervisor is reparented to the bench and can
be reaped), and a registry of what the bench started, for cleanup on Ctrl+C or failure."""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36
STARTED: dict[int, str] = {}  # pid -> what, for cleanup of anything still running


def become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except OSError:
        return False


@dataclass
class Measured:
    rc: int
    t_start: float
    t_end: float
    maxrss_kib: int
    cpu_s: float

    @property
    def wall(self) -> float:
        return self.t_end - self.t_start


TIME = "/usr/bin/time"


def run_measured(argv, cwd=None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=None,
                 t_start: float | None = None) -> Measured:
    """Runs argv to completion under /usr/bin/time: wall time, peak RSS (from /usr/bin/time) and
    CPU (user+sys, wait4 rusage) of the process and its waited-for descendants. /usr/bin/time is the launcher
    because Linux carries a process's pre-exec high-water RSS into ru_maxrss: measured straight
    from this Python process, every child would report at least the interpreter's RSS."""
    fd, out = tempfile.mkstemp(prefix="lsbench-time-")
    os.close(fd)
    t0 = t_start if t_start is not None else time.time()
    p = subprocess.Popen([TIME, "-o", out, "-f", "%M %U %S", *argv], cwd=cwd, stdout=stdout, stderr=stderr, env=env)
    STARTED[p.pid] = " ".join(argv)
    try:
        _, status, ru = os.wait4(p.pid, 0)
    except BaseException:
        _terminate(p.pid)
        os.unlink(out)
        raise
    t1 = time.time()
    STARTED.pop(p.pid, None)
    p.returncode = os.waitstatus_to_exitcode(status)
    try:
        with open(out) as f:
            last = f.read().strip().splitlines()[-1].split()
        maxrss = int(last[0])
    except (OSError, IndexError, ValueError):
        maxrss = 0
    finally:
        os.unlink(out)
    # CPU from our own wait4 (microseconds; /usr/bin/time prints 10 ms steps): the tool plus the
    # launcher, whose share is about a millisecond.
    cpu = ru.ru_utime + ru.ru_stime
    return Measured(p.returncode, t0, t1, maxrss, cpu)


def spawn(argv, cwd=None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=None) -> subprocess.Popen:
    p = subprocess.Popen(argv, cwd=cwd, stdout=stdout, stderr=stderr, env=env)
    STARTED[p.pid] = " ".join(argv)
    return p


def wait_rusage(pid: int, timeout: float | None = None):
    """wait4 on one child; (exit code, maxrss KiB, cpu s) or None on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            got, status, ru = os.wait4(pid, 0 if deadline is None else os.WNOHANG)
        except ChildProcessError:
            STARTED.pop(pid, None)
            return None
        if got == pid:
            STARTED.pop(pid, None)
            return os.waitstatus_to_exitcode(status), ru.ru_maxrss, ru.ru_utime + ru.ru_stime
        if deadline is not None and time.monotonic() > deadline:
            return None
        time.sleep(0.02)


def _terminate(pid: int, grace: float = 20.0):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if wait_rusage(pid, grace) is None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wait_rusage(pid, 5)


def terminate_started():
    """Ends every process the bench started that is still running (by pid; SIGTERM then SIGKILL)."""
    for pid in list(STARTED):
        _terminate(pid)
        STARTED.pop(pid, None)


@dataclass
class ProcSample:
    t: float
    cpu_s: float
    vm_hwm_kib: int
    vm_rss_kib: int
    threads: int
    cpu_sched_s: float  # sum over live threads of /proc/<pid>/task/*/schedstat (ns precision)

    @property
    def cpu(self) -> float:
        """Best CPU figure: schedstat's ns sum, or stat's 10 ms ticks when larger (exited threads)."""
        return max(self.cpu_s, self.cpu_sched_s)


def sample(pid: int) -> ProcSample | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    kv = {}
    for line in status.splitlines():
        k, _, v = line.partition(":")
        kv[k] = v.strip()
    kib = lambda k: int(kv.get(k, "0 kB").split()[0])  # noqa: E731
    sched = 0.0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                sched += int(f.read().split()[0]) / 1e9
    except OSError:
        pass
    return ProcSample(time.time(), cpu, kib("VmHWM"), kib("VmRSS"), int(kv.get("Threads", "0")), sched)


def system_busy_s() -> float:
    """Busy CPU-seconds of the whole machine since boot (user+nice+system+irq+softirq+steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK
