"""The benchmark's outputs: one row per measurement, the table, the targets, JSON and plots."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psutil

from . import profile
from .load import SCENARIOS
from .targets import find, split, targets

HEADER = (
    f"{'TikTok':>6} {'scenario':<18} {'conc':>4} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
    f"{'p99 ms':>7} {'errors':>6} {'cpu s/1k':>8} {'db s/1k':>7} {'fake s/1k':>9} "
    f"{'RSS MB':>6} {'SQL/req':>7} {'redis/req':>9} {'other%':>6}"
)
CORES = psutil.cpu_count() or 1


def row(
    name: str,
    latency: int,
    concurrency: int,
    result: dict[str, float],
    used: dict[str, float],
    memory: Any,
    machine_busy: float,
    elapsed: float,
) -> dict[str, Any]:
    """One measurement, as saved in the JSON."""
    requests = int(result["requests"]) or 1
    seconds = result["duration_us"] / 1e6
    sockets = sum(int(result[f"err_{kind}"]) for kind in ("connect", "read", "write", "timeout"))
    ours = sum(used.values())
    return {
        "scenario": name,
        "tiktok_latency_ms": latency,
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "requests": int(result["requests"]),
        "throughput_rps": round(result["requests"] / seconds, 1),
        "latency_ms": {
            q: round(result[f"lat_{q}_us"] / 1000, 2) for q in ("p50", "p95", "p99", "max")
        },
        "errors": sockets + int(result["bad"]),
        "errors_detail": {"socket": sockets, "unexpected_answer": int(result["bad"])},
        "cpu_s_per_1k": {k: round(v / requests * 1000, 3) for k, v in used.items()},
        "peak_rss_mb": round(memory.peak_rss_mb, 1),
        "peak_pss_mb": round(memory.peak_pss_mb, 1),
        "sql_per_request": (
            round(result["queries_sum"] / result["queries_n"], 2) if result["queries_n"] else None
        ),
        "sql_max": int(result["queries_max"]) if result["queries_n"] else None,
        # CPU used on the machine by anything but this benchmark's processes (other people's
        # test runs on a shared machine), as a share of all cores.
        "other_cpu_pct": round(max(0.0, machine_busy - ours) / (elapsed * CORES) * 100, 1),
    }


def line(r: dict[str, Any]) -> str:
    lat, cpu = r["latency_ms"], r["cpu_s_per_1k"]
    sql = "-" if r["sql_per_request"] is None else f"{r['sql_per_request']:g}"
    return (
        f"{r['tiktok_latency_ms']:>4}ms {r['scenario']:<18} {r['concurrency']:>4} "
        f"{r['throughput_rps']:>7.1f} {lat['p50']:>7.1f} {lat['p95']:>7.1f} {lat['p99']:>7.1f} "
        f"{r['errors']:>6} {cpu['server']:>8.2f} {cpu['db']:>7.2f} {cpu['fake']:>9.2f} "
        f"{r['peak_rss_mb']:>6.0f} {sql:>7} {r.get('redis_commands_per_request', 0):>9g} "
        f"{r['other_cpu_pct']:>6.1f}"
    )


def machine() -> dict[str, Any]:
    models = [ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo") if "model name" in ln]
    return {
        "cpu": models[0] if models else platform.processor(),
        "cores": CORES,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def _read(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def server_config() -> dict[str, Any]:
    return {
        "gunicorn_workers": os.environ.get("GUNICORN_WORKERS", "gunicorn.conf.py default"),
        "gunicorn_worker_class": os.environ.get(
            "GUNICORN_WORKER_CLASS", "gunicorn.conf.py default (gevent)"
        ),
        "database": "PostgreSQL (scripts/services.sh, loopback)",
        "cache": "Redis (scripts/services.sh, loopback)",
        "load_generator": "wrk 4.1, 1 thread, keep-alive connections",
    }


def write(
    out: Path, mode_name: str, mode: Any, rows: list[dict[str, Any]], profiled: dict[str, Any]
) -> None:
    """Print the targets; write the JSON, the two plots and the profile text into ``out``."""
    found = targets(rows)
    print("\nTargets (issue 5):")
    for t in found:
        print(f"  [{'met' if t['met'] else 'MISSED'}] {t['target']}: {t['measured']} ({t['goal']})")
    ratios = split(rows)
    print("\nWhere the distance from the floor lies (TikTok at once, best of each):")
    for r in ratios:
        print(f"  {r['ratio']}: {r['measured']}")
    if profiled.get("components"):
        print("\nProfile, share of a returning-user connect's wall time:")
        for name, share in list(profiled["components"].items())[:6]:
            print(f"  {share * 100:5.1f}%  {name}")
    out.mkdir(parents=True, exist_ok=True)
    document = {
        "mode": mode_name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "server": server_config(),
        "settings": asdict(mode),
        "scenarios": {name: s.title for name, s in SCENARIOS.items()},
        "targets": found,
        "split": ratios,
        "runs": rows,
        "profile": {k: v for k, v in profiled.items() if k != "text"},
    }
    (out / "bench-results.json").write_text(json.dumps(document, indent=2) + "\n")
    profile.write_text(out / "bench-profile.txt", profiled)
    plot(out, rows)
    print(
        f"\nbench: wrote {out}/bench-results.json, bench-throughput.png, bench-p99.png, "
        "bench-profile.txt"
    )


def plot(out: Path, rows: list[dict[str, Any]]) -> None:
    """Throughput and p99 against concurrency: a colour per scenario, a line style per
    TikTok latency, and issue 5's target for 64 clients at 200 ms as a grey line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    colours = dict(zip(SCENARIOS, pyplot.get_cmap("tab10").colors, strict=False))
    styles = {0: "-", 200: "--"}
    for key, ylabel, filename, target in (
        ("throughput_rps", "requests per second", "bench-throughput.png", 256),
        ("p99", "p99 latency (ms)", "bench-p99.png", 1000),
    ):
        figure, axes = pyplot.subplots(figsize=(8, 5), dpi=100)
        for latency in sorted({r["tiktok_latency_ms"] for r in rows}):
            for name in SCENARIOS:
                points = sorted(
                    (r["concurrency"], r["latency_ms"]["p99"] if key == "p99" else r[key])
                    for r in find(rows, name, latency)
                )
                if points:
                    axes.plot(
                        *zip(*points, strict=True),
                        styles.get(latency, ":"),
                        marker="o",
                        color=colours[name],
                        label=f"{SCENARIOS[name].title}, TikTok {latency} ms",
                    )
        axes.axhline(target, color="grey", linewidth=0.8)
        axes.set_xscale("log", base=2)
        axes.set_xlabel("concurrent clients")
        axes.set_ylabel(ylabel)
        if key == "p99":
            axes.set_yscale("log")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=7)
        axes.set_title(f"{ylabel} against concurrency ({CORES} cores, one machine)")
        figure.tight_layout()
        figure.savefig(out / filename)
        pyplot.close(figure)


def markdown(document: dict[str, Any]) -> str:
    """The run and target tables of a results JSON, for docs/PERFORMANCE.md."""
    lines = [
        "| TikTok | scenario | clients | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| server CPU s/1k | DB CPU s/1k | fake CPU s/1k | peak RSS MB | SQL/req | Redis/req "
        "| other load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in document["runs"]:
        lat, cpu = r["latency_ms"], r["cpu_s_per_1k"]
        sql = "-" if r["sql_per_request"] is None else f"{r['sql_per_request']:g}"
        lines.append(
            f"| {r['tiktok_latency_ms']} ms | {r['scenario']} | {r['concurrency']} "
            f"| {r['throughput_rps']:.0f} | {lat['p50']:.0f} | {lat['p95']:.0f} "
            f"| {lat['p99']:.0f} | {r['errors']} | {cpu['server']:.2f} | {cpu['db']:.2f} "
            f"| {cpu['fake']:.2f} | {r['peak_rss_mb']:.0f} | {sql} "
            f"| {r.get('redis_commands_per_request', 0):g} | {r['other_cpu_pct']:.0f}% |"
        )
    lines += ["", "| target | goal | measured | |", "|---|---|---|---|"]
    for t in document["targets"]:
        verdict = "met" if t["met"] else "**missed**"
        lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | {verdict} |")
    for r in document.get("split", []):
        lines.append(f"| {r['ratio']} | (no target) | {r['measured']} | |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.report docs/bench-results.json
    import sys

    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
