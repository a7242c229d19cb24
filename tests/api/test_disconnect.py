"""POST /disconnect: revoke at TikTok (best effort), unlink, end every session; 204.

The local unlink must happen whatever TikTok does, and all at once: the account and its
stored tokens gone, every refresh token dead, the Django user kept.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import requests
from django.contrib.auth import get_user_model

from tests.support.api import BASE, configure, connect_code, error_of, refresh
from tests.support.replies import REVOKE_URL, TOKEN_URL, USER_INFO_URL, token_reply, user_info_reply
from tiktok_mobile_auth.models import SignInEvent, TikTokAccount, TikTokTokens
from tiktok_mobile_auth.signin import jwt_tokens
from tiktok_mobile_auth.storage import records

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def signed_in(api, tiktok_http):
    """Alice, signed in with the code flow (her TikTok tokens stored when STORE_TOKENS)."""
    tiktok_http.post(TOKEN_URL, json=token_reply(expires_in=7200))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect_code(api)
    assert response.status_code == 200
    return response.json()


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
    api, tiktok_http, store_tokens, signed_in
):
    other_session = jwt_tokens.start_family(User.objects.get())  # e.g. a second device
    tiktok_http.post(REVOKE_URL, json={})
    response = disconnect(api, signed_in["jwt"])

    assert response.status_code == 204
    assert response.content == b""
    revoke = tiktok_http.calls[-1].request
    assert revoke.url == REVOKE_URL
    assert parse_qs(revoke.body) == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "token": ["act.fresh-token"],
    }
    assert_unlinked(api, signed_in)
    assert refresh(api, other_session["refresh"]).status_code == 401
    # The access JWT lives out its minutes, but shows a user without TikTok.
    me = api.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {signed_in['jwt']}").json()
    assert (me["provider"], me["tiktok"]) == ("local", None)
    # The sign-in history outlives the link (for the admin), without the account.
    assert SignInEvent.objects.filter(union_id="Union-Alice-123", account=None).exists()


def test_an_expiring_access_token_is_refreshed_before_it_is_revoked(
    api, tiktok_http, store_tokens, signed_in, monkeypatch
):
    later = records.now() + timedelta(seconds=7200)
    monkeypatch.setattr(records, "now", lambda: later)
    tiktok_http.post(
        TOKEN_URL, json=token_reply(access_token="act.refreshed", refresh_token="rft.2")
    )
    tiktok_http.post(REVOKE_URL, json={})
    assert disconnect(api, signed_in["jwt"]).status_code == 204

    refresh_call, revoke_call = tiktok_http.calls[-2:]
    assert parse_qs(refresh_call.request.body)["grant_type"] == ["refresh_token"]
    assert parse_qs(refresh_call.request.body)["refresh_token"] == ["rft.refresh"]
    assert parse_qs(revoke_call.request.body)["token"] == ["act.refreshed"]
    assert_unlinked(api, signed_in)


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 503, "body": "down"},
        {"status": 200, "json": {"error": "invalid_request", "log_id": "log-rv"}},
        {"status": 200, "body": "<html>"},
        {"body": requests.ConnectionError("unreachable")},
    ],
    ids=["503", "refused-in-200", "not-json", "unreachable"],
)
def test_a_failed_revoke_still_unlinks_everything_and_is_logged(
    api, tiktok_http, store_tokens, signed_in, caplog, reply
):
    tiktok_http.post(REVOKE_URL, **reply)
    with caplog.at_level(logging.WARNING, logger="tiktok_mobile_auth"):
        response = disconnect(api, signed_in["jwt"])
    assert response.status_code == 204
    assert_unlinked(api, signed_in)
    assert "TikTok revoke of account" in caplog.text
    assert "act.fresh-token" not in caplog.text


def test_a_refused_refresh_before_revoke_still_unlinks(
    api, tiktok_http, store_tokens, signed_in, monkeypatch
):
    later = records.now() + timedelta(seconds=7200)
    monkeypatch.setattr(records, "now", lambda: later)
    tiktok_http.post(TOKEN_URL, json={"error": "invalid_grant", "log_id": "log-g"})
    assert disconnect(api, signed_in["jwt"]).status_code == 204
    assert not any(call.request.url == REVOKE_URL for call in tiktok_http.calls)
    assert_unlinked(api, signed_in)


def test_without_stored_tokens_tiktok_is_not_called(api, tiktok_http, signed_in):
    calls_before = len(tiktok_http.calls)
    assert disconnect(api, signed_in["jwt"]).status_code == 204
    assert len(tiktok_http.calls) == calls_before
    assert_unlinked(api, signed_in)


def test_the_same_tiktok_account_can_sign_in_again_after_disconnect(api, tiktok_http, signed_in):
    assert disconnect(api, signed_in["jwt"]).status_code == 204
    old_user = User.objects.get(pk=signed_in["user"]["id"])
    assert old_user.email == ""  # the pseudo-email stood for the link only
    tiktok_http.post(TOKEN_URL, json=token_reply(expires_in=7200))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    again = connect_code(api)
    assert again.status_code == 200, again.json()
    assert again.json()["user"]["id"] != old_user.pk  # a new user, linked afresh
    assert again.json()["user"]["email"] == signed_in["user"]["email"]


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
