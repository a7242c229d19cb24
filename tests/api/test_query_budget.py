"""SQL budgets of the hot endpoints: a statement too many is a regression.

Counted around one request, TikTok being the in-process fake. Only statements that do work
count: the test runs inside a transaction, where the sign-in's ``transaction.atomic`` shows
as SAVEPOINT / RELEASE (BEGIN / COMMIT in production), which are not counted.

The budgets are those of the scale-out configuration, PostgreSQL + Redis. Without Redis, two
kinds of record live in the database instead of the cache, and each adds one statement where
it is used: the throttle counter (every throttled request) and the login attempts and
minted-token hashes (``STORAGE="auto"``). The SQLite pass checks those budgets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.api import BASE, sign_in
from tests.support.tiktok import mint
from tiktok_mobile_auth.storage.records import default_cache_is_redis

pytestmark = pytest.mark.django_db

# Account lookup, the link's lock, the sign-in record, the refresh-token family.
RETURNING_CONNECT = 4
NEW_CONNECT = 12
CODE_CONNECT = 5  # the same, and the account's UPDATE (the code's scopes differ)
REFRESH = 1  # one conditional UPDATE of the family
ME = 1  # the user with its TikTok account and role (one join, one EXISTS)
LOGOUT = 1  # one UPDATE of the family
AUTHORIZE = 0  # the login attempt goes to Redis
CALLBACK = 0  # the attempt is spent and the minted token recorded in Redis
ANDROID = "https://app.example.com/tiktok/android"
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")


def without_redis(stored: int = 0) -> int:
    """Statements added without Redis: the throttle's upsert and, as a window starts (always
    here), its purge of past windows; ``stored`` for the login attempts and minted tokens (an
    insert and its purge of expired rows, or a read)."""
    return 0 if default_cache_is_redis() else 2 + stored


@pytest.fixture
def statements() -> Callable[[int], contextmanager]:
    """``with statements(n):`` fails when the block runs more than ``n`` statements."""

    @contextmanager
    def at_most(budget: int) -> Iterator[None]:
        with CaptureQueriesContext(connection) as captured:
            yield
        work = [
            query["sql"]
            for query in captured.captured_queries
            if not query["sql"].upper().startswith(_TRANSACTION_CONTROL)
        ]
        assert len(work) <= budget, "\n".join([f"{len(work)} > {budget}:", *work])

    return at_most


def minted_token(tiktok) -> str:
    """A token TikTok issued Alice, recorded as obtained here."""
    token = tiktok.mint_token("open-alice")
    mint(token)
    return token


@pytest.fixture
def returning(api, tiktok):
    """Alice has signed in once."""
    return sign_in(api, tiktok)


def test_new_user_connect(api, tiktok, statements):
    token = minted_token(tiktok)
    with statements(NEW_CONNECT + without_redis(stored=1)):
        response = api.post(f"{BASE}/connect", {"access_token": token}, format="json")
    assert response.status_code == 200


def test_returning_user_connect(api, tiktok, returning, statements):
    token = minted_token(tiktok)
    with statements(RETURNING_CONNECT + without_redis(stored=1)):
        response = api.post(f"{BASE}/connect", {"access_token": token}, format="json")
    assert response.status_code == 200


def test_returning_user_connect_with_code(api, returning, tiktok, statements):
    verifier = "A" * 43
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    code = tiktok.code("open-alice", redirect_uri=ANDROID, code_challenge=challenge)
    body = {"code": code, "code_verifier": verifier, "redirect_uri": ANDROID}
    with statements(CODE_CONNECT + without_redis(stored=2)):
        response = api.post(f"{BASE}/connect", body, format="json")
    assert response.status_code == 200


def test_refresh(api, returning, statements):
    with statements(REFRESH + without_redis()):
        response = api.post(
            f"{BASE}/token/refresh", {"refresh": returning["refresh"]}, format="json"
        )
    assert response.status_code == 200


def test_me(api, returning, statements):
    with statements(ME + without_redis()):
        response = api.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {returning['jwt']}")
    assert response.status_code == 200


def test_logout(api, returning, statements):
    with statements(LOGOUT + without_redis()):
        response = api.post(f"{BASE}/logout", {"refresh": returning["refresh"]}, format="json")
    assert response.status_code == 204


def test_authorize_and_callback(client, tiktok, statements):
    with statements(AUTHORIZE + without_redis(stored=2)):
        started = client.get(f"{BASE}/authorize", {"state": "app-1"})
    assert started.status_code == 302
    sent = {k: v[0] for k, v in parse_qs(urlsplit(started["Location"]).query).items()}
    binding = {"redirect_uri": sent["redirect_uri"], "code_challenge": sent["code_challenge"]}
    code = tiktok.code("open-alice", **binding)
    query = {"code": code, "scopes": "user.info.basic", "state": sent["state"]}
    with statements(CALLBACK + without_redis(stored=4)):
        back = client.get(f"{BASE}/callback", query)
    assert back.status_code == 302
    assert "access_token=" in back["Location"]
