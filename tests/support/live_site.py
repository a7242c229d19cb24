"""A real site process (gunicorn, production-like WSGI) on its own database, for
integration tests that run against a real fake-TikTok process.

The site gets a database of its own, because pytest-django's test database is invisible
to another process (in-memory SQLite) or is rolled back per test: a SQLite file in a temp
dir by default, or a fresh PostgreSQL database on the server of ``DATABASE_URL``. A second
site with other settings can share the first one's (already migrated) database.

``server="devserver"`` serves the site as ``make run`` does (``python -m cms_site.devserver``:
migrate, then Django's threaded runserver) instead of gunicorn.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Database:
    """A throwaway database for the site process, and plain SQL to check its rows."""

    def __init__(self, workdir: Path, *, sqlite: bool = False) -> None:
        """``sqlite=True``: a SQLite file even when ``DATABASE_URL`` names a server."""
        server_url = "" if sqlite else os.environ.get("DATABASE_URL", "")
        self.postgres = server_url.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(server_url)
            self.name = f"tma_live_{secrets.token_hex(4)}"
            self._admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = workdir / "live.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(statement)

    def rows(self, query: str, *params: Any) -> list[tuple]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return conn.execute(query.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(self.path) as conn:
            return conn.execute(query, params).fetchall()

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


SERVERS = ("gunicorn", "devserver")


class LiveSite:
    """``gunicorn -c gunicorn.conf.py cms_site.wsgi`` on a free loopback port, or with
    ``server="devserver"`` the server of ``make run``."""

    def __init__(
        self,
        workdir: Path,
        fake_tiktok_url: str,
        *,
        database: Database | None = None,
        server: str = "gunicorn",
        **tiktok_env: str,
    ) -> None:
        if server not in SERVERS:
            raise ValueError(f"server must be one of {SERVERS}, not {server!r}")
        self.server = server
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._owns_db = database is None  # a shared database is migrated and dropped by its owner
        self.db = database or Database(workdir)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms_site.settings.dev",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_VAR_DIR": str(workdir / "var"),
            "DATABASE_URL": self.db.url,
            "TIKTOK_ENABLED": "true",
            "TIKTOK_CLIENT_KEY": "fake-client-key",
            "TIKTOK_CLIENT_SECRET": "fake-client-secret",
            "TIKTOK_API_BASE_URL": fake_tiktok_url,
            "TIKTOK_AUTH_BASE_URL": fake_tiktok_url,
            "TIKTOK_CALLBACK_URL": f"{self.base_url}/api/tiktok-auth-mobile/callback",
            "TIKTOK_REDIRECT_APP_URL": "https://app.example.com/tiktok/done?from=cms",
            "TIKTOK_APP_REDIRECT_URIS": "https://app.example.com/tiktok/android",
            **tiktok_env,
        }
        self.log_path = workdir / "site.log"
        self.process: subprocess.Popen[bytes] | None = None

    def migrate(self) -> None:
        """Apply the migrations to the site's database (``start`` does it for an owned one)."""
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self) -> LiveSite:
        if self._owns_db:
            self.migrate()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self._command(),
                cwd=ROOT,
                env=self._server_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                # The devserver in a session of its own, so stop() reaches its runserver child.
                start_new_session=self.server == "devserver",
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # a site that never came up must not outlive the test run
            raise
        return self

    def _command(self) -> list[str]:
        if self.server == "devserver":
            return [sys.executable, "-m", "cms_site.devserver"]
        # The production server configuration, on a free port.
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        return [*gunicorn, "--bind", f"127.0.0.1:{self.port}", "cms_site.wsgi:application"]

    def _server_env(self) -> dict[str, str]:
        if self.server != "devserver":
            return self.env
        # TIKTOK_CLIENT_KEY is set, so the devserver starts no fake TikTok of its own.
        return {**self.env, "DEV_HOST": "127.0.0.1", "DEV_PORT": str(self.port)}

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the site exited early:\n{self.log()}")
            try:
                requests.get(f"{self.base_url}/api/tiktok-auth-mobile/me", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"the site did not start in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/tiktok-auth-mobile/{path}"

    def sibling(self, workdir: Path, **tiktok_env: str) -> LiveSite:
        """Another site (not started) on this one's migrated database and fake TikTok, with
        ``tiktok_env`` on top of the usual environment."""
        fake_url = self.env["TIKTOK_API_BASE_URL"]
        return LiveSite(workdir, fake_url, database=self.db, **tiktok_env)

    def _signal(self, signum: int) -> None:
        """Signal gunicorn's master (it stops its workers), or the devserver's whole
        process group (the devserver and its runserver child)."""
        assert self.process is not None
        if self.server != "devserver":
            self.process.send_signal(signum)
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.process.pid, signum)

    @contextmanager
    def running(self) -> Iterator[LiveSite]:
        """Start the site for the ``with`` block, stop it after."""
        try:
            yield self.start()
        finally:
            self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        if self.process is not None and self.server == "devserver":
            self._signal(signal.SIGKILL)  # its runserver child, should it outlive the parent
            self.process = None  # its group id may be reused: never signal it again
        if self._owns_db:
            self.db.drop()
