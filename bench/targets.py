"""Issue 5's targets, and the split of the distance from the floor, from a run's rows."""

from __future__ import annotations

from typing import Any


def find(rows: list[dict[str, Any]], name: str, latency: int) -> list[dict[str, Any]]:
    return [r for r in rows if r["scenario"] == name and r["tiktok_latency_ms"] == latency]


def _best(rows: list[dict[str, Any]], name: str) -> float:
    """The highest throughput of ``name`` with TikTok answering at once."""
    return max((r["throughput_rps"] for r in find(rows, name, 0)), default=0)


def _ratio(rows: list[dict[str, Any]], name: str, of: str) -> float:
    base = _best(rows, of)
    return round(_best(rows, name) / base, 3) if base else 0


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 5's targets, measured on this run."""
    found = []

    def add(name: str, measured: Any, target: str, met: bool) -> None:
        found.append({"target": name, "measured": measured, "goal": target, "met": met})

    ratio = _ratio(rows, "connect_returning", "floor")
    add(
        "returning connect / floor throughput (TikTok at once, best of each)",
        ratio,
        ">= 0.5",
        ratio >= 0.5,
    )
    for name, limit in (("connect_returning", 4), ("connect_new", 12)):
        worst = max((r["sql_max"] or 0 for r in rows if r["scenario"] == name), default=0)
        add(f"SQL queries per {name} (max of any request)", worst, f"<= {limit}", worst <= limit)
    loaded = [r for r in find(rows, "connect_returning", 200) if r["concurrency"] == 64]
    if loaded:
        r = loaded[0]
        add(
            "sign-ins/s at 200 ms TikTok latency, 64 clients",
            r["throughput_rps"],
            ">= 256",
            r["throughput_rps"] >= 256,
        )
        p99 = r["latency_ms"]["p99"]
        add("p99 at 200 ms, 64 clients (ms)", p99, "< 1000", p99 < 1000)
        add("errors at 200 ms, 64 clients", r["errors"], "0", r["errors"] == 0)
        add(
            "peak memory of the server processes at 200 ms, 64 clients (RSS MB)",
            r["peak_rss_mb"],
            "< 500",
            r["peak_rss_mb"] < 500,
        )
    return found


def split(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where the distance from the floor lies (not targets): the framework floor, the same
    work in a DRF view of the site, against the floor; connect against the framework floor."""
    return [
        {
            "ratio": "framework floor / floor throughput (the framework's share)",
            "measured": _ratio(rows, "framework_floor", "floor"),
        },
        {
            "ratio": "returning connect / framework floor throughput (the plugin's share)",
            "measured": _ratio(rows, "connect_returning", "framework_floor"),
        },
    ]
