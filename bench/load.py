"""The load generator: wrk (Debian's package) with the Lua scripts in ``bench/lua``.

wrk is a compiled, event-driven client: one thread keeps hundreds of keep-alive connections
busy for a few percent of a core, so it takes little from the two cores the server is
measured on. Each scenario script checks every answer and counts the site's queries; its
``done()`` prints one ``BENCH_JSON`` line, parsed here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
API = "/api/tiktok-auth-mobile"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    server: str  # "site" or "floor"
    path: str
    script: str


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("floor", "floor: user info + JWT pair", "floor", "/connect", "connect_returning"),
        Scenario(
            "framework_floor",
            "framework floor: the same in a DRF view",
            "site",
            "/bench/framework-floor",
            "connect_returning",
        ),
        Scenario(
            "connect_returning",
            "connect, returning user",
            "site",
            f"{API}/connect",
            "connect_returning",
        ),
        Scenario("connect_new", "connect, first sign-in", "site", f"{API}/connect", "connect_new"),
        Scenario("authorize", "authorize (start)", "site", f"{API}/authorize", "authorize"),
        Scenario("callback", "callback (code exchange)", "site", f"{API}/callback", "callback"),
        Scenario("refresh", "token/refresh", "site", f"{API}/token/refresh", "refresh"),
        Scenario("me", "me", "site", f"{API}/me", "me"),
    )
}


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's packages when missing (needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("bench: installing wrk (apt-get install -y wrk)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt_get = shutil.which("apt-get") or "/usr/bin/apt-get"
    install = [apt_get, "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run([apt_get, "update", "-qq"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def run_wrk(
    scenario: Scenario, base_url: str, connections: int, seconds: float, env: dict[str, str]
) -> dict[str, float]:
    """Run one scenario; return the counters of its ``BENCH_JSON`` line.

    One wrk thread (enough for these rates, and it leaves the cores to the server); a 10 s
    timeout, so a slow answer counts in the latency rather than as an error.
    """
    command = [
        shutil.which("wrk") or "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
    ]
    command += ["-s", str(LUA_DIR / f"{scenario.script}.lua"), base_url + scenario.path]
    run_env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), "BENCH_THREADS": "1", **env}
    done = subprocess.run(
        command, env=run_env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :])
    raise RuntimeError(f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}{done.stderr}")
