"""The chaos soak (`scripts/bench --parts chaos`): N resources under one supervisor on a PRIVATE
dockerd (own socket, data root, exec root and bridge; the shared engine is never touched) while a
driver kills containers, pauses them, stops them from outside, restarts the engine twice and
kills the supervisor once (then `up -d` adopts). At the end: every resource running and ready,
restart counts equal to the application-level exits caused (kills and outside stops), the
supervisor's RSS growth after warm-up, no leaked container / network / volume / fd, and `down`
leaving nothing. Writes bench/results/chaos-<date>.json and .md. Loopback only; bounded in time
(--chaos-minutes) and in faults (one at a time, each waited for)."""
from __future__ import annotations

import datetime
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time

from .engine import Engine

IMAGE = "lightshuttle-test/busybox:latest"


def log(msg: str):
    print(f"chaos: {msg}", flush=True)


def _pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


class PrivateDockerd:
    def __init__(self, root: str, bridge: str, registry: str):
        self.root, self.bridge, self.registry = root, bridge, registry
        self.sock = os.path.join(root, "docker.sock")
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict:
        e = dict(os.environ)
        e["DOCKER_HOST"] = "unix://" + self.sock
        return e

    def create_bridge(self):
        subprocess.run(f"ip link add {self.bridge} type bridge && ip addr add 169.254.215.1/24 dev {self.bridge}"
                       f" && ip link set {self.bridge} up", shell=True, check=True)

    def delete_bridge(self):
        subprocess.run(f"ip link del {self.bridge} 2>/dev/null", shell=True)

    def start(self):
        logf = open(os.path.join(self.root, "dockerd.log"), "a")
        self.proc = subprocess.Popen(
            ["dockerd", "--host", "unix://" + self.sock, "--data-root", os.path.join(self.root, "data"),
             "--exec-root", os.path.join(self.root, "exec"), "--pidfile", os.path.join(self.root, "docker.pid"),
             "--bridge=" + self.bridge, "--iptables=false", "--ip-masq=false",
             "--insecure-registry=127.0.0.0/8"], stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(600):
            if subprocess.run(["docker", "version"], env=self.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("the private dockerd did not answer")

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Soak:
    def __init__(self, ls_bin: str, n: int, minutes: float, seed: int, out_dir: str, registry: str):
        self.ls_bin, self.n, self.minutes, self.out_dir = ls_bin, n, minutes, out_dir
        self.rng = random.Random(seed)
        self.seed = seed
        self.work = tempfile.mkdtemp(prefix="lschaos-")
        self.project = "lschaos" + format(self.rng.getrandbits(16), "04x")
        self.daemon = PrivateDockerd(os.path.join(self.work, "engine"), "lsbrc" + format(self.rng.getrandbits(12), "03x"),
                                     registry)
        os.makedirs(self.daemon.root)
        self.names = [f"r{i:02d}" for i in range(n)]
        self.expected = {r: 0 for r in self.names}  # application-level exits since the supervisor began
        self.faults = {"kill": 0, "pause": 0, "stop": 0, "engine_restart": 0, "supervisor_kill": 0}
        self.recoveries: list[dict] = []
        self.supervisor_pid: int | None = None
        self.problems: list[str] = []

    # --- the CLI --------------------------------------------------------------------------------

    def cli(self, *args, timeout=300) -> subprocess.CompletedProcess:
        return subprocess.run([self.ls_bin, *args], cwd=self.work, env=self.daemon.env(), capture_output=True,
                              text=True, timeout=timeout)

    def docker(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env=self.daemon.env(), capture_output=True, text=True, timeout=120)

    def write_manifest(self):
        lines = ["lightshuttle: v0", "project:", f"  name: {self.project}", "resources:"]
        for i, r in enumerate(self.names):
            lines += [f"  {r}:", "    container:", f"      image: {IMAGE}",
                      "      command: [sh, -c, \"trap 'exit 0' TERM; while :; do sleep 1; done\"]",
                      "      restart: always", "      stop_grace_period: 2s"]
            if i % 3 == 0:
                lines += ["      healthcheck:", "        test: [CMD-SHELL, 'true']", "        interval: 1s",
                          "        retries: 3"]
            if i >= 10:
                lines += [f"      depends_on: [{self.names[i - 10]}]"]
        with open(os.path.join(self.work, "lightshuttle.yml"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def up(self) -> tuple[float, str]:
        t0 = time.monotonic()
        p = self.cli("up", "-d", "--progress", "plain", timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"up -d failed: {p.stderr[-2000:]}")
        m = re.search(r"supervisor pid ([0-9]+)", p.stderr + p.stdout)
        if not m:
            raise RuntimeError("up -d did not say the supervisor pid")
        self.supervisor_pid = int(m.group(1))
        self.expected = {r: 0 for r in self.names}
        return time.monotonic() - t0, p.stderr + p.stdout

    def ps(self) -> dict[str, dict]:
        p = self.cli("ps", "-a", "--format", "json", timeout=60)
        if p.returncode != 0:
            return {}
        try:
            d = json.loads(p.stdout)
        except ValueError:
            return {}
        rows = d.get("resources", d) if isinstance(d, dict) else d
        return {v["name"]: v for v in rows if isinstance(v, dict) and "name" in v}

    def settled(self) -> bool:
        """Every resource running and ready, restart counts as expected."""
        v = self.ps()
        if len(v) != self.n:
            return False
        for r in self.names:
            x = v[r]
            if x.get("status") != "running" or x.get("health") in ("starting", "unhealthy"):
                return False
            if x.get("restarts") != self.expected[r]:
                return False
        return True

    def wait_settled(self, bound: float = 300.0) -> float | None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < bound:
            if self.settled():
                return time.monotonic() - t0
            time.sleep(0.25)
        v = self.ps()
        bad = {r: (x.get("status"), x.get("health"), x.get("restarts"), self.expected.get(r))
               for r, x in v.items() if x.get("status") != "running" or x.get("restarts") != self.expected.get(r)}
        self.problems.append(f"not settled after {bound:.0f}s: {bad}")
        return None

    # --- faults ---------------------------------------------------------------------------------

    def cname(self, r: str) -> str:
        return f"{self.project}_{r}"

    def fault(self):
        r = self.rng.choice(self.names)
        kind = self.rng.choices(["kill", "pause", "stop"], weights=[5, 2, 3])[0]
        if kind == "kill":
            if self.docker("kill", self.cname(r)).returncode == 0:
                self.expected[r] += 1
                self.faults["kill"] += 1
        elif kind == "stop":
            if self.docker("stop", "-t", "2", self.cname(r)).returncode == 0:
                self.expected[r] += 1
                self.faults["stop"] += 1
        else:
            if self.docker("pause", self.cname(r)).returncode == 0:
                self.faults["pause"] += 1
                time.sleep(self.rng.uniform(0.5, 2.0))
                self.docker("unpause", self.cname(r))

    def restart_engine(self):
        self.faults["engine_restart"] += 1
        t0 = time.monotonic()
        self.daemon.stop()
        self.daemon.start()
        took = self.wait_settled()
        self.recoveries.append({"kind": "engine_restart", "recover_s": None if took is None else time.monotonic() - t0})
        log(f"engine restart: recovered in {self.recoveries[-1]['recover_s']}")

    def kill_supervisor(self):
        self.faults["supervisor_kill"] += 1
        ids = {r: self.docker("inspect", "-f", "{{.Id}}", self.cname(r)).stdout.strip() for r in self.names}
        os.kill(self.supervisor_pid, signal.SIGKILL)
        t0 = time.monotonic()
        for _ in range(100):
            if not os.path.exists(f"/proc/{self.supervisor_pid}") or \
                    open(f"/proc/{self.supervisor_pid}/stat").read().split(") ")[1].startswith("Z"):
                break
            time.sleep(0.05)
        _, out = self.up()
        adopted = out.count("resource_adopted")
        same = sum(1 for r in self.names
                   if self.docker("inspect", "-f", "{{.Id}}", self.cname(r)).stdout.strip() == ids[r])
        took = self.wait_settled()
        self.recoveries.append({"kind": "supervisor_kill", "recover_s": None if took is None else time.monotonic() - t0,
                                "adopted": adopted, "kept_container": same})
        log(f"supervisor kill: {adopted} adopted, {same} containers kept, recovered in {self.recoveries[-1]['recover_s']}")
        if adopted != self.n or same != self.n:
            self.problems.append(f"adoption: {adopted} adopted, {same} of {self.n} containers kept")

    # --- measurements ---------------------------------------------------------------------------

    def proc_sample(self) -> dict:
        pid = self.supervisor_pid
        out = {"pid": pid}
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out["rss_kib"] = int(line.split()[1])
            out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError as e:
            out["error"] = str(e)
        return out

    def leaks(self, expect_containers: int) -> dict:
        e = Engine(self.daemon.sock)
        label = f"lightshuttle.project={self.project}"
        cs = e.containers(label, all_=True)
        nets = [n["Name"] for n in e.networks(label)]
        vols = self.docker("volume", "ls", "-q").stdout.split()
        return {"containers": len(cs), "extra_containers": len(cs) - expect_containers,
                "not_running": sum(1 for c in cs if c.get("State") != "running"),
                "networks": nets, "volumes": len(vols)}

    # --- the run --------------------------------------------------------------------------------

    def run(self) -> dict:
        started = datetime.datetime.now(datetime.timezone.utc)
        self.daemon.create_bridge()
        try:
            self.daemon.start()
            ref = f"{self.daemon.registry}/{IMAGE}"
            if self.docker("pull", ref).returncode != 0 or self.docker("tag", ref, IMAGE).returncode != 0:
                raise RuntimeError(f"cannot pull {ref} into the private engine")
            self.write_manifest()
            boot_s, _ = self.up()
            log(f"{self.n} resources up in {boot_s:.1f}s (supervisor pid {self.supervisor_pid})")
            if self.wait_settled() is None:
                raise RuntimeError("the stack never settled after the boot")
            duration = self.minutes * 60.0
            t_start = time.monotonic()
            plan = sorted([(0.15, "supervisor"), (0.40, "engine"), (0.70, "engine")])
            rss_start = None
            while time.monotonic() - t_start < duration:
                frac = (time.monotonic() - t_start) / duration
                if plan and frac >= plan[0][0]:
                    _, what = plan.pop(0)
                    if self.wait_settled() is None:  # quiesce: pending exits judged before the big fault
                        break
                    if what == "engine":
                        self.restart_engine()
                        if rss_start is None:  # warm-up: boot, adoption and one recovery done
                            rss_start = self.proc_sample()
                    else:
                        self.kill_supervisor()
                    continue
                self.fault()
                time.sleep(self.rng.uniform(1.0, 3.0))
            settle = self.wait_settled()
            time.sleep(2.0)
            rss_end = self.proc_sample()
            leaks_before_down = self.leaks(self.n)
            restarts = {r: v.get("restarts") for r, v in self.ps().items()}
            t0 = time.monotonic()
            down = self.cli("down", timeout=300)
            down_s = time.monotonic() - t0
            after = self.leaks(0)
            ok_down = down.returncode == 0 and after["containers"] == 0 and not after["networks"] \
                and after["volumes"] == 0
            if not ok_down:
                self.problems.append(f"down left something: rc={down.returncode} {after} {down.stderr[-500:]}")
            if settle is None:
                self.problems.append("not every resource running and ready at the end")
            mism = {r: (restarts.get(r), self.expected[r]) for r in self.names if restarts.get(r) != self.expected[r]}
            if mism:
                self.problems.append(f"restart counts differ from the application-level exits: {mism}")
            rss_growth = None
            if rss_start and "rss_kib" in rss_start and "rss_kib" in rss_end:
                rss_growth = rss_end["rss_kib"] - rss_start["rss_kib"]
                if rss_growth > 1024:
                    self.problems.append(f"supervisor RSS grew {rss_growth} KiB after warm-up")
            if rss_start and rss_end.get("fds") != rss_start.get("fds"):
                self.problems.append(f"supervisor fds: {rss_start.get('fds')} -> {rss_end.get('fds')}")
            if leaks_before_down["extra_containers"] or leaks_before_down["not_running"]:
                self.problems.append(f"containers before down: {leaks_before_down}")
            rec = [x["recover_s"] for x in self.recoveries if x["recover_s"] is not None]
            return {
                "date": started.date().isoformat(), "started_at": started.isoformat(timespec="seconds"),
                "seed": self.seed, "resources": self.n, "minutes": self.minutes, "ls_bin": self.ls_bin,
                "boot_s": boot_s, "faults": self.faults, "recoveries": self.recoveries,
                "recover_p50_s": _pct(rec, 50), "recover_max_s": max(rec) if rec else None,
                "rss_start": rss_start, "rss_end": rss_end, "rss_growth_kib": rss_growth,
                "restarts_total": sum(v for v in restarts.values() if isinstance(v, int)),
                "expected_total": sum(self.expected.values()),
                "leaks_before_down": leaks_before_down, "after_down": after, "down_s": down_s,
                "problems": self.problems, "ok": not self.problems,
            }
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up must not be cut short
            subprocess.run([self.ls_bin, "down", "--timeout", "1s"], cwd=self.work, env=self.daemon.env(),
                           capture_output=True, timeout=300)
            self.daemon.stop()
            self.daemon.delete_bridge()
            shutil.rmtree(self.work, ignore_errors=True)


def render(r: dict) -> str:
    f = r["faults"]
    rec = r["recoveries"]
    lines = [f"# Chaos soak, {r['started_at']}", "",
             f"{r['resources']} resources (`restart: always`, a third with a healthcheck, chains of "
             f"dependencies) on a private dockerd for {r['minutes']:g} min; seed {r['seed']}; binary "
             f"`{r['ls_bin']}`.", "",
             "| faults | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in f.items()]
    lines += ["", "| recovery | time to every resource ready (s) | notes |", "|---|---|---|"]
    for x in rec:
        note = f"{x.get('adopted')} adopted, {x.get('kept_container')} containers kept" if "adopted" in x else ""
        lines.append(f"| {x['kind']} | {x['recover_s']:.1f} | {note} |" if x["recover_s"] is not None
                     else f"| {x['kind']} | did not recover | {note} |")
    p50, mx = r["recover_p50_s"], r["recover_max_s"]
    lines += ["", f"Time to recover: p50 {p50:.1f} s, max {mx:.1f} s." if p50 is not None else "",
              f"Restarts counted {r['restarts_total']}, application-level exits caused {r['expected_total']}.",
              f"Supervisor RSS after warm-up {(r['rss_start'] or {}).get('rss_kib')} KiB, at the end "
              f"{r['rss_end'].get('rss_kib')} KiB (growth {r['rss_growth_kib']} KiB); fds "
              f"{(r['rss_start'] or {}).get('fds')} -> {r['rss_end'].get('fds')}.",
              f"Before `down`: {r['leaks_before_down']}. After `down` ({r['down_s']:.1f} s): {r['after_down']}.",
              "", "Result: " + ("**ok**" if r["ok"] else "**problems**: " + "; ".join(r["problems"]))]
    return "\n".join(lines) + "\n"


def main(ls_bin: str, n: int, minutes: float, seed: int | None, out_dir: str, name: str | None,
         registry: str) -> int:
    seed = seed if seed is not None else random.SystemRandom().randrange(1 << 30)
    soak = Soak(ls_bin, n, minutes, seed, out_dir, registry)
    log(f"{n} resources, {minutes:g} min, seed {seed}, private engine under {soak.work}")
    res = soak.run()
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, name or f"chaos-{res['date']}")
    with open(base + ".json", "w") as f:
        json.dump(res, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(render(res))
    log(f"wrote {base}.md: " + ("ok" if res["ok"] else "PROBLEMS: " + "; ".join(res["problems"])))
    return 0 if res["ok"] else 1
