"""GET /healthz: 200 when the database and the cache work, 503 (never 500) when one does not."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError, connections

pytestmark = pytest.mark.django_db

OK = {"status": "ok", "database": "ok", "cache": "ok"}
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


@pytest.fixture
def database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 10.0.0.9 failed: password=hunter2")

    monkeypatch.setattr(connections["default"], "cursor", refuse)


def test_healthy_is_200_json_without_auth_session_or_caching(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == OK
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie


def test_head_works_and_other_methods_are_405(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_is_cheap(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/healthz").status_code == 200


def test_database_down_is_503_and_the_reason_stays_in_the_log(client, database_down, caplog):
    with caplog.at_level(logging.WARNING, logger="cms_site.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}
    assert "hunter2" not in response.content.decode()
    assert "database is unreachable (OperationalError)" in caplog.text


def test_unreachable_redis_is_503_not_500(client, settings):
    settings.CACHES = UNREACHABLE_REDIS
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


def test_a_cache_that_loses_what_it_stores_is_unhealthy(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert client.get("/healthz").json()["cache"] == "error"


def test_both_down(client, settings, database_down):
    settings.CACHES = UNREACHABLE_REDIS
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "error"}
