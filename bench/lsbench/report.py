"""Statistics, the issue-8 targets, and the markdown report."""
from __future__ import annotations

import statistics

from . import coldboot

HEALTH_GATED = ["single", "chain5", "diamond"]
WIDE = ["wide10", "wide50"]

FIGURES = [  # key, title, unit, lower is better
    ("ready_s", "Time to all healthy (wide50: all started), from launch, engine /events", "s"),
    ("probe_ready_s", "Time to every container's first passing probe (exec_die exit 0 after its start: the "
                      "engine's healthcheck or the tool's own exec probe), from launch, engine /events", "s"),
    ("up_s", "`up -d` return (floor: last start returned)", "s"),
    ("started_s", "Last container `start` event, from launch", "s"),
    ("down_s", "Teardown wall time (`down`; floor: stop reverse + rm + network rm)", "s"),
    ("peak_rss_mib", "Peak RSS of the tool during `up -d`", "MiB"),
    ("cpu_s", "CPU seconds (user+sys) of the tool during `up -d`", "s"),
    ("sys_busy_cpu_s", "System busy CPU-seconds during boot (/proc/stat, launch → ready)", "CPU-s"),
]


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"n": len(v), "min": min(v), "median": statistics.median(v), "max": max(v)}


def fmt_s(st, digits=2):
    if not st:
        return "–"
    return f"{st['min']:.{digits}f} / **{st['median']:.{digits}f}** / {st['max']:.{digits}f}"


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def med(boot, shape, tool, key):
    st = stats([r.get(key) for r in boot.get(shape, {}).get(tool, [])])
    return st["median"] if st else None


def best_floor(boot, shape, key="ready_s"):
    best = None
    for tool in boot.get(shape, {}):
        if tool.startswith("floor-"):
            m = med(boot, shape, tool, key)
            if m is not None and (best is None or m < best[1]):
                best = (tool, m)
    return best


def _dur(ns: float) -> str:
    for unit, f in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= f:
            return f"{ns / f:.3g} {unit}"
    return f"{ns:.3g} ns"


def targets(res: dict) -> list[dict]:
    boot = res.get("boot", {})
    out = []

    def add(name, value, limit, passed, note=""):
        out.append({"target": name, "value": value, "limit": limit,
                    "result": "n/a" if passed is None else ("PASS" if passed else "MISS"), "note": note})

    for s in HEALTH_GATED:
        if s in boot:
            r = ratio(med(boot, s, "lightshuttle", "ready_s"), med(boot, s, "compose", "ready_s"))
            rp = ratio(med(boot, s, "lightshuttle", "probe_ready_s"), med(boot, s, "compose", "probe_ready_s"))
            fl = best_floor(boot, s)
            rf = ratio(fl[1] if fl else None, med(boot, s, "compose", "ready_s"))
            add(f"all-healthy {s} ≤ 0.5× docker-compose", fmt_ratio(r), "0.50×", None if r is None else r <= 0.5,
                f"API floor / compose: {fmt_ratio(rf)}; by first passing probe: {fmt_ratio(rp)}")
    for s in WIDE:
        if s in boot:
            f = best_floor(boot, s)
            r = ratio(med(boot, s, "lightshuttle", "ready_s"), f[1] if f else None)
            add(f"all-{'healthy' if s == 'wide10' else 'started'} {s} ≤ 1.05× API floor", fmt_ratio(r), "1.05×",
                None if r is None else r <= 1.05, f"floor = {f[0]}" if f else "no floor measured")
    for s in boot:
        r = ratio(med(boot, s, "lightshuttle", "down_s"), med(boot, s, "compose", "down_s"))
        add(f"teardown {s} ≤ 0.5× docker-compose", fmt_ratio(r), "0.50×", None if r is None else r <= 0.5)
    sup = res.get("supervision", {}).get("lightshuttle")
    if sup:
        add("peak RSS supervising wide50 ≤ 15 MiB", f"{sup['peak_rss_mib']:.1f} MiB", "15 MiB",
            sup["peak_rss_mib"] <= 15, "VmHWM of the attached `up` (boot included)")
        add("idle CPU supervising wide50 ≤ 0.5 % of one core", f"{sup['idle_cpu_pct_core']:.4f} %", "0.5 %",
            sup["idle_cpu_pct_core"] <= 0.5, f"over {sup['idle_window_s']:.0f} s idle")
        ps = sup.get("cli", {}).get("lightshuttle ps")
        if ps:
            add("`lightshuttle ps` (wide50 up) ≤ 30 ms", f"{ps['median_ms']:.1f} ms", "30 ms", ps["median_ms"] <= 30,
                "hyperfine median")
    lat = res.get("latency", {}).get("lightshuttle")
    if lat:
        st = stats([r.get("probe_pass_to_event_ms") for r in lat])
        if st:
            add("health detection ≤ 20 ms after the probe passes", f"{st['median']:.1f} ms", "20 ms",
                st["median"] <= 20, "median of probe exec_die → resource_healthy")
    ap = res.get("api")
    if ap and ap.get("ours"):
        add("API: GET /api/v1/resources (50) p99 ≤ 2 ms at 500 req/s", f"{ap['ours']['p99_ms']:.2f} ms", "2 ms",
            ap["ours"]["p99_ms"] <= 2 and ap["ours"]["errors"] == 0,
            f"same run: the engine's /_ping p99 {ap.get('floor', {}).get('p99_ms', 0):.2f} ms (the loader's floor "
            f"here), its /containers/json p99 {ap['engine']['p99_ms']:.0f} ms")
        el = ap.get("event_after_supervisor_ms") or ap.get("event_latency_ms", {})
        if el.get("samples"):
            add("API: an event reaches a WebSocket client ≤ 5 ms after the supervisor sees it",
                f"p50 {el['p50']:.1f} / p99 {el['p99']:.1f} ms", "5 ms", el["p99"] <= 5 and el.get("missing", 0) == 0,
                f"{el['samples']} samples over {ap['sockets']} sockets; engine → client p50 "
                f"{ap['event_latency_ms']['p50']:.1f} ms")
        add("API: supervisor RSS with 50 resources and 20 event sockets ≤ 15 MiB",
            f"{ap['rss_sockets_kib'] / 1024:.1f} MiB", "15 MiB", ap["rss_sockets_kib"] <= 15 * 1024, "VmRSS")
    w = res.get("watch")
    if w and w.get("save_to_synced_ms"):
        sy = w["save_to_synced_ms"]
        add("watch: file saved → content in the container, p50 ≤ 100 ms", f"{sy['median']:.1f} ms", "100 ms",
            sy["median"] <= 100 and w["readback_mismatches"] == 0,
            f"{sy['n']} edits; read back by exec: p50 {w['save_to_visible_exec_ms']['median']:.1f} ms; same run: "
            f"docker cp {w['docker_cp_ms']['median']:.1f} ms, archive PUT {w['archive_put_ms']['median']:.1f} ms")
        add("watch: file saved → content in the container, p99 ≤ 300 ms", f"{sy['p99']:.1f} ms", "300 ms",
            sy["p99"] <= 300)
        add("watch: 1,000-file burst synced ≤ 2 s", f"{w['burst']['seconds']:.2f} s", "2 s",
            w["burst"]["seconds"] <= 2 and w["burst"]["files_in_container"] == w["burst_files"],
            f"{w['burst']['batches']} batch(es)")
        add("watch: RSS growth with 10,000 watched files ≤ 2 MiB", f"{w['idle']['rss_growth_kib'] / 1024:.2f} MiB",
            "2 MiB", w["idle"]["rss_growth_kib"] <= 2048,
            f"VmRSS; idle CPU {w['idle']['cpu_percent']:.2f} %" + (
                f"; private +{w['idle']['anon_growth_kib']} KiB, file-backed (code) "
                f"+{w['idle']['file_growth_kib']} KiB" if "anon_growth_kib" in w["idle"] else ""))
    mic = res.get("micro")
    if mic:
        for b in mic["benchmarks"]:
            if "bytes_per_second" in b and b.get("run_type") != "aggregate":
                bps = b["bytes_per_second"]
                add(f"decoder {b['name']} ≥ 1 GB/s", f"{bps / 1e9:.2f} GB/s", "1 GB/s", bps >= 1e9)
    for t in coldboot.targets(res.get("coldboot")):
        add(*t)
    return out


def render(res: dict) -> str:
    m = res["machine"]
    cfg = res["config"]
    L = []
    L.append(f"# LightShuttle vs docker-compose — {res['date']}\n")
    L.append("Generated by `scripts/bench` (bench/run.py). Method and shapes: "
             "`../shared/reference/perf-anchors.md`; what each figure measures: `bench/README.md`.\n")
    L.append("## Machine\n")
    L.append("| | |\n|---|---|")
    labels = {"commit": "working tree", "binary": "lightshuttle binary", "engine_api": "engine API",
              "load_before": "load average before", "load_after": "load average after"}
    for k in ("cpu", "nproc", "memory", "kernel", "engine", "engine_api", "compose", "hyperfine", "lightshuttle",
              "commit", "binary", "load_before", "load_after", "duration"):
        if k in m:
            L.append(f"| {labels.get(k, k)} | {m[k]} |")
    L.append("")
    L.append(f"Runs: {cfg['runs']} measured after 1 warm-up per tool and shape, tools in rotating order; clean "
             f"state verified before each run, {cfg['settle']} s settle. Floor variants: {', '.join(cfg['floor'])}. "
             f"min / **median** / max.\n")
    if res.get("warnings"):
        L.append("**Warnings during the run:**\n")
        for w in res["warnings"]:
            L.append(f"- {w}")
        L.append("")

    L.append("## Targets (issue 8)\n")
    L.append("| target | measured | limit | result | note |\n|---|---|---|---|---|")
    for t in res.get("targets", []):
        L.append(f"| {t['target']} | {t['value']} | {t['limit']} | **{t['result']}** | {t['note']} |")
    L.append("")

    boot = res.get("boot", {})
    if boot:
        L.append("## Boot, ready, teardown per shape\n")
        for key, title, unit in FIGURES:
            if not any(r.get(key) is not None for s in boot.values() for rs in s.values() for r in rs):
                continue
            floors = sorted({t for s in boot.values() for t in s if t.startswith("floor-")})
            has_floor = any(r.get(key) is not None for s in boot.values() for t in floors for r in s.get(t, []))
            L.append(f"### {title} ({unit})\n")
            head = "| shape | LightShuttle | docker-compose |"
            sep = "|---|---|---|"
            if has_floor:
                for f in floors:
                    head += f" API {f} |"
                    sep += "---|"
            head += " ours / compose |"
            sep += "---|"
            if has_floor:
                head += " ours / floor | compose / floor |"
                sep += "---|---|"
            L.append(head)
            L.append(sep)
            for s, tools in boot.items():
                if not any(r.get(key) is not None for rs in tools.values() for r in rs):
                    continue
                ls = stats([r.get(key) for r in tools.get("lightshuttle", [])])
                dc = stats([r.get(key) for r in tools.get("compose", [])])
                row = f"| {s} | {fmt_s(ls)} | {fmt_s(dc)} |"
                if has_floor:
                    for f in floors:
                        row += f" {fmt_s(stats([r.get(key) for r in tools.get(f, [])]))} |"
                row += f" {fmt_ratio(ratio(ls and ls['median'], dc and dc['median']))} |"
                if has_floor:
                    bf = best_floor(boot, s, key)
                    row += (f" {fmt_ratio(ratio(ls and ls['median'], bf and bf[1]))} |"
                            f" {fmt_ratio(ratio(dc and dc['median'], bf and bf[1]))} |")
                L.append(row)
            L.append("")
        if any("supervisor_hwm_kib" in r for s in boot.values() for r in s.get("lightshuttle", [])):
            L.append("LightShuttle's `up -d` figures are those of the `up -d` process (wait4 rusage) plus its "
                     "detached supervisor sampled from /proc when `up -d` returns (CPU: sum; RSS: the larger "
                     "of the two peaks, as docker-compose is one process).\n")

    sup = res.get("supervision", {})
    if sup:
        L.append(f"## Supervision: attached `up` on wide50, {cfg['idle_seconds']} s idle\n")
        L.append("| | LightShuttle | docker-compose | ours / compose |\n|---|---|---|---|")
        rows = [("ready (all started) s", "ready_s", 2), ("CPU s until idle window", "boot_cpu_s", 2),
                ("peak RSS (VmHWM) MiB", "peak_rss_mib", 1), ("idle RSS MiB", "idle_rss_mib", 1),
                ("idle CPU s per minute", "cpu_s_per_min", 4), ("idle CPU % of one core", "idle_cpu_pct_core", 4),
                ("threads", "threads", 0), ("SIGINT → exit s (stops the stack)", "sigint_exit_s", 2)]
        a, b = sup.get("lightshuttle", {}), sup.get("compose", {})
        for label, k, d in rows:
            va, vb = a.get(k), b.get(k)
            L.append(f"| {label} | {'–' if va is None else f'{va:.{d}f}'} | {'–' if vb is None else f'{vb:.{d}f}'} "
                     f"| {fmt_ratio(ratio(va, vb))} |")
        L.append("")
        cli = {**a.get("cli", {}), **b.get("cli", {})}
        if cli:
            L.append("## CLI latency (hyperfine -N, wide50 manifest, stack up)\n")
            L.append("| command | mean ms | median ms | min ms | max ms | runs |\n|---|---|---|---|---|---|")
            for name, r in cli.items():
                L.append(f"| `{name}` | {r['mean_ms']:.1f} ± {r['stddev_ms']:.1f} | **{r['median_ms']:.1f}** | "
                         f"{r['min_ms']:.1f} | {r['max_ms']:.1f} | {r['runs']} |")
            pairs = [("lightshuttle ps", "docker-compose ps"), ("lightshuttle config", "docker-compose config -q")]
            for x, y in pairs:
                if x in cli and y in cli:
                    L.append(f"\n`{x}` / `{y}` (medians): {fmt_ratio(ratio(cli[x]['median_ms'], cli[y]['median_ms']))}")
            L.append("")

    lat = res.get("latency", {})
    if lat:
        L.append("## Health detection latency (one-resource stack `a`, probe `test -f /tmp/ready`, interval 1 s; "
                 "`b` depends on `a`)\n")
        L.append("T = the bench's `touch /tmp/ready` exec finished (engine exec_die); P = the first passing probe "
                 "after T (first exec_die with exit code 0 in `a`: the engine's probe or the tool's own); "
                 "E = LightShuttle's `resource_healthy` event (`up --progress json`, ms); C = engine `create` of "
                 "`b` (the tool reacting). All engine times are the daemon's timeNano. ms. docker-compose 1.29 "
                 "re-checks a dependency's health about every 0.1 s (compose/parallel.py: `results.get(timeout=0.1)`, "
                 "then an inspect per check).\n")
        L.append("| interval | LightShuttle | docker-compose |\n|---|---|---|")
        keys = [("P → E: probe passes → our event", "probe_pass_to_event_ms"),
                ("P → C: probe passes → dependent created", "probe_pass_to_dependent_create_ms"),
                ("T → P: file exists → a probe passes", "touch_to_probe_pass_ms"),
                ("T → E: file exists → our event", "touch_to_event_ms"),
                ("T → C: file exists → dependent created", "touch_to_dependent_create_ms"),
                ("P → engine health_status event", "probe_pass_to_engine_health_event_ms")]
        for label, k in keys:
            a = stats([r.get(k) for r in lat.get("lightshuttle", [])])
            b = stats([r.get(k) for r in lat.get("compose", [])])
            L.append(f"| {label} | {fmt_s(a, 1)} | {fmt_s(b, 1)} |")
        L.append("")

    if res.get("api") and res["api"].get("ours"):
        from . import api as api_part
        L.append(api_part.render(res["api"]))
    if res.get("watch") and res["watch"].get("save_to_synced_ms"):
        from . import watch as watch_part
        L.append(watch_part.render(res["watch"]))

    mic = res.get("micro")
    if mic:
        L.append("## Micro-benchmarks (Google Benchmark, `ls_bench_micro`)\n")
        L.append("| benchmark | time per iteration | throughput | per resource |\n|---|---|---|---|")
        for b in mic["benchmarks"]:
            if b.get("run_type") == "aggregate" and "big_o" in b:
                L.append(f"| {b['name']} | fitted growth: **{b['big_o']}** | | |")
                continue
            if b.get("run_type") == "aggregate":
                continue
            ns = b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}.get(b.get("time_unit", "ns"), 1)
            thr = f"{b['bytes_per_second'] / 1e6:,.0f} MB/s" if "bytes_per_second" in b else ""
            per = ""
            arg = b["name"].rsplit("/", 1)[-1]
            if "bytes_per_second" not in b and arg.isdigit():
                per = _dur(ns / int(arg))
            L.append(f"| {b['name']} | {_dur(ns)} | {thr} | {per} |")
        L.append("")
    L += coldboot.render(res.get("coldboot"))
    return "\n".join(L) + "\n"
