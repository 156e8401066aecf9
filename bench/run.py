#!/usr/bin/env python3
"""LightShuttle vs docker-compose, in one run: boot / ready / teardown per stack shape, the Engine
API floor, supervision cost, health detection latency, CLI latency and the micro-benchmarks.
Writes bench/results/<YYYY-MM-DD>.md and .json. Normally started by `scripts/bench`.
python3 standard library only. See bench/README.md."""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from lsbench import api, boot, coldboot, phases, procs, report, shapes, watch  # noqa: E402
from lsbench.boot import log  # noqa: E402
from lsbench.engine import Engine  # noqa: E402
from lsbench.tools import Compose, FloorTool, LightShuttle, new_logdir  # noqa: E402

LS_PROJECT, COMPOSE_PROJECT, FLOOR_PROJECT = "lsbench", "cbench", "fbench"
LS_LAT_PROJECT, COMPOSE_LAT_PROJECT = "lslat", "clat"
STACKS = os.path.join(HERE, "stacks")
PARTS = ["boot", "supervision", "latency", "api", "watch", "micro", "coldboot"]
# Not in the default run (minutes long, a private dockerd): asked for alone, `--parts chaos`.
OPTIONAL_PARTS = ["chaos"]

# perf-anchors medians (s), for the up-front estimate when no earlier result exists:
# per shape (docker-compose ready + down, API floor ready + down)
_ANCHOR = {"single": (2.5 + 1.0, 1.8 + 0.3), "wide10": (7.7 + 2.9, 7.4 + 1.5), "chain5": (10.9 + 2.4, 8.9 + 1.1),
           "diamond": (7.8 + 2.1, 6.8 + 1.2), "wide50": (32.1 + 8.3, 31.8 + 7.0)}


def _last_result(out_dir: str, shapes_: list[str]) -> dict | None:
    """The newest result (by mtime) that measured every requested shape."""
    try:
        paths = [os.path.join(out_dir, n) for n in os.listdir(out_dir) if n.endswith(".json")]
    except OSError:
        return None
    for p in sorted(paths, key=os.path.getmtime, reverse=True):
        try:
            with open(p) as f:
                d = json.load(f)
        except (OSError, ValueError):
            continue
        boot_ = d.get("boot") or {}
        if all(all(boot_.get(s, {}).get(t) for t in ("lightshuttle", "compose", "floor-par")) for s in shapes_):
            return d
    return None


def estimate(a) -> tuple[float, str]:
    """Seconds the arguments should take: from the newest result in --out-dir when it measured the
    shapes, else from perf-anchors.md (LightShuttle assumed at the floor)."""
    last = _last_result(a.out_dir, a.shapes)
    src = "perf-anchors.md"
    total = 0.0
    per_tool = 0.6 + a.settle  # clean-state checks, watcher, settle

    def cycle(shape: str, tool: str) -> float | None:
        rs = (last or {}).get("boot", {}).get(shape, {}).get(tool)
        if not rs:
            return None
        return report.stats([max(r["ready_s"], r["up_s"]) + r["down_s"] for r in rs])["median"]

    if "boot" in a.parts:
        for s in a.shapes:
            c, f = _ANCHOR[s]
            lc, ll, lf = cycle(s, "compose"), cycle(s, "lightshuttle"), cycle(s, "floor-par")
            if lc and ll and lf:
                c, ls_, f = lc, ll, lf
                src = "the newest result in " + os.path.relpath(a.out_dir)
            else:
                ls_ = f
            nf = sum(1 for v in a.floor if not v.startswith("conc") or
                     max(len(x) for x in shapes.SHAPES[s].levels()) > int(v[4:]))
            total += (c + ls_ + f * nf + (2 + nf) * per_tool) * (a.runs + 1)
    if "supervision" in a.parts:
        w50 = _ANCHOR["wide50"][0] - 8.3
        total += 2 * (a.settle + w50 + 3 + a.idle_seconds + 8) + 10 + (a.cli_runs + 3) * (0.7 * 2 + 0.05) + 15
    if "latency" in a.parts:
        total += 2 * a.latency_runs * (a.settle + 7)
    if "watch" in a.parts:
        total += 30 + a.watch_edits * 0.15
    if "micro" in a.parts:
        total += 40
    if "coldboot" in a.parts:
        total += a.runs * 75
    return total, src


def sh(argv) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine(engine: Engine, a) -> dict:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = f.readline().split()[1]
    v = engine.version()
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "include", "CMakeLists.txt"])
    return {"cpu": cpu, "nproc": os.cpu_count(), "memory": f"{int(mem) / 1048576:.1f} GiB",
            "kernel": platform.release(), "engine": f"Docker Engine {v.get('Version')}",
            "engine_api": v.get("ApiVersion"), "compose": sh([a.compose, "version", "--short"]),
            "hyperfine": sh(["hyperfine", "--version"]), "lightshuttle": sh([a.ls_bin, "--version"]),
            "commit": commit + (" (+ uncommitted changes in src/include)" if dirty else ""),
            "binary": a.ls_describe or a.ls_bin,
            "load_before": " ".join(open("/proc/loadavg").read().split()[:3])}


def validate(ls_bin: str, f: str):
    r = subprocess.run([ls_bin, "validate", "-f", f], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"bench: generated manifest {f} does not validate:\n{r.stderr}")
    r = subprocess.run(["docker-compose", "-f", os.path.join(os.path.dirname(f), "docker-compose.yml"),
                        "config", "-q"], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"bench: generated compose file in {os.path.dirname(f)} is invalid:\n{r.stderr}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="measured runs per tool and shape (after 1 warm-up)")
    ap.add_argument("--shapes", default=",".join(shapes.ORDER), help="comma list of " + ",".join(shapes.ORDER))
    ap.add_argument("--parts", default=",".join(PARTS), help="comma list of " + ",".join(PARTS))
    ap.add_argument("--floor", default="par,conc4",
                    help="Engine API floor variants, comma list: par (all launchable at once), seq, concK (at most "
                         "K at once; run only on shapes with a level wider than K). Default par,conc4")
    ap.add_argument("--idle-seconds", type=float, default=60.0)
    ap.add_argument("--latency-runs", type=int, default=None, help="default: --runs")
    ap.add_argument("--cli-runs", type=int, default=20, help="hyperfine runs per command")
    ap.add_argument("--settle", type=float, default=1.5)
    ap.add_argument("--ls-bin", default=os.path.join(ROOT, "build/release/src/cli/lightshuttle"))
    ap.add_argument("--micro-bin", default=os.path.join(ROOT, "build/release/bench/ls_bench_micro"))
    ap.add_argument("--api-bin", default=os.path.join(ROOT, "build/release/bench/ls_bench_api"))
    ap.add_argument("--events-bin", default=os.path.join(ROOT, "build/release/bench/ls_bench_events"))
    ap.add_argument("--api-rate", type=float, default=500.0, help="requests/s of the control API load (part api)")
    ap.add_argument("--api-seconds", type=float, default=10.0, help="seconds of the control API load (at most 60)")
    ap.add_argument("--watch-edits", type=int, default=200, help="edits timed one by one (part watch)")
    ap.add_argument("--ls-describe", default=None, help="where the binary comes from (for the report)")
    ap.add_argument("--compose", default="docker-compose")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--name", default=None, help="result file name without extension (default: the date)")
    ap.add_argument("--estimate", action="store_true", help="print the time estimate and exit")
    ap.add_argument("--cleanup", action="store_true", help="only remove what a bench run may have left")
    ap.add_argument("--render", metavar="JSON", help="only rewrite the markdown next to this result JSON")
    ap.add_argument("--chaos-minutes", type=float, default=10.0, help="duration of the chaos soak (part chaos)")
    ap.add_argument("--chaos-resources", type=int, default=30, help="resources of the chaos soak")
    ap.add_argument("--chaos-seed", type=int, default=None, help="seed of the chaos driver (default: random)")
    a = ap.parse_args()
    a.shapes = [s for s in a.shapes.split(",") if s]
    a.parts = [p for p in a.parts.split(",") if p]
    a.floor = [f for f in a.floor.split(",") if f]
    a.latency_runs = a.runs if a.latency_runs is None else a.latency_runs
    for s in a.shapes:
        if s not in shapes.SHAPES:
            ap.error(f"unknown shape {s}")
    for p in a.parts:
        if p not in PARTS + OPTIONAL_PARTS:
            ap.error(f"unknown part {p}")
    if "chaos" in a.parts:
        if a.parts != ["chaos"]:
            ap.error("--parts chaos runs alone")
        from lsbench import chaos  # noqa: E402
        registry = os.environ.get("LS_REGISTRY_ADDR", "127.0.0.1:5000")
        return chaos.main(a.ls_bin, a.chaos_resources, a.chaos_minutes, a.chaos_seed, a.out_dir, a.name, registry)

    if a.render:
        with open(a.render) as f:
            res = json.load(f)
        res["targets"] = report.targets(res)
        with open(a.render, "w") as f:
            json.dump(res, f, indent=1)
        md = os.path.splitext(a.render)[0] + ".md"
        with open(md, "w") as f:
            f.write(report.render(res))
        log(f"wrote {md}")
        return 0

    est, est_src = estimate(a)
    if a.estimate:
        print(f"estimated duration: {est / 60:.1f} min (from {est_src})")
        return 0

    engine = Engine()
    logdir = new_logdir()
    files: dict[str, dict] = {}

    def write_stacks(project: str):
        for s in shapes.ORDER:
            lf, cf = shapes.write(shapes.SHAPES[s], STACKS, project)
            files[s] = {"ls": lf, "compose": cf}

    def write_latency(project: str):
        lf, cf = shapes.write(shapes.LATENCY, STACKS, project)
        files["latency"] = {"ls": lf, "compose": cf}

    write_stacks(LS_PROJECT)
    write_latency(LS_LAT_PROJECT)
    ls = LightShuttle(a.ls_bin, LS_PROJECT, engine, logdir, on_rename=write_stacks)
    dc = Compose(a.compose, COMPOSE_PROJECT, engine, logdir)
    floors = [FloorTool(v, FLOOR_PROJECT, engine) for v in a.floor]
    ls_lat = LightShuttle(a.ls_bin, LS_LAT_PROJECT, engine, logdir, on_rename=write_latency)
    dc_lat = Compose(a.compose, COMPOSE_LAT_PROJECT, engine, logdir)
    everything = [ls, dc, ls_lat, dc_lat] + floors[:1]
    for s in shapes.ORDER:
        ls.stack_files.add(files[s]["ls"])
        dc.stack_files.add(files[s]["compose"])
    ls_lat.stack_files.add(files["latency"]["ls"])
    dc_lat.stack_files.add(files["latency"]["compose"])

    def cleanup():
        procs.terminate_started()
        for t in everything:
            try:
                t.force_clean()
            except Exception as e:  # noqa: BLE001
                log(f"cleanup of {t.name}: {e}")

    if a.cleanup:  # also the renamed projects (<base>2 ... <base>9) a run may have moved to
        cleanup()
        for t in everything + floors[1:]:
            for n in [""] + [str(i) for i in range(2, 10)]:
                errs = engine.force_remove_labelled(t.label.split("=")[0] + "=" + t.base + n)
                for e in errs:
                    log(f"cleanup: {e}")
        coldboot.cleanup(a.ls_bin, os.path.join(STACKS, "coldboot"))
        log("cleanup done")
        return 0

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    if not procs.become_subreaper():
        log("warning: cannot become a child subreaper; the detached supervisor will not be reaped by the bench")

    for s in list(shapes.ORDER) + ["latency"]:
        validate(a.ls_bin, files[s]["ls"])
    pre_warnings: list[str] = []
    try:
        for t in everything:  # leftovers of an earlier run, or a project the engine holds stuck
            boot.prepare(engine, t, pre_warnings, "before the bench")
    except KeyboardInterrupt:
        cleanup()
        return 130

    today = datetime.date.today().isoformat()
    res: dict = {"date": today, "machine": machine(engine, a),
                 "config": {"runs": a.runs, "shapes": a.shapes, "parts": a.parts, "floor": a.floor,
                            "idle_seconds": a.idle_seconds, "latency_runs": a.latency_runs,
                            "cli_runs": a.cli_runs, "settle": a.settle,
                            "projects": {"lightshuttle": LS_PROJECT, "compose": COMPOSE_PROJECT,
                                         "floor": FLOOR_PROJECT}},
                 "warnings": pre_warnings}
    warnings = res["warnings"]
    log(f"estimated duration {est / 60:.1f} min (from {est_src}); logs in {logdir}")
    t_begin = time.time()
    rc = 0
    try:
        if "boot" in a.parts:
            res["boot"] = {}
            for s in a.shapes:
                tools = [ls, dc] + [f for f in floors if f.applies(shapes.SHAPES[s])]
                log(f"shape {s}: {a.runs} runs + 1 warm-up of {', '.join(t.name for t in tools)}")
                res["boot"][s] = boot.run_shape(engine, tools, shapes.SHAPES[s], files[s], a.runs, a.settle,
                                                warnings)
        if "supervision" in a.parts:
            res["supervision"] = {}
            log(f"supervision: attached lightshuttle up on wide50, {a.idle_seconds:.0f}s idle")
            boot.prepare(engine, ls, warnings, "supervision lightshuttle")
            w50 = files["wide50"]
            res["supervision"]["lightshuttle"] = phases.supervise(
                engine, ls, [a.ls_bin, "up", "--progress", "plain", "-f", w50["ls"]], os.path.dirname(w50["ls"]),
                shapes.SHAPES["wide50"], a.idle_seconds, a.settle, logdir, warnings,
                {"lightshuttle ps": f"{a.ls_bin} ps -f {w50['ls']}",
                 "lightshuttle validate": f"{a.ls_bin} validate -f {w50['ls']}",
                 "lightshuttle config": f"{a.ls_bin} config -f {w50['ls']}"}, a.cli_runs)
            log(f"supervision: attached docker-compose up on wide50, {a.idle_seconds:.0f}s idle")
            boot.prepare(engine, dc, warnings, "supervision compose")
            cbase = [a.compose, "-p", dc.project, "-f", w50["compose"]]
            res["supervision"]["compose"] = phases.supervise(
                engine, dc, cbase + ["up"], os.path.dirname(w50["compose"]), shapes.SHAPES["wide50"],
                a.idle_seconds, a.settle, logdir, warnings,
                {"docker-compose ps": " ".join(cbase + ["ps"]),
                 "docker-compose config -q": " ".join(cbase + ["config", "-q"])}, a.cli_runs,
                after_stop=cbase + ["down"])
        if "latency" in a.parts:
            lat = files["latency"]
            res["latency"] = {"lightshuttle": [], "compose": []}
            rng = random.Random(8)
            for i in range(a.latency_runs):
                order = [("lightshuttle", ls_lat), ("compose", dc_lat)]
                if i % 2:
                    order.reverse()
                for kind, tool in order:
                    try:
                        boot.prepare(engine, tool, warnings, f"latency run {i}")
                    except Exception as e:  # noqa: BLE001
                        warnings.append(f"latency run {i}: {kind}: {e}")
                        continue
                    lat = files["latency"]
                    if kind == "lightshuttle":
                        argv = [a.ls_bin, "up", "--progress", "json", "-f", lat["ls"]]
                        stop = []
                        names = {"a": f"{tool.project}_a", "b": f"{tool.project}_b"}
                    else:
                        base = [a.compose, "-p", tool.project, "-f", lat["compose"]]
                        argv, stop = base + ["up", "-d"], base + ["down"]
                        names = {"a": f"{tool.project}_a_1", "b": f"{tool.project}_b_1"}
                    try:
                        r = phases.latency_run(engine, tool, kind, argv, os.path.dirname(lat["ls"]), names, rng,
                                               logdir, warnings, a.settle, stop)
                    except Exception as e:  # noqa: BLE001
                        warnings.append(f"latency run {i}: {kind} failed: {e}")
                        log(f"latency run {i}: {kind} FAILED: {e}")
                        try:
                            tool.force_clean()
                        except Exception as err:  # noqa: BLE001
                            log(f"clean-up of {kind}: {err}")
                        continue
                    res["latency"][kind].append(r)
                    log(f"latency run {i}: {kind:12} " + " ".join(f"{k}={v:.1f}" for k, v in r.items()))
        if "api" in a.parts:
            log("api: the control plane of a supervised wide50 stack")
            res["api"] = api.run(engine, a.ls_bin, a.api_bin, STACKS, logdir, warnings, rate=a.api_rate,
                                 seconds=a.api_seconds, events_bin=a.events_bin)
        if "coldboot" in a.parts:
            log(f"coldboot: a Dockerfile build depending on postgres, cold then warm, {a.runs} runs")
            res["coldboot"] = coldboot.run(a.ls_bin, a.compose, STACKS, a.runs, warnings)
        if "watch" in a.parts:
            log(f"watch: {a.watch_edits} edits, a 1,000-file burst, idle with 10,000 watched files")
            res["watch"] = watch.run(engine, a.ls_bin, shapes.IMAGE, logdir, warnings, edits=a.watch_edits)
        if "micro" in a.parts:
            if os.path.exists(a.micro_bin):
                log("micro-benchmarks")
                res["micro"] = phases.micro(a.micro_bin, os.path.join(logdir, "micro.json"))
            else:
                warnings.append(f"micro-benchmarks skipped: {a.micro_bin} not built")
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        rc = 130
    except Exception as e:  # noqa: BLE001
        log(f"failed: {e!r}; cleaning up")
        warnings.append(f"bench aborted: {e!r}")
        rc = 1
    finally:
        cleanup()

    res["config"]["projects"] = {t.name if t not in (ls_lat, dc_lat) else t.name + "-latency": t.project
                                 for t in [ls, dc, ls_lat, dc_lat] + floors}
    res["machine"]["load_after"] = " ".join(open("/proc/loadavg").read().split()[:3])
    res["machine"]["duration"] = f"{(time.time() - t_begin) / 60:.1f} min (estimate was {est / 60:.1f})"
    res["targets"] = report.targets(res)
    os.makedirs(a.out_dir, exist_ok=True)
    name = a.name or today
    if rc:
        name += "-incomplete"
    md, js = os.path.join(a.out_dir, name + ".md"), os.path.join(a.out_dir, name + ".json")
    # Keep the result portable: no paths of this machine (the repo, the temporary binary dir).
    text = json.dumps(res, indent=1)
    for prefix in (ROOT_DIR, os.path.dirname(os.path.abspath(a.ls_bin))):
        if prefix not in ("", "/"):
            text = text.replace(prefix + "/", "")
    res = json.loads(text)
    with open(js, "w") as f:
        f.write(text)
    with open(md, "w") as f:
        f.write(report.render(res))
    log(f"wrote {md} and {js}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
