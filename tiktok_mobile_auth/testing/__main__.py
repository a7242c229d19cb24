"""``python -m tiktok_mobile_auth.testing``: serve the fake TikTok on a loopback port.

Prints exactly one line, ``FAKE TIKTOK LISTENING http://HOST:PORT``, once it accepts
connections (``--port 0`` picks a free port). Refuses non-loopback addresses (exit 2): the
control endpoints are unauthenticated. SIGTERM and Ctrl-C stop it with exit status 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from tiktok_mobile_auth.testing.app import make_app
from tiktok_mobile_auth.testing.model import DEFAULT_CLIENT_KEY, DEFAULT_CLIENT_SECRET
from tiktok_mobile_auth.testing.process import (
    LISTENING_PREFIX,
    loopback_host,
    make_server,
    server_url,
)
from tiktok_mobile_auth.testing.state import State


class _Terminated(Exception):
    """Raised from the SIGTERM handler to leave serve_forever() in the main thread."""


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tiktok_mobile_auth.testing",
        description="A fake TikTok API (OAuth v2 + user info) for tests. Loopback only.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--latency-ms", type=float, default=0, help="delay before every non-control reply"
    )
    parser.add_argument("--client-key", default=DEFAULT_CLIENT_KEY)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    parser.add_argument(
        "--synthesize-users",
        action="store_true",
        help="accept act.synth.<name> tokens and synth-code.<name> codes for made-up users "
        "(load tests: a new user per request without control calls)",
    )
    return parser


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    """Parse options, bind, announce the URL and serve until SIGTERM / Ctrl-C."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        loopback_host(args.host)
    except ValueError as err:
        parser.error(str(err))  # exits with status 2
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")
    state = State(args.client_key, args.client_secret, synthesize_users=args.synthesize_users)
    app = make_app(state, latency_ms=args.latency_ms)
    try:
        server = make_server(app, args.host, args.port, log_requests=not args.quiet)
    except OSError as err:
        print(f"fake TikTok: cannot bind {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _on_sigterm)
    print(f"{LISTENING_PREFIX}{server_url(server)}", flush=True)
    try:
        server.serve_forever()
    except (_Terminated, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
