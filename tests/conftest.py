"""Shared fixtures.

Unit tests mock TikTok's HTTP API with ``responses`` at the base URL of the test settings
(https://open.tiktokapis.test) and assert what was sent. Services (PostgreSQL, Redis) are
optional locally, but a test that needs one fails instead of skipping when ``CI`` is set.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from django.db import connection
from rest_framework.test import APIClient

API = "https://open.tiktokapis.test"
TOKEN_URL = f"{API}/v2/oauth/token/"
USER_INFO_URL = f"{API}/v2/user/info/"
REVOKE_URL = f"{API}/v2/oauth/revoke/"
BASE = "/api/tiktok-auth-mobile"

ALICE = {
    "open_id": "open-alice",
    "union_id": "Union-Alice-123",
    "display_name": "Alice",
    "avatar_url": "https://cdn.example/alice.jpg",
}


def configure(settings: Any, **values: Any) -> None:
    """Override some ``TIKTOK_MOBILE_AUTH`` keys for one test (``settings`` is the fixture)."""
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, **values}


def require_service(name: str, available: bool) -> None:
    """Skip locally when a service is missing; fail in CI, where every service must run."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI but is not configured", pytrace=False)
    pytest.skip(f"{name} is not configured (set it up as .ci/run does)")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: the admin panel's values, throttle counters and
    login attempts live there, and the database rollback does not reach it."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=["database", "cache"])
def storage_config(request, settings):
    """The configuration with STORAGE set to each store in turn (attempts, minted tokens)."""
    from tiktok_mobile_auth.conf import get_config

    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "STORAGE": request.param}
    return get_config()


@pytest.fixture
def clock(monkeypatch):
    """``clock(seconds)`` moves the plugin's clock (records.now) forward."""
    from datetime import timedelta

    from tiktok_mobile_auth.storage import records

    offset = [timedelta()]
    real_now = records.now
    monkeypatch.setattr(records, "now", lambda: real_now() + offset[0])

    def advance(seconds: float) -> None:
        offset[0] += timedelta(seconds=seconds)

    return advance


@pytest.fixture
def store_tokens(settings) -> None:
    """Keep accounts' TikTok tokens (STORE_TOKENS) for this test."""
    configure(settings, STORE_TOKENS=True)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def tiktok() -> Iterator[responses.RequestsMock]:
    """TikTok's API, mocked; every registered reply must be used by the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def user_info_reply(user: dict[str, Any] | None = None, **error: Any) -> dict[str, Any]:
    """A /v2/user/info/ body: ``user`` on success, or an error with the given fields."""
    if error:
        return {"data": {}, "error": {"message": "", "log_id": "log-err", **error}}
    return {"data": {"user": user or ALICE}, "error": {"code": "ok", "message": "", "log_id": "l1"}}


def token_reply(**overrides: Any) -> dict[str, Any]:
    return {
        "access_token": "act.fresh-token",
        "expires_in": 86400,
        "open_id": "open-alice",
        "refresh_expires_in": 31536000,
        "refresh_token": "rft.refresh",
        "scope": "user.info.basic",
        "token_type": "Bearer",
        **overrides,
    }


def mint(access_token: str = "act.x", open_id: str = "open-alice", expires_in: int = 3600) -> None:
    """Record ``access_token`` as obtained by this server (as the callback or a code
    exchange would), so connect accepts it under the default ACCESS_TOKEN_POLICY="minted"."""
    from tiktok_mobile_auth.conf import get_config
    from tiktok_mobile_auth.signin import minted_tokens
    from tiktok_mobile_auth.tiktok import TokenGrant

    grant = TokenGrant(access_token, open_id=open_id, scopes=(), expires_in=expires_in)
    minted_tokens.record(grant, get_config())


def error_of(response: Any) -> dict[str, Any]:
    """The envelope's error, after checking the envelope's shape and truthful status."""
    body = response.json()
    assert body["data"] is None
    assert body["error"]["status"] == response.status_code
    return body["error"]


def run_at_once(
    work: Callable[[], Any],
    count: int,
    *,
    errors: tuple[type[BaseException], ...] = (Exception,),
) -> list[Any]:
    """Run ``work`` in ``count`` threads released at the same moment; return what each one
    returned or raised among ``errors`` (anything else ends its thread with no result).
    Each thread closes its own database connection."""
    barrier = threading.Barrier(count, timeout=10)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except errors as err:  # recorded, for the caller to assert on
            results.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
