"""``python -m bench.large`` (``make bench-large``): is the cost flat as the data grows?

The same site as ``make bench`` (PostgreSQL + Redis, gunicorn, the fake TikTok at no added
latency) measures four scenarios twice in one run: on an almost empty database, then after
:mod:`bench.bigdata` has loaded a million users with their TikTok accounts and five million
refresh-token families and sign-in events. Then it captures the query plans PostgreSQL used
for one request of each scenario (``auto_explain``, with actual times), runs the housekeeping
command, and records the table sizes before and after it. Everything goes to
``docs/bench-large.json``, ``docs/bench-large.png`` and ``docs/bench-large-plans.txt``.

``BENCH_LARGE_USERS`` / ``BENCH_LARGE_ROWS`` scale the load down for a quick look.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import requests

from . import bigdata, report
from .load import SCENARIOS, ensure_wrk
from .procs import ROOT
from .run import Bench

SCENARIO_NAMES = ("connect_returning", "connect_new", "refresh", "me")
CONCURRENCY = 16
SECONDS = int(os.environ.get("BENCH_LARGE_SECONDS", "8"))
CLEANUP_COMMAND = "tiktok_auth_cleanup"
PLAN_SETTINGS = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_timing": "on",
    "auto_explain.log_nested_statements": "on",
}


class LargeBench(Bench):
    """The benchmark of :mod:`bench.run`, with ``me`` fed access tokens of the pool."""

    def scenario_env(self, name: str, latency: int, concurrency: int) -> dict[str, str]:
        if name == "me":
            return {"BENCH_TOKENS_FILE": str(self.access_tokens())}
        return super().scenario_env(name, latency, concurrency)

    def access_tokens(self) -> Path:
        """Connect every pool user once; return a file of their access tokens."""
        return self.sign_up_pool("jwt")

    @property
    def database_url(self) -> str:
        return self.services.urls["DATABASE_URL"]

    def measure_pass(self, label: str) -> list[dict[str, Any]]:
        """Each scenario once, at no TikTok latency; the rows are tagged with ``label``."""
        first = len(self.rows)
        self.sign_up_pool()
        self.warm_up(0, CONCURRENCY, 2)
        for name in SCENARIO_NAMES:
            self.measure(name, 0, CONCURRENCY, SECONDS)
        for row in self.rows[first:]:
            row["database"] = label
        return self.rows[first:]

    def capture_plans(self) -> str:
        """PostgreSQL's plans (with actual times) of one request of each scenario."""
        database = urlparse(self.database_url).path.lstrip("/")
        log = self.services.dir / "pg" / "server.log"
        # Tokens first: the sign-ins that make them are not what is being explained.
        tokens = {
            "me": self.access_tokens().read_text().split()[0],
            "refresh": self.sign_up_pool().read_text().split()[0],
        }
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for name, value in PLAN_SETTINGS.items():
                conn.execute(f"ALTER DATABASE {database} SET {name} = '{value}'")
        self.restart_site()  # new connections, which load auto_explain
        offset = log.stat().st_size
        try:
            for name in SCENARIO_NAMES:
                self.one_request(name, tokens.get(name, ""))
        finally:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute(f"ALTER DATABASE {database} RESET ALL")
            self.restart_site()
        with log.open("rb") as file:
            file.seek(offset)
            return plans_of(file.read().decode("utf-8", "replace"))

    def restart_site(self) -> None:
        self.servers["site"].stop()
        self.servers["site"].start()

    def one_request(self, name: str, token: str) -> None:
        """One request of the scenario (as its wrk script sends it), marked in the log."""
        site = self.servers["site"].url
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            # A literal, not a parameter: the log shows the query text with its parameters
            # as placeholders. ``name`` is one of SCENARIO_NAMES.
            conn.execute(f"SELECT '{name}'::text AS bench_scenario")
        api = SCENARIOS[name].path
        if name == "me":
            headers = {"Authorization": f"Bearer {token}"}
            response = requests.get(site + api, headers=headers, timeout=30)
        elif name == "refresh":
            response = requests.post(site + api, json={"refresh": token}, timeout=30)
        else:
            tag = "ret-0" if name == "connect_returning" else f"plan-{secrets.token_hex(3)}"
            token = f"{self.returning_prefix}0" if tag == "ret-0" else f"act.synth.{tag}"
            response = requests.post(site + api, json={"access_token": token}, timeout=30)
        response.raise_for_status()

    def cleanup(self) -> dict[str, Any]:
        """Run the housekeeping command as a cron job would; its output and duration."""
        env = self.site_env(self.services.urls, self.servers["fake"].url)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "manage.py", CLEANUP_COMMAND, "--batch-size", "10000"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return {
            "command": f"manage.py {CLEANUP_COMMAND} --batch-size 10000",
            "returncode": done.returncode,
            "seconds": round(time.monotonic() - started, 1),
            "output": (done.stdout + done.stderr).strip().splitlines()[-20:],
        }


def plans_of(log: str) -> str:
    """The plugin's statements and their plans from auto_explain's log lines, by scenario."""
    out: list[str] = []
    for block in re.split(r"\n(?=\S)", log):
        marker = re.search(r"SELECT '(\w+)'::text AS bench_scenario", block)
        if marker and "Query Text" in block:
            out.append(f"\n==== {marker.group(1)} ====")
            continue
        if "Query Text:" in block and ("tiktok_mobile_auth" in block or "auth_user" in block):
            text = block.split("LOG:  ", 1)[-1]
            out.append(text.rstrip())
    return "\n".join(out).strip() + "\n"


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per scenario: the large database's throughput and CPU per request against the empty's."""
    by = {(r["database"], r["scenario"]): r for r in rows}
    out = []
    for name in SCENARIO_NAMES:
        empty, large = by.get(("empty", name)), by.get(("large", name))
        if not (empty and large):
            continue
        cpu_e, cpu_l = (sum(r["cpu_s_per_1k"].values()) for r in (empty, large))
        throughput = large["throughput_rps"] / empty["throughput_rps"]
        out.append(
            {
                "scenario": name,
                "throughput_large_over_empty": round(throughput, 3),
                "cpu_large_over_empty": round(cpu_l / cpu_e, 3) if cpu_e else None,
                "sql_per_request": [empty["sql_per_request"], large["sql_per_request"]],
                "within_10_percent": throughput >= 0.9,
            }
        )
    return out


def plot(out: Path, rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 4.5), dpi=100)
    width = 0.38
    for offset, label in ((-width / 2, "empty"), (width / 2, "large")):
        values = [
            next((r["throughput_rps"] for r in rows if (r["database"], r["scenario"]) == key), 0)
            for key in ((label, name) for name in SCENARIO_NAMES)
        ]
        xs = [i + offset for i in range(len(SCENARIO_NAMES))]
        axes.bar(xs, values, width, label=f"{label} database")
    axes.set_xticks(range(len(SCENARIO_NAMES)), [SCENARIOS[n].title for n in SCENARIO_NAMES])
    axes.set_ylabel(f"requests per second ({CONCURRENCY} clients)")
    axes.set_title("An almost empty database against a million users (one machine, 2 cores)")
    axes.legend()
    axes.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(out / "bench-large.png")
    pyplot.close(figure)


def main() -> int:
    users = int(os.environ.get("BENCH_LARGE_USERS", "1000000"))
    rows_count = int(os.environ.get("BENCH_LARGE_ROWS", "5000000"))
    out = ROOT / "docs"
    ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="tma-bench-large-"))
    workdir.chmod(0o755)  # PostgreSQL runs as the postgres user under it
    bench = LargeBench("large", workdir)
    print(report.HEADER, flush=True)
    document: dict[str, Any] = {"users": users, "rows": rows_count}
    try:
        bench.start()
        rows = bench.measure_pass("empty")
        document["sizes_empty"] = [asdict(s) for s in bigdata.table_sizes(bench.database_url)]
        document["load_seconds"] = bigdata.load(bench.database_url, users=users, rows=rows_count)
        document["sizes_loaded"] = [asdict(s) for s in bigdata.table_sizes(bench.database_url)]
        rows += bench.measure_pass("large")
        plans = bench.capture_plans()
        document["cleanup"] = bench.cleanup()
        document["sizes_after_cleanup"] = [
            asdict(s) for s in bigdata.table_sizes(bench.database_url)
        ]
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    document.update(
        machine=report.machine(),
        finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        ratios=ratios(rows),
        runs=rows,
    )
    for r in document["ratios"]:
        print(f"  {r['scenario']}: large/empty throughput {r['throughput_large_over_empty']}")
    (out / "bench-large.json").write_text(json.dumps(document, indent=2) + "\n")
    (out / "bench-large-plans.txt").write_text(plans)
    plot(out, rows)
    print(f"bench: wrote {out}/bench-large.json, bench-large.png, bench-large-plans.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
