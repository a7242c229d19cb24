"""The profile step: where a returning-user connect spends its time (pyinstrument).

A second site process serves ``bench.profiled:application`` (the site under pyinstrument)
while wrk sends returning-user connects with TikTok answering at once; its workers write
their samples at exit. Each sample's time goes to the innermost component on its stack
(database driver, ORM, TikTok HTTP client, JWT, DRF, Django ...), which says what dominates.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyinstrument.renderers import ConsoleRenderer
from pyinstrument.session import Session

from .load import SCENARIOS, run_wrk
from .procs import Server

if TYPE_CHECKING:
    from .run import Bench

CONCURRENCY = 2  # one request per worker at a time: little waiting on the GIL in the samples

# (component, path fragments): the first component found walking from a sample's leaf
# frame towards the root gets the sample's time.
COMPONENTS = (
    ("PostgreSQL driver and round trips", ("/django/db/backends/", "/psycopg/", "/psycopg_")),
    ("ORM: building queries and model instances", ("/django/db/",)),
    ("cache (Redis) round trips", ("/redis/", "/django_redis/", "/django/core/cache/")),
    ("TikTok HTTP call (requests/urllib3, waiting)", ("/requests/", "/urllib3/", "/http/client")),
    ("JWT signing (SimpleJWT, PyJWT, cryptography)", ("/jwt/", "/rest_framework_simplejwt/")),
    ("logging", ("/logging/",)),
    ("DRF: parsing, validation, rendering", ("/rest_framework/",)),
    ("plugin code (tiktok_mobile_auth)", ("/tiktok_mobile_auth/",)),
    ("Django: middleware, URLs, request/response", ("/django/",)),
)
OTHER = "other (stdlib, json, ...)"
PLUGIN = "/tiktok_mobile_auth/"


def run(bench: Bench, seconds: float) -> dict[str, Any]:
    """Profile returning-user connects for ``seconds``; write docs-ready text, return a summary."""
    out_dir = bench.workdir / "profile"
    out_dir.mkdir(exist_ok=True)
    site = bench.servers["site"]
    # The warm-up reaches both workers: a worker's first requests (its database pool, its
    # cache client, the imports) are a one-off, not what a sign-in costs.
    env = {**site.env, "BENCH_PROFILE_DIR": str(out_dir)}
    profiled = Server("site-profiled", "bench.profiled:application", env, bench.workdir).start()
    scenario = SCENARIOS["connect_returning"]
    load_env = bench.scenario_env(scenario.name, 0, CONCURRENCY)
    try:
        # Warm-up with enough connections to reach both workers: first-request imports and
        # connections are not what a sign-in costs.
        run_wrk(scenario, profiled.url, 8, 2, load_env)
        (out_dir / "recording").touch()
        result = run_wrk(scenario, profiled.url, CONCURRENCY, seconds, load_env)
    finally:
        profiled.stop()
    sessions = [Session.load(path) for path in sorted(out_dir.glob("*.json"))]
    if not sessions:
        return {"error": "the profiled workers wrote no samples"}
    session = sessions[0]
    for other in sessions[1:]:
        session = Session.combine(session, other)
    session.save(str(bench.workdir / "profile.pyisession"))  # for pyinstrument --load
    text = ConsoleRenderer(unicode=False, color=False, show_all=False).render(session)
    shares, call_sites = components(session)
    return {
        "scenario": scenario.name,
        "concurrency": CONCURRENCY,
        "requests": result["requests"],
        "errors": sum(int(result[f"err_{k}"]) for k in ("connect", "read", "write", "timeout"))
        + int(result["bad"]),
        "interval_s": 0.0005,
        "components": shares,
        "call_sites": call_sites,
        "text": text,
    }


def components(session: Session) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Share (0-1) of the sampled wall time per component, largest first; and per component,
    the plugin call sites (innermost ``tiktok_mobile_auth`` function) that spent it."""
    root = session.root_frame()
    totals: dict[str, float] = {}
    sites: dict[str, dict[str, float]] = {}
    for path, self_time in _leaves(root, ()) if root else ():
        name = next(
            (
                component
                for file_path, _site in reversed(path)
                for component, fragments in COMPONENTS
                if any(fragment in file_path for fragment in fragments)
            ),
            OTHER,
        )
        totals[name] = totals.get(name, 0.0) + self_time
        site = next((site for file_path, site in reversed(path) if PLUGIN in file_path), "-")
        by_site = sites.setdefault(name, {})
        by_site[site] = by_site.get(site, 0.0) + self_time
    whole = sum(totals.values()) or 1.0
    order = sorted(totals, key=lambda name: -totals[name])
    return (
        {name: totals[name] / whole for name in order},
        {name: _top(sites[name], totals[name]) for name in order},
    )


def _top(by_site: dict[str, float], total: float, count: int = 3) -> dict[str, float]:
    ranked = sorted(by_site.items(), key=lambda item: -item[1])[:count]
    return {site: seconds / (total or 1.0) for site, seconds in ranked}


def _leaves(
    frame: Any, path: tuple[tuple[str, str], ...]
) -> Iterator[tuple[tuple[tuple[str, str], ...], float]]:
    """((file path, function), ... from the root; self time) of every frame with own time."""
    path = (*path, (frame.file_path or "", f"{frame.function} ({frame.file_path_short})"))
    own = frame.time - sum(child.time for child in frame.children)
    if own > 0:
        yield path, own
    for child in frame.children:
        yield from _leaves(child, path)


def write_text(out: Path, summary: dict[str, Any]) -> None:
    """The component table and pyinstrument's call tree, as ``bench-profile.txt``."""
    lines = [
        f"Profile: {summary.get('scenario')} at concurrency {summary.get('concurrency')}, "
        "TikTok answering at once; wall-clock samples of the site's workers (pyinstrument).",
        f"{summary.get('requests')} requests, {summary.get('errors')} errors.",
        "",
        "Share of sampled time by component (innermost component on each stack):",
    ]
    for name, share in summary.get("components", {}).items():
        lines.append(f"  {share * 100:5.1f}%  {name}")
        for site, part in summary.get("call_sites", {}).get(name, {}).items():
            if share * part >= 0.01:
                lines.append(f"           {part * 100:5.1f}% of it under {site}")
    lines += ["", summary.get("text", summary.get("error", ""))]
    out.write_text("\n".join(lines))
