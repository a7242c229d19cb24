"""POST /connect with the native SDK's code and PKCE verifier: the server exchanges it.

TikTok is the fake: codes are ones it issued, bound to a redirect URI and a PKCE challenge
it checks. One reply it never gives is written out with ``responses``: a token for one
open_id and a profile for another.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import ANDROID, VERIFIER, app_code, configure, connect_code, error_of
from tests.support.replies import TOKEN_URL, USER_INFO_URL, token_reply, user_info_reply
from tests.support.tiktok import ALICE
from tiktok_mobile_auth.models import TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()
CODE = "code*1!"  # real codes carry '*' and '!': sent exactly as received


@pytest.fixture
def code(tiktok) -> str:
    """A code TikTok issued to Alice for the Android redirect URI and VERIFIER's challenge."""
    return issue(tiktok)


def issue(tiktok, scope: str = "user.info.basic") -> str:
    return app_code(tiktok, scope=scope, code=CODE)


def test_code_flow_exchanges_with_our_credentials_and_signs_in(api, tiktok, code):
    response = connect_code(api, code=code)

    assert response.status_code == 200
    assert response.json()["user"]["tiktok"]["scopes"] == ["user.info.basic"]
    assert tiktok.sent_form("token") == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "code": [CODE],
        "grant_type": ["authorization_code"],
        "redirect_uri": [ANDROID],
        "code_verifier": [VERIFIER],
    }
    (profile,) = tiktok.sent("userinfo")
    assert profile["headers"]["Authorization"].startswith("Bearer act.")
    assert TikTokAccount.objects.get().scopes == "user.info.basic"


def test_a_wrong_verifier_is_refused_by_tiktok(api, tiktok, code):
    response = connect_code(api, code=code, code_verifier="B" * 43)
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_code_invalid"
    assert tiktok.sent("userinfo") == []
    assert User.objects.count() == 0


def test_granted_profile_scope_fetches_profile_fields(api, tiktok):
    tiktok.add_user(**{**ALICE, "username": "alice.tt"})
    code = issue(tiktok, scope="user.info.basic,user.info.profile")
    assert connect_code(api, code=code).json()["user"]["username"] == "alice.tt"
    assert "username" in tiktok.sent("userinfo")[0]["query"]["fields"]


@pytest.mark.parametrize("redirect_uri", ["https://evil.example/cb", ANDROID + "/", ""])
def test_redirect_uri_outside_the_allow_list_is_refused_before_tiktok(
    api, tiktok, code, redirect_uri
):
    response = connect_code(api, code=code, redirect_uri=redirect_uri)
    assert response.status_code == 400
    assert tiktok.sent() == []


def test_a_single_configured_redirect_uri_is_the_default(api, tiktok, code, settings):
    configure(settings, APP_REDIRECT_URIS=[ANDROID])
    assert connect_code(api, code=code, redirect_uri=None).status_code == 200
    assert tiktok.sent_form("token")["redirect_uri"] == [ANDROID]


def test_no_allow_list_configured_is_503_naming_the_setting(api, tiktok, code, settings):
    configure(settings, APP_REDIRECT_URIS=[])
    response = connect_code(api, code=code)
    assert response.status_code == 503
    assert "TIKTOK_APP_REDIRECT_URIS" in error_of(response)["message"]
    assert tiktok.sent() == []


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
def test_bad_code_bodies_get_400(api, tiktok, body):
    response = connect_code(api, **body)
    assert response.status_code == 400
    assert error_of(response)["details"]["code"] == "invalid_request"
    assert tiktok.sent() == []


@pytest.mark.parametrize("fault", [None, "error200"], ids=["http400", "http200"])
def test_refused_code_is_401_and_creates_nothing(api, tiktok, fault):
    if fault:
        tiktok.fault("token", fault)  # TikTok's invalid_grant inside an HTTP 200
    response = connect_code(api, code="code-tiktok-never-issued")
    assert response.status_code == 401
    error = error_of(response)
    assert error["details"]["code"] == "tiktok_code_invalid"
    assert error["details"]["tiktok_error"] == "invalid_grant"
    assert User.objects.count() == 0


def test_tiktok_refusing_our_client_credentials_is_a_server_misconfiguration(
    api, tiktok, code, settings
):
    configure(settings, CLIENT_SECRET="not-the-secret-tiktok-knows")
    response = connect_code(api, code=code)
    assert response.status_code == 503
    assert error_of(response)["details"]["code"] == "server_misconfigured"


def test_user_info_for_another_open_id_is_refused(api, tiktok_http):
    """TikTok (and so the fake) never answers a token with another user's profile; the
    plugin must refuse it all the same, so both replies are written out."""
    tiktok_http.post(TOKEN_URL, json=token_reply(open_id="someone-else"))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect_code(api)
    assert response.status_code == 502
    assert error_of(response)["details"]["code"] == "tiktok_identity_mismatch"
    assert User.objects.count() == 0


def test_code_and_verifier_never_reach_the_logs(api, tiktok, caplog):
    caplog.set_level("DEBUG")
    connect_code(api, code="code*never-issued!")  # refused by TikTok, with a log_id
    assert "code*never-issued!" not in caplog.text
    assert VERIFIER not in caplog.text
    assert "fake-log-" in caplog.text
