"""``make run``: migrate the database and serve the site for development.

When no TikTok credentials are configured (``TIKTOK_CLIENT_KEY`` unset), it starts the
bundled fake TikTok on 127.0.0.1:8765 and points the plugin at it, so the whole sign-in can
be tried with curl and a browser. That is refused under production settings (and production
settings refuse a non-https TikTok endpoint anyway).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import ExitStack

from tiktok_mobile_auth.testing import FakeTikTokProcess

HOST = os.environ.get("DEV_HOST", "127.0.0.1")
PORT = int(os.environ.get("DEV_PORT", "8000"))
FAKE_PORT = int(os.environ.get("FAKE_TIKTOK_PORT", "8765"))
SITE = f"http://{HOST}:{PORT}"

BANNER_LINES = [
    "NO TIKTOK CREDENTIALS CONFIGURED: USING THE BUNDLED FAKE TIKTOK",
    "fake TikTok API: {fake}",
    "Nothing here talks to the real TikTok. To use a real TikTok app, set",
    "TIKTOK_CLIENT_KEY, TIKTOK_CLIENT_SECRET, TIKTOK_CALLBACK_URL and",
    "TIKTOK_REDIRECT_APP_URL (see the README).",
]


def banner(fake_url: str) -> str:
    lines = [line.format(fake=fake_url) for line in BANNER_LINES]
    width = max(map(len, lines)) + 4
    rule = "*" * (width + 2)
    return "\n".join([rule, *(f"*  {line:<{width - 2}}*" for line in lines), rule])


def fake_tiktok_environment(fake_url: str) -> dict[str, str]:
    """The plugin settings that point at the fake TikTok; explicit env values still win."""
    return {
        "TIKTOK_CLIENT_KEY": "fake-client-key",
        "TIKTOK_CLIENT_SECRET": "fake-client-secret",
        "TIKTOK_API_BASE_URL": fake_url,
        "TIKTOK_AUTH_BASE_URL": fake_url,
        "TIKTOK_CALLBACK_URL": f"{SITE}/api/tiktok-auth-mobile/callback",
        "TIKTOK_REDIRECT_APP_URL": f"{SITE}/dev/app-link/",
        # The native-SDK code flow of connect: the fake accepts any redirect_uri it is given.
        "TIKTOK_APP_REDIRECT_URIS": f"{SITE}/dev/app-link/",
    }


def main() -> int:
    signal.signal(signal.SIGTERM, _exit)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_site.settings.dev")
    if os.environ["DJANGO_SETTINGS_MODULE"].endswith("production"):
        print("make run is for development; refusing production settings.", file=sys.stderr)
        return 2
    manage = [sys.executable, "manage.py"]
    with ExitStack() as stack:
        if not os.environ.get("TIKTOK_CLIENT_KEY"):
            fake = stack.enter_context(FakeTikTokProcess(port=FAKE_PORT))
            for key, value in fake_tiktok_environment(fake.base_url).items():
                os.environ.setdefault(key, value)
            print(banner(fake.base_url), file=sys.stderr, flush=True)
        # The server runs the system checks: the migration running them too printed every
        # warning twice.
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0", "--skip-checks"], check=True)
        return serve()


def serve() -> int:
    """Run the development server (cms_site/runserver.py) until it stops, or until this
    process is interrupted or terminated: the server is stopped then too."""
    server = subprocess.Popen([sys.executable, "-m", "cms_site.runserver", f"{HOST}:{PORT}"])
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _exit(signum: int, _frame: object) -> None:
    """SIGTERM (``kill``, a process manager) unwinds like Ctrl-C, so the development
    server and the fake TikTok stop with this process instead of outliving it."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
