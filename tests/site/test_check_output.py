"""A system check warning is printed once: by ``manage.py check``, and by ``make run`` (which
migrates, then serves; only the server runs the checks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
W006 = "tiktok_mobile_auth.W006"


@pytest.mark.django_db  # model checks may ask the database for its features (Django 6.1)
def test_manage_py_check_prints_w006_once(settings, capsys):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ALLOW_APP_STATE": True}
    call_command("check")
    output = capsys.readouterr()
    assert (output.out + output.err).count(W006) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serving(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.integration
def test_make_run_prints_w006_once(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TIKTOK_CLIENT_KEY")
    }
    env |= {
        "DEV_PORT": str(port),
        "FAKE_TIKTOK_PORT": str(free_port()),
        "DJANGO_VAR_DIR": str(tmp_path / "var"),
        "TIKTOK_ALLOW_APP_STATE": "true",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "cms_site.devserver"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while not serving(f"http://127.0.0.1:{port}/healthz"):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    output = log.read_text()
    assert "System check identified" in output  # the server ran the checks and printed them
    assert output.count(W006) == 1, output
