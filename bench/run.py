"""``python -m bench.run [--mode quick|full]`` (or ``BENCH_MODE``): the benchmark.

Starts PostgreSQL + Redis, the fake TikTok, the site and the floor under ``gunicorn.conf.py``
(all on 127.0.0.1), drives them with wrk at each TikTok latency and concurrency of the mode,
profiles a returning-user connect, then prints a table and writes ``docs/bench-results.json``,
``docs/bench-throughput.png``, ``docs/bench-p99.png`` and ``docs/bench-profile.txt``.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis
import requests

from . import profile, report
from .load import SCENARIOS, ensure_wrk, run_wrk
from .procs import ROOT, MemorySampler, Server, Services, cpu_seconds, cpu_used, migrate

POOL = 256  # returning users, signed up before the first measurement
THROTTLED = ("authorize", "callback", "connect", "refresh", "logout", "me")
THROTTLE_RATE = os.environ.get("BENCH_THROTTLE_RATE", "10000000/min")  # "off": a what-if


@dataclass(frozen=True)
class Mode:
    seconds: int  # per measurement (wrk takes whole seconds)
    sweep: dict[int, tuple[int, ...]]  # TikTok latency (ms) -> concurrencies (floor, returning)
    others: dict[int, tuple[int, ...]]  # latency -> concurrencies for new users and callback
    refresh: tuple[int, ...]  # concurrencies for token/refresh (no TikTok call: latency 0 only)
    framework: tuple[int, ...]  # concurrencies for the framework floor (latency 0 only)
    profile_seconds: int = 4
    warmup_seconds: int = 2


MODES = {
    "quick": Mode(4, {0: (16, 64), 200: (16, 64)}, {0: (16,), 200: (64,)}, (16,), (64,)),
    "full": Mode(
        15,
        {0: (1, 4, 16, 32, 64, 128), 200: (1, 16, 64, 128, 256)},
        {0: (16, 64), 200: (64,)},
        (16, 64),
        (4, 16, 64, 128),
        profile_seconds=10,
        warmup_seconds=3,
    ),
}


@dataclass
class Bench:
    mode: str
    workdir: Path
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.services = Services(self.workdir)
        self.states_file = self.workdir / "states.txt"
        self.servers: dict[str, Server] = {}

    # -- set-up ----------------------------------------------------------------------

    def start(self) -> None:
        urls = self.services.start()
        # gevent, like the site: TikTok is remote, so its stand-in should cost these two
        # cores as little as possible while it "waits" out the added latency.
        fake_args = ("--workers", "1", "--worker-connections", "1000", "--keep-alive", "60")
        fake_args += ("--worker-class", "gevent", "--graceful-timeout", "2")
        fake_args += ("--log-level", "warning")
        fake = Server(
            "fake",
            "bench.fake_app:application",
            dict(os.environ),
            self.workdir,
            config=False,
            args=fake_args,
        ).start()
        self.servers["fake"] = fake
        env = self.site_env(urls, fake.url)
        migrate(env)
        self.servers["site"] = Server("site", "cms_site.wsgi:application", env, self.workdir)
        self.servers["floor"] = Server("floor", "bench.floor:application", env, self.workdir)
        self.servers["site"].start()
        self.servers["floor"].start()

    def site_env(self, urls: dict[str, str], fake_url: str) -> dict[str, str]:
        static = self.workdir / "static"
        static.mkdir(exist_ok=True)
        return {
            **os.environ,
            **urls,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_VAR_DIR": str(self.workdir / "var"),
            "DJANGO_STATIC_ROOT": str(static),
            "BENCH_TIKTOK_URL": fake_url,
            "TIKTOK_ENABLED": "true",
            "TIKTOK_CLIENT_KEY": "fake-client-key",
            "TIKTOK_CLIENT_SECRET": "fake-client-secret",
            "TIKTOK_CALLBACK_URL": "https://cms.example.com/api/tiktok-auth-mobile/callback",
            "TIKTOK_REDIRECT_APP_URL": "https://app.example.com/tiktok/done",
            # The bench brings its own TikTok access tokens (made up by the fake), like the
            # Strapi-style apps that send one: accept any token TikTok vouches for.
            "TIKTOK_ACCESS_TOKEN_POLICY": "any",
            # All the load comes from 127.0.0.1: limits far above it keep the throttle's
            # work (its cache round trips) in the measurement without ever refusing.
            **{f"TIKTOK_THROTTLE_{scope.upper()}": THROTTLE_RATE for scope in THROTTLED},
        }

    def stop(self) -> None:
        # The fake TikTok last: a gevent worker stopping waits (graceful_timeout) for the
        # kept-alive connections the site and the floor still hold to it.
        for server in reversed(list(self.servers.values())):
            server.stop()
        self.services.stop()

    # -- measuring -------------------------------------------------------------------

    def set_latency(self, ms: int) -> None:
        url = self.servers["fake"].url + "/_bench/latency"
        requests.post(url, json={"ms": ms}, timeout=10).raise_for_status()

    def sign_up_pool(self, key: str = "refresh") -> Path:
        """Connect every pool user once; return a file of their new tokens: the refresh
        tokens (``key="refresh"``) or the access tokens (``key="jwt"``)."""
        url = self.servers["site"].url + SCENARIOS["connect_returning"].path

        def connect(i: int) -> str:
            body = {"access_token": f"{self.returning_prefix}{i}"}
            response = requests.post(url, json=body, timeout=30)
            response.raise_for_status()
            return response.json()[key]

        with ThreadPoolExecutor(32) as pool:
            tokens = list(pool.map(connect, range(POOL)))
        path = self.workdir / f"{key}-{secrets.token_hex(3)}.txt"
        path.write_text("\n".join(tokens) + "\n")
        return path

    @property
    def returning_prefix(self) -> str:
        return f"act.synth.{self.run_id}-ret-"

    def scenario_env(self, name: str, latency: int, concurrency: int) -> dict[str, str]:
        tag = f"{self.run_id}-{name}-l{latency}-c{concurrency}-{secrets.token_hex(2)}-"
        if name in ("floor", "framework_floor", "connect_returning"):
            return {"BENCH_TOKEN_PREFIX": self.returning_prefix, "BENCH_POOL": str(POOL)}
        if name == "connect_new":
            return {"BENCH_TOKEN_PREFIX": f"act.synth.{tag}"}
        if name == "authorize":  # its states feed the callback run that follows it
            self.states_file = self.workdir / f"states-{tag}.txt"
            return {"BENCH_STATES_FILE": str(self.states_file)}
        if name == "callback":
            return {
                "BENCH_CODE_PREFIX": f"synth-code.{tag}",
                "BENCH_STATES_FILE": str(self.states_file),
            }
        return {"BENCH_TOKENS_FILE": str(self.sign_up_pool())}

    def measure(self, name: str, latency: int, concurrency: int, seconds: float) -> None:
        scenario = SCENARIOS[name]
        server = self.servers[scenario.server]
        env = self.scenario_env(name, latency, concurrency)
        if name == "callback":
            # Each callback spends a state, and it can outrun the authorize run that made
            # them (a state short is a failed request): an unmeasured authorize pass first
            # adds half as many again (authorize usually runs at twice the callback's rate).
            authorize = SCENARIOS["authorize"]
            url = self.servers[authorize.server].url
            run_wrk(authorize, url, concurrency, max(1, seconds // 2), env)
        groups = {
            "server": server.processes,
            "db": self.services.processes,
            "fake": self.servers["fake"].processes,
        }
        redis_before = self.redis_calls()
        before = {key: cpu_seconds(procs()) for key, procs in groups.items()}
        machine_before = psutil.cpu_times()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        with MemorySampler(server) as memory:
            result = run_wrk(scenario, server.url, concurrency, seconds, env)
        elapsed = time.monotonic() - started
        used = {key: cpu_used(before[key], cpu_seconds(procs())) for key, procs in groups.items()}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        used["loadgen"] = (children.ru_utime + children.ru_stime) - (
            children_before.ru_utime + children_before.ru_stime
        )
        machine = _busy_seconds(machine_before, psutil.cpu_times())
        row = report.row(name, latency, concurrency, result, used, memory, machine, elapsed)
        row["redis_commands_per_request"] = round(
            (self.redis_calls() - redis_before - 1) / max(1, row["requests"]), 2
        )
        self.rows.append(row)
        print(report.line(row), flush=True)

    def redis_calls(self) -> int:
        """Commands Redis has run so far (its INFO commandstats), this INFO call included."""
        stats = redis.Redis.from_url(self.services.urls["REDIS_URL"]).info("commandstats")
        return sum(int(value["calls"]) for value in stats.values())

    def warm_up(self, latency: int, concurrency: int, seconds: float) -> None:
        """Untimed load on both servers: opens every thread's database and TikTok connections."""
        for name in ("connect_returning", "floor"):
            scenario = SCENARIOS[name]
            env = self.scenario_env(name, latency, concurrency)
            run_wrk(scenario, self.servers[scenario.server].url, concurrency, seconds, env)


def _busy_seconds(before: Any, after: Any) -> float:
    busy = 0.0
    for name in ("user", "nice", "system", "irq", "softirq", "steal"):
        busy += getattr(after, name, 0.0) - getattr(before, name, 0.0)
    return busy


def plan(mode: Mode) -> list[tuple[int, str, int]]:
    """(latency, scenario, concurrency) in the order they run."""
    steps = []
    for latency, sweep in mode.sweep.items():
        for concurrency in sweep:
            steps.append((latency, "floor", concurrency))
            if latency == 0 and concurrency in mode.framework:
                steps.append((latency, "framework_floor", concurrency))
            steps.append((latency, "connect_returning", concurrency))
        for concurrency in mode.others.get(latency, ()):
            steps += [
                (latency, name, concurrency) for name in ("connect_new", "authorize", "callback")
            ]
        if latency == 0:
            steps += [(0, "refresh", concurrency) for concurrency in mode.refresh]
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--mode", choices=sorted(MODES), default=os.environ.get("BENCH_MODE"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    mode_name = args.mode or "quick"
    mode = MODES[mode_name]
    ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="tma-bench-"))
    workdir.chmod(0o755)  # PostgreSQL runs as the postgres user under it
    bench = Bench(mode_name, workdir)
    print(f"bench: {mode_name} mode, work directory {workdir}", flush=True)
    print(report.HEADER, flush=True)
    try:
        bench.start()
        bench.sign_up_pool()
        current = None
        for latency, name, concurrency in plan(mode):
            if latency != current:
                bench.set_latency(latency)
                bench.warm_up(latency, max(mode.sweep[latency]), mode.warmup_seconds)
                current = latency
            bench.measure(name, latency, concurrency, mode.seconds)
        bench.set_latency(0)
        profiled = profile.run(bench, mode.profile_seconds)
    except BaseException:
        args.keep = True
        raise
    finally:
        bench.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"bench: logs kept in {workdir}", file=sys.stderr)
    report.write(args.out, mode_name, mode, bench.rows, profiled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
