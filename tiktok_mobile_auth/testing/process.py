"""Running the fake TikTok: a loopback-only threaded server, in a thread or a subprocess.

:class:`FakeTikTokProcess` starts ``python -m tiktok_mobile_auth.testing`` for
integration tests (real sockets, a real separate process); :class:`FakeTikTokThread`
serves the app from a background thread for fast in-process tests.
"""

from __future__ import annotations

import ipaddress
import os
import queue
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from tiktok_mobile_auth.testing.control import FakeTikTokControl
from tiktok_mobile_auth.testing.state import State

LISTENING_PREFIX = "FAKE TIKTOK LISTENING "
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class FakeTikTokStartupError(RuntimeError):
    """The fake TikTok process did not report that it was listening."""


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server, one daemon thread per request (a slow fault must not block others)."""

    daemon_threads = True
    # socketserver's backlog of 5 drops connections of a burst (a site exchanging 32 codes
    # at once): the client's connect then times out, which the real TikTok never causes.
    request_queue_size = 128
    close_grace = 2.0  # seconds server_close() waits for requests still being answered

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._busy = threading.Condition()
        self._in_flight = 0
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._busy:  # counted before the thread starts, so server_close() sees it
            self._in_flight += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._busy:
                self._in_flight -= 1
                self._busy.notify_all()

    def server_close(self) -> None:
        # Daemon threads die with the process; give replies in flight (and their log lines)
        # a moment to finish first, but never hang on a "timeout" fault that sleeps.
        super().server_close()
        with self._busy:
            self._busy.wait_for(lambda: self._in_flight == 0, timeout=self.close_grace)

    def server_bind(self) -> None:
        # HTTPServer.server_bind() calls socket.getfqdn(), a reverse-DNS lookup that can hang
        # for seconds on a badly configured machine; a loopback server has no use for it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()


class ThreadingWSGIServerV6(ThreadingWSGIServer):
    """The same, bound to an IPv6 loopback address."""

    address_family = socket.AF_INET6


class QuietRequestHandler(WSGIRequestHandler):
    """Logs ``METHOD /path STATUS`` only: never the query string, headers or body."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        # wsgiref fills in "text/plain" when no Content-Type was sent; the request log must
        # show what the client really sent (gunicorn leaves it out too).
        if self.headers.get("Content-Type") is None:
            environ.pop("CONTENT_TYPE", None)
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(self.path).path
        sys.stderr.write(f"fake-tiktok: {self.command} {path} {code}\n")


class SilentRequestHandler(QuietRequestHandler):
    """Logs no requests at all (in-process tests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def loopback_host(host: str) -> str:
    """``host`` as an IP literal to bind; raises ValueError for anything but loopback."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(
            f"refusing to bind {host!r}: the fake TikTok only listens on a loopback address "
            "(127.0.0.0/8, ::1 or localhost)"
        )
    return str(address)


def make_server(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = True
) -> ThreadingWSGIServer:
    """Bind a threaded WSGI server for ``app`` on a loopback ``host`` (port 0: a free one)."""
    address = loopback_host(host)
    server_class = ThreadingWSGIServerV6 if ":" in address else ThreadingWSGIServer
    handler = QuietRequestHandler if log_requests else SilentRequestHandler
    server = server_class((address, port), handler)
    server.set_app(app)
    return server


def server_url(server: socketserver.TCPServer) -> str:
    """The ``http://host:port`` a bound server answers on."""
    host, port = server.server_address[:2]
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}"


class FakeTikTokThread:
    """Serve the fake from a daemon thread of this process; ``state`` is shared directly.

    ``base_url`` and ``control`` are set on entering the context (that is when it binds).
    """

    def __init__(self, state: State | None = None, latency_ms: float = 0) -> None:
        from tiktok_mobile_auth.testing.app import (
            make_app,  # here, so importing process.py stays light
        )

        self.app = make_app(state, latency_ms=latency_ms)
        self.state = self.app.state
        self.base_url = ""
        self._control: FakeTikTokControl | None = None
        self._server: ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def control(self) -> FakeTikTokControl:
        """The control client; only inside the ``with`` block."""
        if self._control is None:
            raise RuntimeError("the fake TikTok thread has not been started")
        return self._control

    def __enter__(self) -> FakeTikTokThread:
        self._server = make_server(self.app, port=0, log_requests=False)
        self.base_url = server_url(self._server)
        self._control = FakeTikTokControl(self.base_url)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class FakeTikTokProcess:
    """Run ``python -m tiktok_mobile_auth.testing`` (default ``--port 0``) as a context manager.

    ``base_url`` and ``control`` are set once the process printed its LISTENING line.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        latency_ms: float = 0,
        client_key: str | None = None,
        client_secret: str | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        self.command = [sys.executable, "-m", "tiktok_mobile_auth.testing", "--host", host]
        self.command += ["--port", str(port), "--latency-ms", str(latency_ms)]
        if client_key:
            self.command += ["--client-key", client_key]
        if client_secret:
            self.command += ["--client-secret", client_secret]
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._control: FakeTikTokControl | None = None
        self._stderr: IO[bytes] | None = None
        self._pump: threading.Thread | None = None
        self._stderr_final = ""

    @property
    def control(self) -> FakeTikTokControl:
        """The control client; only once the process is listening."""
        if self._control is None:
            raise RuntimeError("the fake TikTok process has not been started")
        return self._control

    def __enter__(self) -> FakeTikTokProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the process and wait for its LISTENING line; raises FakeTikTokStartupError."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # The child must import this package even when the caller's cwd is elsewhere.
        paths = [str(PROJECT_ROOT), env.get("PYTHONPATH")]
        env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        # A file, not a pipe: nobody reads stderr while the fake runs, and a full pipe would
        # block it. stop() keeps its text for stderr_text() and closes it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
        )
        line = self._first_line()
        if not line.startswith(LISTENING_PREFIX):
            self.stop()
            raise FakeTikTokStartupError(
                f"the fake TikTok did not start within {self.startup_timeout:g} s "
                f"(first line: {line.strip()!r}); stderr:\n{self.stderr_text()}"
            )
        self.base_url = line[len(LISTENING_PREFIX) :].strip()
        self._control = FakeTikTokControl(self.base_url)

    def _first_line(self) -> str:
        """The first stdout line ('' on EOF or timeout); a thread then drains the rest."""
        assert self.process is not None and self.process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.process.stdout

        def pump() -> None:
            for line in stdout:
                lines.put(line)
            lines.put("")

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        try:
            return lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            return ""

    def stop(self) -> None:
        """Terminate (SIGTERM, then SIGKILL after 5 s) and wait for the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._pump is not None:
            self._pump.join(timeout=1)  # it ends at EOF, now that the process has gone
        if self.process is not None and self.process.stdout and not self._pump_alive():
            self.process.stdout.close()
        if self._stderr is not None:
            self._stderr_final = self.stderr_text()  # keep the text, release the file
            self._stderr.close()
            self._stderr = None

    def _pump_alive(self) -> bool:
        return self._pump is not None and self._pump.is_alive()

    def stderr_text(self) -> str:
        """What the process wrote to stderr (request lines and errors), also after stop()."""
        if self._stderr is None:
            return self._stderr_final
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended, else None."""
        return self.process.poll() if self.process is not None else None
