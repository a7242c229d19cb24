"""Scale-out: two site processes behind an imaginary load balancer, sharing one PostgreSQL
database and one Redis, as docs/deployment.md describes.

Every request may land on either instance: a sign-in begun on one finishes on the other,
tokens issued by one are refreshed, read and revoked on the other, and a client's throttle
counts its requests to both. Nothing but the database, the cache, the secret key and the
encryption key is shared, and that is enough.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests
from cryptography.fernet import Fernet

from tests.support.live_site import LiveSite
from tests.support.services import require_service

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

APP_LINK = "https://app.example.com/tiktok/done"
ME_LIMIT = 5
REDIS_DB = 9  # a database of its own: its throttle counters start at zero, unseen by others


def _redis_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


@pytest.fixture(scope="module")
def sites(fake_tiktok, tmp_path_factory) -> Iterator[tuple[LiveSite, LiveSite]]:
    database_url = os.environ.get("DATABASE_URL", "")
    require_service("PostgreSQL (DATABASE_URL)", database_url.startswith("postgres"))
    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    import redis

    store = redis.Redis.from_url(_redis_url())
    store.flushdb()
    shared = {
        # What every instance must share (docs/deployment.md); DATABASE_URL is shared below.
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "TIKTOK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "REDIS_URL": _redis_url(),
        "TIKTOK_THROTTLE_ME": f"{ME_LIMIT}/day",
    }
    first = LiveSite(tmp_path_factory.mktemp("first"), fake_tiktok.base_url, **shared)
    second = LiveSite(
        tmp_path_factory.mktemp("second"), fake_tiktok.base_url, database=first.db, **shared
    )
    # One public callback URL, as behind a load balancer (here it reaches the second).
    for site in (first, second):
        site.env["TIKTOK_CALLBACK_URL"] = second.url("callback")
    try:
        first.start()
        second.start()
        yield first, second
    finally:
        second.stop()
        first.stop()
        store.flushdb()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sign_in_across(first: LiveSite, second: LiveSite, fake_tiktok) -> dict:
    """authorize on the first instance; TikTok's consent; callback and connect on the second.

    One browser (a cookie jar) does the redirects: the sign-in is bound to it by a cookie
    the first instance signs and the second checks with the shared secret key."""
    browser = requests.Session()
    started = browser.get(
        first.url("authorize"), params={"state": "app-1"}, allow_redirects=False, timeout=30
    )
    assert started.status_code == 302, started.text
    to_tiktok = started.headers["Location"]
    assert to_tiktok.startswith(fake_tiktok.base_url)
    consent = {**query_of(to_tiktok), "action": "authorize", "open_id": "fake-open-alice"}
    consented = browser.post(
        f"{fake_tiktok.base_url}/v2/auth/authorize/",
        data=consent,
        allow_redirects=False,
        timeout=30,
    )
    assert consented.status_code == 302, consented.text
    back = consented.headers["Location"]
    assert back.startswith(second.url("callback"))
    to_app = browser.get(back, allow_redirects=False, timeout=30)
    assert to_app.status_code == 302, to_app.text
    assert to_app.headers["Location"].startswith(APP_LINK + "?")
    params = query_of(to_app.headers["Location"])
    assert params["state"] == "app-1", params
    connected = requests.post(
        second.url("connect"), json={"access_token": params["access_token"]}, timeout=30
    )
    assert connected.status_code == 200, connected.text
    return connected.json()


def me(site: LiveSite, jwt: str) -> requests.Response:
    return requests.get(site.url("me"), headers={"Authorization": f"Bearer {jwt}"}, timeout=30)


def post(site: LiveSite, path: str, body: dict) -> requests.Response:
    return requests.post(site.url(path), json=body, timeout=30)


def test_a_sign_in_and_its_tokens_work_on_either_instance(sites, fake, fake_tiktok):
    first, second = sites
    body = sign_in_across(first, second, fake_tiktok)
    assert body["user"]["tiktok"]["union_id"] == "fake-union-alice"

    assert me(first, body["jwt"]).json()["id"] == body["user"]["id"]
    rotated = post(first, "token/refresh", {"refresh": body["refresh"]})
    assert rotated.status_code == 200, rotated.text
    # Spent on the first instance means spent on the second.
    assert post(second, "token/refresh", {"refresh": body["refresh"]}).status_code == 401
    pair = rotated.json()
    assert me(second, pair["jwt"]).status_code == 200
    assert post(first, "logout", {"refresh": pair["refresh"]}).status_code == 204
    assert post(second, "token/refresh", {"refresh": pair["refresh"]}).status_code == 401


def test_a_callback_state_is_spent_on_both_instances(sites, fake, fake_tiktok):
    first, second = sites
    browser = requests.Session()  # the sign-in is bound to this browser's cookie
    started = browser.get(first.url("authorize"), allow_redirects=False, timeout=30)
    state = query_of(started.headers["Location"])["state"]
    code = fake.mint_code("fake-open-alice", redirect_uri=second.url("callback"))
    query = {"code": code, "scopes": "user.info.basic", "state": state}
    ok = browser.get(second.url("callback"), params=query, allow_redirects=False, timeout=30)
    assert "access_token" in query_of(ok.headers["Location"])
    replay = browser.get(first.url("callback"), params=query, allow_redirects=False, timeout=30)
    assert query_of(replay.headers["Location"])["error"] == "invalid_state"


def test_the_throttle_counts_requests_to_both_instances(sites, fake, fake_tiktok):
    first, second = sites
    jwt = sign_in_across(first, second, fake_tiktok)["jwt"]
    # Up to ME_LIMIT requests pass in all (earlier tests of this module used some).
    answers = [me(first, jwt).status_code for _ in range(ME_LIMIT + 1)]
    assert answers[-1] == 429, answers
    assert answers.count(200) <= ME_LIMIT
    # The first instance's requests used up the second's allowance too.
    refused = me(second, jwt)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) >= 1
