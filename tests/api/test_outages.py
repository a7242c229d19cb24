"""The database or the cache out of reach: every endpoint answers 503 service_unavailable
in the envelope, with Retry-After, never Django's 500 page, and nothing is half-done.

The cache outage is real (django-redis pointed at a port nothing listens on); the database
outage mid-sign-in is simulated (the account lookup raising what Django raises).
``tests/integration/test_outages.py`` runs both for real against a server process.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, ProgrammingError

from tests.support.api import BASE, configure, error_of
from tests.support.live_site import free_port
from tiktok_mobile_auth.cms import panel
from tiktok_mobile_auth.models import SignInEvent
from tiktok_mobile_auth.signin import account_lookup

pytestmark = pytest.mark.django_db
User = get_user_model()

# Every plugin endpoint, as an app or a browser would call it.
ENDPOINTS = [
    ("post", f"{BASE}/connect", {"access_token": "act.secret-token"}),
    ("get", f"{BASE}/me", None),
    ("post", f"{BASE}/token/refresh", {"refresh": "not-a-token"}),
    ("post", f"{BASE}/logout", {"refresh": "not-a-token"}),
    ("post", f"{BASE}/disconnect", {}),
    ("post", f"{BASE}/webhook", {"event": "authorization.removed"}),
    ("get", f"{BASE}/authorize", None),
    ("get", f"{BASE}/callback?code=c&state=s", None),
    ("get", f"{BASE}/admin/login", None),
]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }


def assert_outage(response) -> None:
    assert response.status_code == 503, response.content
    error = error_of(response)
    assert error["name"] == "ServiceUnavailableError"
    assert error["details"] == {"code": "service_unavailable"}
    assert response["Retry-After"] == "5"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=lambda v: str(v)[:40])
def test_every_endpoint_answers_503_when_the_cache_is_down(
    api, redis_down, method, path, body, caplog
):
    api.raise_request_exception = False  # a 500 would be answered, not raised, in production
    with caplog.at_level(logging.ERROR):
        response = getattr(api, method)(path, body, format="json")
    assert_outage(response)
    assert "storage unavailable: ConnectionError" in caplog.text
    assert "act.secret-token" not in caplog.text
    assert not User.objects.exists()


def test_a_database_outage_mid_sign_in_is_a_503_and_creates_nothing(
    api, settings, tiktok, monkeypatch
):
    configure(settings, ACCESS_TOKEN_POLICY="any")
    token = tiktok.mint_token("open-alice")

    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(account_lookup, "find", unreachable)
    response = api.post(f"{BASE}/connect", {"access_token": token}, format="json")
    assert_outage(response)
    assert len(tiktok.sent("userinfo")) == 1  # TikTok answered; the database did not
    assert not User.objects.exists() and not SignInEvent.objects.exists()


def test_the_panel_has_nothing_to_say_before_migrations_but_an_outage_is_raised(monkeypatch):
    def failing(error):
        def stored_values():
            raise error

        return stored_values

    monkeypatch.setattr(panel, "_stored_values", failing(OperationalError("no such table: x")))
    assert panel.panel_source() == {}  # SQLite, not migrated
    monkeypatch.setattr(panel, "_stored_values", failing(ProgrammingError("relation x")))
    assert panel.panel_source() == {}  # PostgreSQL, not migrated
    monkeypatch.setattr(panel, "_stored_values", failing(OperationalError("refused")))
    with pytest.raises(OperationalError):
        panel.panel_source()
