"""POST /connect with an access token under the default ACCESS_TOKEN_POLICY="minted".

The attacks: a token this server never obtained (minted for another app, or stolen), an
expired one, and one whose user info names another account. Each is refused with 401
``tiktok_token_not_issued_here`` and nothing is created; an unknown token never reaches
TikTok at all.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import BASE, configure, error_of
from tests.support.replies import TOKEN_URL, USER_INFO_URL, token_reply, user_info_reply
from tests.support.tiktok import ALICE, mint
from tiktok_mobile_auth.models import TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()


def connect(api, token):
    return api.post(f"{BASE}/connect", {"access_token": token}, format="json")


@pytest.fixture(params=["database", "cache"])
def store(request, settings):
    configure(settings, STORAGE=request.param)
    return request.param


def test_the_callbacks_granted_scopes_reach_connect(client, api, tiktok_http, settings, store):
    configure(settings, ALLOW_APP_STATE=True)
    granted = "user.info.basic,user.info.profile"
    tiktok_http.post(TOKEN_URL, json=token_reply(access_token="act.scoped", scope=granted))
    client.get(f"{BASE}/callback", {"code": "c", "scopes": granted})
    tiktok_http.get(USER_INFO_URL, json=user_info_reply({**ALICE, "username": "alice.tt"}))

    response = connect(api, "act.scoped")
    assert response.status_code == 200, response.json()
    user = response.json()["user"]
    # The configured scopes are basic only: the profile fields come from what was granted.
    assert "username" in tiktok_http.calls[1].request.params["fields"]
    assert user["username"] == "alice.tt"
    assert user["tiktok"]["scopes"] == ["user.info.basic", "user.info.profile"]


def test_minted_is_the_default_policy(settings):
    from tiktok_mobile_auth.conf import get_config

    assert get_config().access_token_policy == "minted"


def test_a_token_from_our_own_callback_signs_in(client, api, tiktok_http, settings, store):
    configure(settings, ALLOW_APP_STATE=True)
    tiktok_http.post(TOKEN_URL, json=token_reply(access_token="act.from-callback"))
    back = client.get(f"{BASE}/callback", {"code": "c", "scopes": "user.info.basic"})
    token = parse_qs(urlsplit(back["Location"]).query)["access_token"][0]
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())

    response = connect(api, token)
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["tiktok"]["open_id"] == "open-alice"


def test_a_token_from_a_code_exchange_is_recorded_too(api, tiktok_http, store):
    tiktok_http.post(TOKEN_URL, json=token_reply(access_token="act.from-code"))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    body = {
        "code": "c",
        "code_verifier": "A" * 43,
        "redirect_uri": "https://app.example.com/tiktok/ios",
    }
    assert api.post(f"{BASE}/connect", body, format="json").status_code == 200
    assert connect(api, "act.from-code").status_code == 200


@pytest.mark.parametrize("token", ["act.minted-for-another-app", "act.stolen", "act.x "[:-1]])
def test_a_token_not_obtained_here_is_refused_before_tiktok_is_called(
    api, tiktok_http, store, token
):
    mint("act.ours")
    response = connect(api, token)
    assert response.status_code == 401
    error = error_of(response)
    assert error["name"] == "UnauthorizedError"
    assert error["details"]["code"] == "tiktok_token_not_issued_here"
    assert not tiktok_http.calls
    assert User.objects.count() == 0


def test_an_expired_token_is_refused_before_tiktok_is_called(api, tiktok_http, store, monkeypatch):
    from datetime import timedelta

    from tiktok_mobile_auth.storage import records

    mint("act.ours", expires_in=60)
    real_now = records.now
    monkeypatch.setattr(records, "now", lambda: real_now() + timedelta(seconds=61))
    response = connect(api, "act.ours")
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_token_not_issued_here"
    assert not tiktok_http.calls


def test_user_info_for_another_open_id_is_refused(api, tiktok_http, store):
    mint("act.ours", open_id="open-alice")
    tiktok_http.get(USER_INFO_URL, json=user_info_reply({**ALICE, "open_id": "open-mallory"}))
    response = connect(api, "act.ours")
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_token_not_issued_here"
    assert User.objects.count() == 0
    assert TikTokAccount.objects.count() == 0


def test_a_revoked_minted_token_is_still_checked_by_tiktok(api, tiktok_http):
    mint("act.ours")
    tiktok_http.get(USER_INFO_URL, status=401, json=user_info_reply(code="access_token_invalid"))
    response = connect(api, "act.ours")
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_token_invalid"


def test_the_any_policy_accepts_any_live_token(api, tiktok_http, settings):
    configure(settings, ACCESS_TOKEN_POLICY="any")
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    assert connect(api, "act.never-seen").status_code == 200


def test_an_unknown_policy_value_behaves_as_minted(api, tiktok_http, settings):
    configure(settings, ACCESS_TOKEN_POLICY="anything")
    response = connect(api, "act.never-seen")
    assert error_of(response)["details"]["code"] == "tiktok_token_not_issued_here"
    assert not tiktok_http.calls


def test_a_short_rate_limit_at_tiktok_is_waited_out_once(api, tiktok_http, monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr("tiktok_mobile_auth.tiktok.client._sleep", waited.append)
    mint("act.ours")
    limited = user_info_reply(code="rate_limit_exceeded")
    tiktok_http.get(USER_INFO_URL, status=429, json=limited, headers={"Retry-After": "1"})
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    assert connect(api, "act.ours").status_code == 200
    assert waited == [1]
