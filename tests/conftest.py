"""Shared fixtures; shared helpers live in tests/support (test modules never import each other).

``tiktok`` is the real fake TikTok (``tiktok_mobile_auth.testing``) served from a thread of
this process, reset before each test, with the plugin's base URLs pointing at it; tests
assert what it was sent through its request log. ``tiktok_http`` (``responses``) is kept
for the few replies the fake cannot produce and for the wire-format tests of the client.
Services (PostgreSQL, Redis) are optional locally, but a test that needs one fails instead
of skipping when ``CI`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from rest_framework.test import APIClient

from tests.support.api import configure, sign_in
from tests.support.tiktok import InProcessTikTok
from tiktok_mobile_auth.testing import FakeTikTokThread, State


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

    configure(settings, STORAGE=request.param)
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


@pytest.fixture(scope="session")
def _tiktok_server() -> Iterator[FakeTikTokThread]:
    """One fake TikTok per test session, registered with the test settings' app."""
    from django.conf import settings

    app = settings.TIKTOK_MOBILE_AUTH
    with FakeTikTokThread(State(app["CLIENT_KEY"], app["CLIENT_SECRET"])) as server:
        yield server


@pytest.fixture
def tiktok(_tiktok_server, settings) -> InProcessTikTok:
    """The fake TikTok, reset (seeded users plus ALICE), with the plugin pointed at it."""
    fake = InProcessTikTok(_tiktok_server)
    fake.reset()
    configure(settings, API_BASE_URL=fake.base_url, AUTH_BASE_URL=fake.base_url)
    return fake


@pytest.fixture
def signed_in(api, tiktok) -> dict:
    """Alice, signed in through connect: the connect response body."""
    return sign_in(api, tiktok)


@pytest.fixture
def tiktok_http() -> Iterator[responses.RequestsMock]:
    """TikTok's API mocked with ``responses``; every registered reply must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
