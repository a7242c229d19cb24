"""End to end with STORE_TOKENS: a real site process keeps the TikTok grant it obtains, the
fake TikTok sends it a signed authorization.removed webhook, and disconnect refreshes then
revokes the grant at the fake.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator

import pytest
import requests
from cryptography.fernet import Fernet

from tests.support.live_site import LiveSite

pytestmark = pytest.mark.integration

ANDROID = "https://app.example.com/tiktok/android"
TOKENS_OF = (
    "SELECT t.access_token_encrypted, t.refresh_token_encrypted "
    "FROM tiktok_mobile_auth_tiktoktokens t "
    "JOIN tiktok_mobile_auth_tiktokaccount a ON a.id = t.account_id WHERE a.union_id = ?"
)
DEAUTHORIZED = (
    "SELECT deauthorized_reason FROM tiktok_mobile_auth_tiktokaccount "
    "WHERE union_id = ? AND deauthorized_at IS NOT NULL"
)


@pytest.fixture(scope="module")
def token_site(live_site, tmp_path_factory) -> Iterator[LiveSite]:
    tokens = live_site.sibling(
        tmp_path_factory.mktemp("tokens"),
        TIKTOK_STORE_TOKENS="true",
        TIKTOK_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    with tokens.running() as site:
        yield site


@pytest.fixture
def person(fake) -> str:
    """A TikTok user of this test only (the database is shared by the session)."""
    slug = secrets.token_hex(4)
    fake.add_user(open_id=f"open-{slug}", union_id=f"union-{slug}", display_name=slug)
    return slug


def sign_in(site: LiveSite, fake, slug: str) -> dict:
    verifier = secrets.token_urlsafe(48)
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    code = fake.mint_code(f"open-{slug}", redirect_uri=ANDROID, code_challenge=challenge)
    body = {"code": code, "code_verifier": verifier, "redirect_uri": ANDROID}
    response = requests.post(site.url("connect"), json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def access_token_sent(fake) -> str:
    """The access token the site got from the fake (it is sent to user info)."""
    return fake.requests("userinfo")[-1]["headers"]["Authorization"].removeprefix("Bearer ")


def test_the_grant_is_stored_encrypted_and_a_signed_removal_drops_it(token_site, fake, person):
    session = sign_in(token_site, fake, person)
    [(access_encrypted, refresh_encrypted)] = token_site.db.rows(TOKENS_OF, f"union-{person}")
    access_token = access_token_sent(fake)
    assert access_token not in access_encrypted
    assert refresh_encrypted and "rft." not in refresh_encrypted

    hook = token_site.url("webhook")
    first = fake.send_webhook(hook, f"open-{person}", reason=1)
    assert first["status"] == 200, first["body"]
    assert '"result":"applied"' in first["body"].replace(" ", "")
    assert token_site.db.rows(TOKENS_OF, f"union-{person}") == []
    assert token_site.db.rows(DEAUTHORIZED, f"union-{person}") == [(1,)]

    # At-least-once delivery: the same event again changes nothing.
    again = fake.send_webhook(hook, f"open-{person}", create_time=first["sent"]["create_time"])
    assert again["status"] == 200
    assert '"result":"duplicate"' in again["body"].replace(" ", "")

    forged = fake.send_webhook(hook, f"open-{person}", secret="not-the-client-secret")
    assert forged["status"] == 401
    assert "webhook_signature_invalid" in forged["body"]

    me = requests.get(
        token_site.url("me"), headers={"Authorization": f"Bearer {session['jwt']}"}, timeout=30
    )
    assert me.json()["tiktok"]["deauthorized"] is True


def test_disconnect_refreshes_an_expiring_token_then_revokes_it(token_site, fake, person):
    fake.configure(access_expires_in=60)  # inside the 5-minute margin: refreshed first
    session = sign_in(token_site, fake, person)
    original = access_token_sent(fake)

    response = requests.post(
        token_site.url("disconnect"),
        headers={"Authorization": f"Bearer {session['jwt']}"},
        timeout=30,
    )
    assert response.status_code == 204, response.text

    exchange, refresh = fake.requests("token")
    assert exchange["form"]["grant_type"] == "authorization_code"
    assert refresh["form"]["grant_type"] == "refresh_token"
    assert refresh["form"]["client_key"] == "fake-client-key"
    assert refresh["form"]["client_secret"] == "fake-client-secret"
    [revoke] = fake.requests("revoke")
    assert revoke["form"]["client_key"] == "fake-client-key"
    assert revoke["form"]["client_secret"] == "fake-client-secret"
    assert revoke["form"]["token"].startswith("act.")
    assert revoke["form"]["token"] != original  # the refreshed one
    # The fake dropped the whole grant: even the first access token is dead now.
    info = requests.get(
        f"{fake.base_url}/v2/user/info/",
        params={"fields": "open_id"},
        headers={"Authorization": f"Bearer {original}"},
        timeout=30,
    )
    assert info.status_code == 401

    assert token_site.db.rows(TOKENS_OF, f"union-{person}") == []
    assert (
        token_site.db.rows(
            "SELECT id FROM tiktok_mobile_auth_tiktokaccount WHERE union_id = ?", f"union-{person}"
        )
        == []
    )
    dead = requests.post(token_site.url("token/refresh"), json={"refresh": session["refresh"]})
    assert dead.status_code == 401


def test_disconnect_unlinks_even_when_tiktok_fails_to_revoke(token_site, fake, person):
    session = sign_in(token_site, fake, person)
    fake.fault("revoke", "http500")
    response = requests.post(
        token_site.url("disconnect"),
        headers={"Authorization": f"Bearer {session['jwt']}"},
        timeout=30,
    )
    assert response.status_code == 204
    assert len(fake.requests("revoke")) == 1
    assert (
        token_site.db.rows(
            "SELECT id FROM tiktok_mobile_auth_tiktokaccount WHERE union_id = ?", f"union-{person}"
        )
        == []
    )
