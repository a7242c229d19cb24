"""POST /disconnect: revoke at TikTok (best effort), unlink, end every session; 204.

The local unlink must happen whatever TikTok does, and all at once: the account and its
stored tokens gone, every refresh token dead, the Django user kept.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import BASE, app_code, configure, connect_code, error_of, refresh
from tiktok_mobile_auth.models import SignInEvent, TikTokAccount, TikTokTokens
from tiktok_mobile_auth.signin import jwt_tokens
from tiktok_mobile_auth.storage import records

pytestmark = pytest.mark.django_db
User = get_user_model()


def sign_in_with_code(api, tiktok) -> dict:
    response = connect_code(api, code=app_code(tiktok))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def signed_in(api, tiktok):
    """Alice, signed in with the code flow (her TikTok tokens stored when STORE_TOKENS);
    TikTok's access tokens live two hours."""
    tiktok.configure(access_expires_in=7200)
    return sign_in_with_code(api, tiktok)


@pytest.fixture
def access_token(tiktok, signed_in) -> str:
    """The access token TikTok issued at sign-in (the profile was fetched with it)."""
    return tiktok.sent("userinfo")[0]["headers"]["Authorization"].removeprefix("Bearer ")


def disconnect(api, jwt):
    return api.post(f"{BASE}/disconnect", HTTP_AUTHORIZATION=f"Bearer {jwt}")


def assert_unlinked(api, session) -> None:
    assert not TikTokAccount.objects.exists()
    assert not TikTokTokens.objects.exists()
    assert User.objects.filter(pk=session["user"]["id"]).exists()  # the user stays
    dead = refresh(api, session["refresh"])
    assert dead.status_code == 401
    assert error_of(dead)["details"]["code"] == "refresh_token_invalid"


def test_disconnect_revokes_with_our_credentials_unlinks_and_ends_sessions(
    api, tiktok, store_tokens, signed_in, access_token
):
    other_session = jwt_tokens.start_family(User.objects.get())  # e.g. a second device
    response = disconnect(api, signed_in["jwt"])

    assert response.status_code == 204
    assert response.content == b""
    assert tiktok.sent_form("revoke") == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "token": [access_token],
    }
    assert tiktok.holder_of(access_token) is None
    assert_unlinked(api, signed_in)
    assert refresh(api, other_session["refresh"]).status_code == 401
    # The access JWT lives out its minutes, but shows a user without TikTok.
    me = api.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {signed_in['jwt']}").json()
    assert (me["provider"], me["tiktok"]) == ("local", None)
    # The sign-in history outlives the link (for the admin), without the account.
    assert SignInEvent.objects.filter(union_id="Union-Alice-123", account=None).exists()


def test_an_expiring_access_token_is_refreshed_before_it_is_revoked(
    api, tiktok, store_tokens, signed_in, access_token, monkeypatch
):
    later = records.now() + timedelta(seconds=7200)
    monkeypatch.setattr(records, "now", lambda: later)
    assert disconnect(api, signed_in["jwt"]).status_code == 204

    exchange, rotation = tiktok.sent("token")
    assert exchange["form"]["grant_type"] == "authorization_code"
    assert rotation["form"]["grant_type"] == "refresh_token"
    assert rotation["form"]["refresh_token"].startswith("rft.")
    (revoke,) = tiktok.sent("revoke")
    assert revoke["form"]["token"] != access_token  # the refreshed one, which TikTok took
    assert tiktok.holder_of(revoke["form"]["token"]) is None
    assert_unlinked(api, signed_in)


@pytest.mark.parametrize("fault", ["http503", "error200", "nonjson", "close"])
def test_a_failed_revoke_still_unlinks_everything_and_is_logged(
    api, tiktok, store_tokens, signed_in, access_token, caplog, fault
):
    tiktok.fault("revoke", fault)
    with caplog.at_level(logging.WARNING, logger="tiktok_mobile_auth"):
        response = disconnect(api, signed_in["jwt"])
    assert response.status_code == 204
    assert len(tiktok.sent("revoke")) == 1  # tried once
    assert_unlinked(api, signed_in)
    assert "TikTok revoke of account" in caplog.text
    assert access_token not in caplog.text


def test_a_refused_refresh_before_revoke_still_unlinks(
    api, tiktok, store_tokens, signed_in, monkeypatch
):
    later = records.now() + timedelta(seconds=7200)
    monkeypatch.setattr(records, "now", lambda: later)
    tiktok.fault("token", "error200")  # TikTok's invalid_grant for the refresh
    assert disconnect(api, signed_in["jwt"]).status_code == 204
    assert len(tiktok.sent("token")) == 2  # the sign-in's exchange and the refused refresh
    assert tiktok.sent("revoke") == []
    assert_unlinked(api, signed_in)


def test_without_stored_tokens_tiktok_is_not_called(api, tiktok, signed_in):
    calls_before = len(tiktok.sent())
    assert disconnect(api, signed_in["jwt"]).status_code == 204
    assert len(tiktok.sent()) == calls_before
    assert_unlinked(api, signed_in)


def test_the_same_tiktok_account_can_sign_in_again_after_disconnect(api, tiktok, signed_in):
    assert disconnect(api, signed_in["jwt"]).status_code == 204
    old_user = User.objects.get(pk=signed_in["user"]["id"])
    assert old_user.email == ""  # the pseudo-email stood for the link only
    again = sign_in_with_code(api, tiktok)
    assert again["user"]["id"] != old_user.pk  # a new user, linked afresh
    assert again["user"]["email"] == "Union-Alice-123@tiktok.com"


def test_a_user_without_tiktok_gets_404_not_linked(api):
    user = User.objects.create(username="local", email="l@example.com")
    session = jwt_tokens.start_family(user)
    response = disconnect(api, session["jwt"])
    assert response.status_code == 404
    assert error_of(response)["details"]["code"] == "not_linked"
    assert refresh(api, session["refresh"]).status_code == 200  # nothing was ended


def test_disconnect_needs_a_valid_jwt(api):
    missing = api.post(f"{BASE}/disconnect")
    assert missing.status_code == 401
    assert error_of(missing)["details"]["code"] == "not_authenticated"
    assert disconnect(api, "not-a-jwt").status_code == 401


def test_a_blocked_user_gets_403_and_stays_linked(api, signed_in):
    User.objects.update(is_active=False)
    response = disconnect(api, signed_in["jwt"])
    assert response.status_code == 403
    assert error_of(response)["details"]["code"] == "account_blocked"
    assert TikTokAccount.objects.exists()


def test_only_post_is_allowed(api, signed_in):
    response = api.get(f"{BASE}/disconnect", HTTP_AUTHORIZATION=f"Bearer {signed_in['jwt']}")
    assert response.status_code == 405
    assert TikTokAccount.objects.exists()


def test_disconnect_is_throttled(api, settings):
    configure(settings, THROTTLE_RATES={"disconnect": "1/min"})
    assert api.post(f"{BASE}/disconnect").status_code == 401
    second = api.post(f"{BASE}/disconnect")
    assert second.status_code == 429
    assert error_of(second)["details"]["code"] == "throttled"
