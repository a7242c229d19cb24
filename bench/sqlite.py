"""``python -m bench.sqlite`` (``make bench-sqlite``): the embedded default against its peer.

A newcomer's first site runs on SQLite. This measures a returning user's connect on the
plugin's default configuration (SQLite in WAL mode, the file cache, no Redis: the demo
site's settings without ``DATABASE_URL`` or ``REDIS_URL``) against the same sign-in built
with dj-rest-auth and django-allauth's TikTok provider (:mod:`bench.peer`) on the same
SQLite configuration. Both run under ``gunicorn.conf.py`` and ask the same fake TikTok, which
answers at once; wrk drives both with the same script and the same pool of users. Results go
to ``docs/bench-sqlite.json``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from . import report
from .load import SCENARIOS, Scenario, ensure_wrk, run_wrk
from .procs import ROOT, Server, cpu_seconds, cpu_used, migrate

POOL = 256
CONCURRENCY = (16, 64)
SECONDS = int(os.environ.get("BENCH_SQLITE_SECONDS", "8"))
EXPECT = {"site": '"jwt"', "peer": '"access"'}  # a successful answer's token field
PEER = Scenario("peer", "dj-rest-auth + allauth, returning user", "peer", "/peer/tiktok/", "")


def _start(workdir: Path) -> dict[str, Server]:
    fake_args = ("--workers", "1", "--worker-class", "gevent", "--keep-alive", "60")
    fake = Server(
        "fake",
        "bench.fake_app:application",
        dict(os.environ),
        workdir,
        config=False,
        args=(*fake_args, "--log-level", "warning"),
    ).start()
    common = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "BENCH_TIKTOK_URL": fake.url,
    }
    site_env = {
        **common,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_VAR_DIR": str(workdir / "site"),
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "TIKTOK_ENABLED": "true",
        "TIKTOK_CLIENT_KEY": "fake-client-key",
        "TIKTOK_CLIENT_SECRET": "fake-client-secret",
        "TIKTOK_CALLBACK_URL": "https://cms.example.com/api/tiktok-auth-mobile/callback",
        "TIKTOK_REDIRECT_APP_URL": "https://app.example.com/tiktok/done",
        "TIKTOK_ACCESS_TOKEN_POLICY": "any",  # the peer trusts any token TikTok vouches for
        "TIKTOK_THROTTLE_CONNECT": "10000000/min",  # the peer has no throttle to pass
    }
    peer_env = {
        **common,
        "DJANGO_SETTINGS_MODULE": "bench.peer.settings",
        "PEER_SQLITE_PATH": str(workdir / "peer" / "db.sqlite3"),
    }
    for env in (site_env, peer_env):
        migrate(env)
    (workdir / "static").mkdir(exist_ok=True)
    return {
        "fake": fake,
        "site": Server("site", "cms_site.wsgi:application", site_env, workdir).start(),
        "peer": Server("peer", "bench.peer.wsgi:application", peer_env, workdir).start(),
    }


def _sign_up(url: str, prefix: str) -> None:
    """Sign every pool user in once, so each measured sign-in is a returning one."""

    def connect(i: int) -> None:
        response = requests.post(url, json={"access_token": f"{prefix}{i}"}, timeout=60)
        response.raise_for_status()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(connect, range(POOL)))


def _measure(server: Server, path: str, concurrency: int, env: dict[str, str]) -> dict[str, Any]:
    env = {**env, "BENCH_EXPECT": EXPECT[server.name]}
    scenario = Scenario(server.name, server.name, server.name, path, "connect_returning")
    before = cpu_seconds(server.processes())
    started = time.monotonic()
    result = run_wrk(scenario, server.url, concurrency, SECONDS, env)
    elapsed = time.monotonic() - started
    used = cpu_used(before, cpu_seconds(server.processes()))
    requests_done = int(result["requests"]) or 1
    seconds = result["duration_us"] / 1e6
    return {
        "server": server.name,
        "concurrency": concurrency,
        "requests": int(result["requests"]),
        "throughput_rps": round(result["requests"] / seconds, 1),
        "p99_ms": round(result["lat_p99_us"] / 1000, 1),
        "errors": int(result["bad"]) + int(result["err_status"]) + int(result["err_timeout"]),
        "server_cpu_ms_per_request": round(used / requests_done * 1000, 2),
        "elapsed_s": round(elapsed, 1),
    }


def main() -> int:
    ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="tma-bench-sqlite-"))
    prefix = f"act.synth.{secrets.token_hex(3)}-ret-"
    env = {"BENCH_TOKEN_PREFIX": prefix, "BENCH_POOL": str(POOL)}
    rows = []
    servers: dict[str, Server] = {}
    try:
        servers = _start(workdir)
        paths = {"site": SCENARIOS["connect_returning"].path, "peer": PEER.path}
        for name in ("site", "peer"):
            _sign_up(servers[name].url + paths[name], prefix)
        for concurrency in CONCURRENCY:
            for name in ("site", "peer"):
                run_wrk(  # warm-up: every worker's connections and first imports
                    Scenario(name, name, name, paths[name], "connect_returning"),
                    servers[name].url,
                    concurrency,
                    2,
                    env,
                )
                row = _measure(servers[name], paths[name], concurrency, env)
                rows.append(row)
                print(json.dumps(row), flush=True)
    except BaseException:
        for server in servers.values():
            print(f"--- {server.name}.log (tail)", file=sys.stderr)
            print(server.log_path.read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        for server in reversed(list(servers.values())):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    ratios = {}
    for concurrency in CONCURRENCY:
        site, peer = (
            next(r for r in rows if r["server"] == n and r["concurrency"] == concurrency)
            for n in ("site", "peer")
        )
        ratios[concurrency] = round(site["throughput_rps"] / max(peer["throughput_rps"], 0.1), 2)
        print(f"  {concurrency} clients: plugin / peer = {ratios[concurrency]} (target >= 2)")
    document = {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": report.machine(),
        "seconds": SECONDS,
        "ratios_by_concurrency": ratios,
        "runs": rows,
    }
    out = ROOT / "docs" / "bench-sqlite.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"bench: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
