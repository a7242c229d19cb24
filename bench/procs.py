"""The benchmark's processes: PostgreSQL + Redis, gunicorn servers, and what they cost.

Every server listens on 127.0.0.1 only. CPU time comes from the kernel's per-process counters
(psutil), memory from sampling the process tree of a server while a scenario runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def migrate(env: dict[str, str]) -> None:
    """``manage.py migrate`` for the site (or peer) that ``env`` configures."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Services:
    """PostgreSQL and Redis from ``scripts/services.sh``, in a directory and on ports of the
    bench's own, so a test run's services on the default ports are left alone."""

    def __init__(self, workdir: Path, pg_port: int = 54339, redis_port: int = 63809) -> None:
        self.dir = workdir / "services"
        self.env = {
            **os.environ,
            "SERVICES_DIR": str(self.dir),
            "PG_PORT": str(pg_port),
            "REDIS_PORT": str(redis_port),
        }
        self.urls: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        """Start both; return ``{"DATABASE_URL": ..., "REDIS_URL": ...}``."""
        script = str(ROOT / "scripts" / "services.sh")
        out = subprocess.run(
            [script, "start"], env=self.env, check=True, capture_output=True, text=True
        ).stdout
        for line in out.splitlines():
            if line.startswith("export "):
                name, _, value = line[len("export ") :].partition("=")
                self.urls[name] = value
        return self.urls

    def stop(self) -> None:
        script = str(ROOT / "scripts" / "services.sh")
        subprocess.run([script, "stop"], env=self.env, check=False, capture_output=True)

    def processes(self) -> list[psutil.Process]:
        """The postmaster with its backends, and redis-server."""
        postgres = _tree(_pid_in(self.dir / "pg" / "postmaster.pid"))
        return postgres + _tree(_pid_in(self.dir / "redis.pid"), with_children=False)


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _tree(pid: int | None, with_children: bool = True) -> list[psutil.Process]:
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *(root.children(recursive=True) if with_children else [])]
    except psutil.Error:
        return []


class Server:
    """A gunicorn server on a free loopback port; its output goes to ``<name>.log``."""

    def __init__(
        self,
        name: str,
        app: str,
        env: dict[str, str],
        workdir: Path,
        *,
        config: bool = True,
        args: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", "gunicorn"]
        self.command += ["-c", "gunicorn.conf.py"] if config else ["--config", "/dev/null"]
        self.command += [*args, "--bind", f"127.0.0.1:{self.port}", app]
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Server:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen within {timeout:g} s; see {self.log_path}")

    def processes(self) -> list[psutil.Process]:
        """The master and its workers."""
        return _tree(self.process.pid if self.process else None)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """User + system CPU seconds of each live process, by pid."""
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two :func:`cpu_seconds` snapshots (new processes in full)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


class MemorySampler:
    """Peak summed RSS and PSS (MB) of a server's process tree, sampled in a thread."""

    def __init__(self, server: Server, interval: float = 0.25) -> None:
        self.server = server
        self.interval = interval
        self.peak_rss_mb = 0.0
        self.peak_pss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                self.sample()
                return

    def sample(self) -> None:
        rss = pss = 0
        for process in self.server.processes():
            try:
                info = process.memory_full_info()
            except psutil.Error:
                continue
            rss, pss = rss + info.rss, pss + info.pss
        self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
        self.peak_pss_mb = max(self.peak_pss_mb, pss / 2**20)
