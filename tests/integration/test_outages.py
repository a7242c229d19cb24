"""A real site process whose Redis or PostgreSQL is out of reach (nothing listens on the
port it was given): it answers 503 ``service_unavailable`` in the envelope, with
Retry-After, on every sign-in endpoint; ``/healthz`` tells the load balancer; no 500."""

from __future__ import annotations

import pytest
import requests

from tests.support.live_site import free_port

pytestmark = pytest.mark.integration

ENDPOINTS = [
    ("POST", "connect", {"access_token": "act.secret-token"}),
    ("POST", "token/refresh", {"refresh": "not-a-token"}),
    ("GET", "authorize", None),
    ("GET", "callback?code=c&state=s", None),
]


def assert_outages(site) -> None:
    for method, path, body in ENDPOINTS:
        response = requests.request(method, site.url(path), json=body, timeout=30)
        assert response.status_code == 503, (path, response.text)
        assert response.json()["error"]["details"] == {"code": "service_unavailable"}, path
        assert response.headers["Retry-After"] == "5"
    log = site.log()
    assert "storage unavailable" in log
    assert "Internal Server Error" not in log and "Traceback" not in log
    assert "act.secret-token" not in log


def test_a_site_whose_redis_is_down_answers_503(live_site, fake, tmp_path):
    site = live_site.sibling(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with site.running():
        assert_outages(site)
        health = requests.get(f"{site.base_url}/healthz", timeout=30)
    assert (health.status_code, health.json()["cache"]) == (503, "error")
    assert fake.requests("userinfo") == []  # refused before TikTok was asked anything


def test_a_site_whose_database_is_down_answers_503(live_site, fake, tmp_path):
    site = live_site.sibling(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/app",
        DJANGO_DB_POOL_TIMEOUT="1",  # the pool waits this long for a connection
        # The file cache, whatever the suite runs on: the database alone is out of reach.
        REDIS_URL="",
    )
    with site.running():
        assert_outages(site)
        health = requests.get(f"{site.base_url}/healthz", timeout=30)
    assert (health.status_code, health.json()["database"]) == (503, "error")
    assert fake.requests("userinfo") == []
