"""POST /connect with an access token under the default ACCESS_TOKEN_POLICY="minted".

The attacks: a token this server never obtained (minted for another app, or stolen), an
expired one, and one whose user info names another account. Each is refused with 401
``tiktok_token_not_issued_here`` and nothing is created; an unknown token never reaches
TikTok at all. TikTok is the fake (tests/support/tiktok.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import BASE, configure, error_of
from tests.support.tiktok import ALICE, mint
from tiktok_mobile_auth.models import TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()
CREDENTIALS = {"client_key": "test-client-key", "client_secret": "test-client-secret"}


def connect(api, token):
    return api.post(f"{BASE}/connect", {"access_token": token}, format="json")


@pytest.fixture(params=["database", "cache"])
def store(request, settings):
    configure(settings, STORAGE=request.param)
    return request.param


def test_the_callbacks_granted_scopes_reach_connect(client, api, tiktok, settings, store):
    configure(settings, ALLOW_APP_STATE=True)
    granted = "user.info.basic,user.info.profile"
    tiktok.add_user(**{**ALICE, "username": "alice.tt"})
    code = tiktok.code("open-alice", scope=granted)
    back = client.get(f"{BASE}/callback", {"code": code, "scopes": granted})
    token = parse_qs(urlsplit(back["Location"]).query)["access_token"][0]

    response = connect(api, token)
    assert response.status_code == 200, response.json()
    user = response.json()["user"]
    # The configured scopes are basic only: the profile fields come from what was granted.
    assert "username" in tiktok.sent("userinfo")[0]["query"]["fields"]
    assert user["username"] == "alice.tt"
    assert user["tiktok"]["scopes"] == ["user.info.basic", "user.info.profile"]


def test_minted_is_the_default_policy(settings):
    from tiktok_mobile_auth.conf import get_config

    assert get_config().access_token_policy == "minted"


def test_a_token_from_our_own_callback_signs_in(client, api, tiktok, settings, store):
    configure(settings, ALLOW_APP_STATE=True)
    code = tiktok.code("open-alice")
    back = client.get(f"{BASE}/callback", {"code": code, "scopes": "user.info.basic"})
    token = parse_qs(urlsplit(back["Location"]).query)["access_token"][0]

    response = connect(api, token)
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["tiktok"]["open_id"] == "open-alice"


def test_a_token_from_a_code_exchange_is_recorded_too(api, tiktok, store):
    body = {
        "code": tiktok.code("open-alice"),
        "code_verifier": "A" * 43,
        "redirect_uri": "https://app.example.com/tiktok/ios",
    }
    assert api.post(f"{BASE}/connect", body, format="json").status_code == 200
    token = tiktok.sent("userinfo")[0]["headers"]["Authorization"].removeprefix("Bearer ")
    assert connect(api, token).status_code == 200


@pytest.mark.parametrize("token", ["act.minted-for-another-app", "act.stolen", "act.x "[:-1]])
def test_a_token_not_obtained_here_is_refused_before_tiktok_is_called(api, tiktok, store, token):
    mint("act.ours")
    response = connect(api, token)
    assert response.status_code == 401
    error = error_of(response)
    assert error["name"] == "UnauthorizedError"
    assert error["details"]["code"] == "tiktok_token_not_issued_here"
    assert tiktok.sent() == []
    assert User.objects.count() == 0


def test_an_expired_token_is_refused_before_tiktok_is_called(api, tiktok, store, monkeypatch):
    from datetime import timedelta

    from tiktok_mobile_auth.storage import records

    mint("act.ours", expires_in=60)
    real_now = records.now
    monkeypatch.setattr(records, "now", lambda: real_now() + timedelta(seconds=61))
    response = connect(api, "act.ours")
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_token_not_issued_here"
    assert tiktok.sent() == []


def test_user_info_for_another_open_id_is_refused(api, tiktok, store):
    tiktok.add_user(**{**ALICE, "open_id": "open-mallory", "union_id": "union-mallory"})
    token = tiktok.mint_token("open-mallory")
    mint(token, open_id="open-alice")  # recorded here as Alice's
    response = connect(api, token)
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_token_not_issued_here"
    assert User.objects.count() == 0
    assert TikTokAccount.objects.count() == 0


def test_a_revoked_minted_token_is_still_checked_by_tiktok(api, tiktok):
    token = tiktok.mint_token("open-alice")
    mint(token)
    tiktok.state.revoke({**CREDENTIALS, "token": token})  # the user disconnected the app
    response = connect(api, token)
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_token_invalid"


def test_the_any_policy_accepts_any_live_token(api, tiktok, settings):
    configure(settings, ACCESS_TOKEN_POLICY="any")
    assert connect(api, tiktok.mint_token("open-alice")).status_code == 200


def test_an_unknown_policy_value_behaves_as_minted(api, tiktok, settings):
    configure(settings, ACCESS_TOKEN_POLICY="anything")
    response = connect(api, "act.never-seen")
    assert error_of(response)["details"]["code"] == "tiktok_token_not_issued_here"
    assert tiktok.sent() == []


def test_a_short_rate_limit_at_tiktok_is_waited_out_once(api, tiktok, monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr("tiktok_mobile_auth.tiktok.client._sleep", waited.append)
    token = tiktok.mint_token("open-alice")
    mint(token)
    tiktok.fault("userinfo", "http429", retry_after=1)
    assert connect(api, token).status_code == 200
    assert waited == [1]
    assert len(tiktok.sent("userinfo")) == 2
