"""POST /connect with the native SDK's code and PKCE verifier: the server exchanges it."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import ANDROID, VERIFIER, connect_code, error_of
from tests.support.replies import TOKEN_URL, USER_INFO_URL, token_reply, user_info_reply
from tests.support.tiktok import ALICE
from tiktok_mobile_auth.models import TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_code_flow_exchanges_with_our_credentials_and_signs_in(api, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply(scope="user.info.basic"))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect_code(api)

    assert response.status_code == 200
    assert response.json()["user"]["tiktok"]["scopes"] == ["user.info.basic"]
    sent = parse_qs(tiktok_http.calls[0].request.body)
    assert sent == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "code": ["code*1!"],
        "grant_type": ["authorization_code"],
        "redirect_uri": [ANDROID],
        "code_verifier": [VERIFIER],
    }
    assert tiktok_http.calls[1].request.headers["Authorization"] == "Bearer act.fresh-token"
    assert TikTokAccount.objects.get().scopes == "user.info.basic"


def test_granted_profile_scope_fetches_profile_fields(api, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply(scope="user.info.basic,user.info.profile"))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply({**ALICE, "username": "alice.tt"}))
    assert connect_code(api).json()["user"]["username"] == "alice.tt"
    assert "username" in tiktok_http.calls[1].request.params["fields"]


@pytest.mark.parametrize("redirect_uri", ["https://evil.example/cb", ANDROID + "/", ""])
def test_redirect_uri_outside_the_allow_list_is_refused_before_tiktok(
    api, tiktok_http, redirect_uri
):
    response = connect_code(api, redirect_uri=redirect_uri)
    assert response.status_code == 400
    assert len(tiktok_http.calls) == 0


def test_a_single_configured_redirect_uri_is_the_default(api, tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "APP_REDIRECT_URIS": [ANDROID]}
    tiktok_http.post(TOKEN_URL, json=token_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    assert connect_code(api, redirect_uri=None).status_code == 200
    assert parse_qs(tiktok_http.calls[0].request.body)["redirect_uri"] == [ANDROID]


def test_no_allow_list_configured_is_503_naming_the_setting(api, tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "APP_REDIRECT_URIS": []}
    response = connect_code(api)
    assert response.status_code == 503
    assert "TIKTOK_APP_REDIRECT_URIS" in error_of(response)["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"code_verifier": "short"},
        {"code_verifier": "A" * 129},
        {"code_verifier": "A" * 31 + "!"},
        {"code_verifier": None},
        {"code": 5},
        {"access_token": "act.also"},
    ],
)
def test_bad_code_bodies_get_400(api, tiktok_http, body):
    response = connect_code(api, **body)
    assert response.status_code == 400
    assert error_of(response)["details"]["code"] == "invalid_request"
    assert len(tiktok_http.calls) == 0


@pytest.mark.parametrize("status", [400, 200])
def test_refused_code_is_401_and_creates_nothing(api, tiktok_http, status):
    tiktok_http.post(
        TOKEN_URL,
        status=status,
        json={
            "error": "invalid_grant",
            "error_description": "Authorization code is expired.",
            "log_id": "L",
        },
    )
    response = connect_code(api)
    assert response.status_code == 401
    error = error_of(response)
    assert error["details"]["code"] == "tiktok_code_invalid"
    assert error["details"]["tiktok_error"] == "invalid_grant"
    assert User.objects.count() == 0


def test_tiktok_refusing_our_client_credentials_is_a_server_misconfiguration(api, tiktok_http):
    tiktok_http.post(TOKEN_URL, status=400, json={"error": "invalid_client", "log_id": "L"})
    response = connect_code(api)
    assert response.status_code == 503
    assert error_of(response)["details"]["code"] == "server_misconfigured"


def test_user_info_for_another_open_id_is_refused(api, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply(open_id="someone-else"))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect_code(api)
    assert response.status_code == 502
    assert error_of(response)["details"]["code"] == "tiktok_identity_mismatch"
    assert User.objects.count() == 0


def test_code_and_verifier_never_reach_the_logs(api, tiktok_http, caplog):
    tiktok_http.post(TOKEN_URL, status=400, json={"error": "invalid_grant", "log_id": "LOG-7"})
    caplog.set_level("DEBUG")
    connect_code(api)
    assert "code*1!" not in caplog.text
    assert VERIFIER not in caplog.text
    assert "LOG-7" in caplog.text
