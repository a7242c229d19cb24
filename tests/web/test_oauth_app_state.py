"""GET /callback in the Strapi-compatible mode (ALLOW_APP_STATE): the app started the TikTok
flow with a state of its own, which comes back unchanged. TikTok's redirect in, a redirect
to the app out, success or failure. The server-started flow (GET authorize, then a callback
that only accepts our state) is tested in test_oauth.py.

TikTok is the fake: the codes in these callbacks are ones it issued (their values chosen
here, so a query can spell them), and its faults stand for its outages. One test keeps a
written-out reply: an access token holding ``+``, ``/`` and ``=``, which the fake never
issues, to pin how the app link encodes it.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from tests.support.api import BASE, configure, error_of
from tests.support.replies import TOKEN_URL, token_reply
from tests.support.web import APP, CALLBACK_URL, app_params

GRANTED = "scopes=user.info.basic"

# The callback records the hash of every token it obtains (minted.py), in the database.
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _app_state_allowed(settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ALLOW_APP_STATE": True}


@pytest.fixture
def browser() -> Client:
    # A real browser gets CSRF checks; the callback must not depend on their absence.
    return Client(enforce_csrf_checks=True)


def callback(browser, query=f"code=code-1&{GRANTED}&state=s1"):
    return browser.get(f"{BASE}/callback?{query}")


@pytest.fixture
def code(tiktok) -> str:
    """TikTok's code for Alice, "code-1" (the default query's), not bound to a redirect URI."""
    return tiktok.code("open-alice", code="code-1")


# -- success --------------------------------------------------------------------------


def test_success_redirects_to_the_app_with_the_token_and_state(browser, tiktok, code):
    response = callback(browser)

    params = app_params(response)
    assert set(params) == {"access_token", "state"}
    assert params["state"] == "s1"
    assert tiktok.holder_of(params["access_token"]) == "open-alice"
    assert "no-store" in [v.strip() for v in response["Cache-Control"].split(",")]
    assert response["Referrer-Policy"] == "no-referrer"


def test_tiktok_is_sent_the_callback_url_and_credentials(browser, tiktok, code):
    callback(browser)

    assert tiktok.sent_form("token") == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "code": ["code-1"],
        "grant_type": ["authorization_code"],
        "redirect_uri": [CALLBACK_URL],
    }


@pytest.mark.parametrize("state", ["a&b=c", "two words", "x+y%20z#f?g", "üñí✓ 東京", "/=&;"])
def test_state_comes_back_unchanged(browser, tiktok_http, state):
    """Written out: a token with '+', '/' and '=' (the fake's are URL-safe)."""
    tiktok_http.post(TOKEN_URL, json=token_reply(access_token="act.a+b/c="))
    response = browser.get(
        f"{BASE}/callback", {"code": "c", "scopes": "user.info.basic", "state": state}
    )
    assert app_params(response) == {"access_token": "act.a+b/c=", "state": state}


def test_no_state_sent_means_no_state_returned(browser, tiktok, code):
    params = app_params(callback(browser, f"code=code-1&{GRANTED}"))
    assert set(params) == {"access_token"}
    assert tiktok.holder_of(params["access_token"]) == "open-alice"


def test_the_app_links_own_query_is_kept(browser, tiktok, code, settings):
    configure(settings, REDIRECT_APP_URL=f"{APP}?a=1")
    response = callback(browser)

    assert response["Location"].startswith(f"{APP}?a=1&")
    params = app_params(response)
    assert set(params) == {"a", "access_token", "state"}
    assert (params["a"], params["state"]) == ("1", "s1")


def test_the_app_links_fragment_is_kept_after_the_query(browser, tiktok, code, settings):
    configure(settings, REDIRECT_APP_URL=f"{APP}#done")
    location = callback(browser)["Location"]

    assert re.fullmatch(re.escape(APP) + r"\?access_token=act\.[\w-]+&state=s1#done", location)


def test_a_custom_scheme_app_link_works_when_allowed(browser, tiktok, code, settings):
    configure(settings, REDIRECT_APP_URL="myapp://auth", ALLOW_CUSTOM_SCHEME=True)
    params = app_params(callback(browser), app="myapp://auth")
    assert set(params) == {"access_token", "state"}
    assert tiktok.holder_of(params["access_token"]) == "open-alice"


def test_a_custom_scheme_app_link_is_refused_unless_allowed(browser, tiktok, settings):
    configure(settings, REDIRECT_APP_URL="myapp://auth")
    response = callback(browser)
    assert response.status_code == 503
    error = error_of(response)
    assert error["details"]["code"] == "server_misconfigured"
    assert "TIKTOK_ALLOW_CUSTOM_SCHEME" in error["message"]
    assert tiktok.sent() == []


def test_the_code_is_decoded_exactly_once(browser, tiktok):
    tiktok.code("open-alice", code="a%2Ab")
    response = callback(browser, f"code=a%252Ab&{GRANTED}")
    assert tiktok.sent_form("token")["code"] == ["a%2Ab"]
    assert (
        tiktok.holder_of(app_params(response)["access_token"]) == "open-alice"
    )  # TikTok knew the code as sent


def test_a_bare_percent_in_the_code_does_not_crash(browser, tiktok):
    tiktok.code("open-alice", code="a%b")
    response = callback(browser, f"code=a%b&{GRANTED}")
    assert tiktok.sent_form("token")["code"] == ["a%b"]
    assert tiktok.holder_of(app_params(response)["access_token"]) == "open-alice"


# -- failures: every one goes back to the app -----------------------------------------


def test_tiktoks_access_denied_is_passed_to_the_app(browser, tiktok):
    query = "error=access_denied&error_description=User%20cancelled&state=s1"
    response = callback(browser, query)

    assert app_params(response) == {
        "error": "access_denied",
        "error_description": "User cancelled",
        "state": "s1",
    }
    assert tiktok.sent() == []


@pytest.mark.parametrize("value", ["invalid_scope", "server_error", "temporarily_unavailable"])
def test_other_tiktok_error_codes_are_passed_through(browser, tiktok, value):
    response = browser.get(f"{BASE}/callback", {"error": value})
    params = app_params(response)
    assert params["error"] == value
    assert params["error_description"] == "TikTok authorization failed."
    assert "state" not in params


@pytest.mark.parametrize("value", ["<script>", "Access Denied", "x" * 65, "1abc", "ünï"])
def test_an_error_that_is_not_a_code_becomes_access_denied(browser, tiktok, value):
    response = browser.get(f"{BASE}/callback", {"error": value, "state": "s1"})
    params = app_params(response)
    assert params["error"] == "access_denied"
    assert params["error_description"]
    assert params["state"] == "s1"


@pytest.mark.parametrize("query", [f"{GRANTED}&state=s1", f"code=&{GRANTED}&state=s1"])
def test_no_code_gives_missing_code(browser, tiktok, query):
    params = app_params(callback(browser, query))
    assert params["error"] == "missing_code"
    assert params["error_description"]
    assert params["state"] == "s1"
    assert tiktok.sent() == []


@pytest.mark.parametrize(
    "scopes",
    [
        "",
        "&scopes=",
        "&scopes=xxuser.info.basicxx",
        "&scopes=user.info.profile",
        "&scopes=user.info.basic2,video.list",
    ],
)
def test_without_the_basic_scope_the_code_is_not_exchanged(browser, tiktok, scopes):
    params = app_params(callback(browser, f"code=c&state=s1{scopes}"))
    assert params["error"] == "missing_scope"
    assert "user.info.basic" in params["error_description"]
    assert params["state"] == "s1"
    assert tiktok.sent() == []


def test_the_basic_scope_among_others_is_enough(browser, tiktok, code):
    response = callback(browser, "code=code-1&scopes=user.info.profile,user.info.basic")
    assert tiktok.holder_of(app_params(response)["access_token"]) == "open-alice"


@pytest.mark.parametrize(
    ("fault", "description"),
    [
        (None, "Authorization code is invalid."),  # a code TikTok never issued: HTTP 400
        ("error200", "Authorization code is expired."),  # the refusal inside an HTTP 200
    ],
)
def test_a_refused_code_gives_invalid_grant_and_no_token(browser, tiktok, fault, description):
    if fault:
        tiktok.code("open-alice", code="code-1")
        tiktok.fault("token", fault)
    response = callback(browser)

    assert app_params(response) == {
        "error": "invalid_grant",
        "error_description": description,  # TikTok's own words
        "state": "s1",
    }
    assert "access_token" not in response["Location"]


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "timeout", "seconds": 5},
        {"kind": "close"},
        {"kind": "http500"},
        {"kind": "http429"},
        {"kind": "nonjson"},
        {"kind": "wrong_shape", "body": {"token_type": "Bearer"}},
    ],
    ids=lambda fault: fault["kind"],
)
def test_tiktok_faults_give_tiktok_unavailable(browser, tiktok, code, settings, fault):
    configure(settings, TIMEOUT=(1.0, 0.2))
    tiktok.fault("token", **fault)
    response = callback(browser)

    params = app_params(response)
    assert params["error"] == "tiktok_unavailable"
    assert params["error_description"]
    assert params["state"] == "s1"
    assert "access_token" not in params


@pytest.mark.parametrize(
    ("key", "env"),
    [
        ("CLIENT_KEY", "TIKTOK_CLIENT_KEY"),
        ("CLIENT_SECRET", "TIKTOK_CLIENT_SECRET"),
        ("CALLBACK_URL", "TIKTOK_CALLBACK_URL"),
    ],
)
def test_missing_server_settings_are_named_and_tiktok_is_not_called(
    browser, tiktok, settings, key, env
):
    configure(settings, **{key: ""})
    params = app_params(callback(browser))

    assert params["error"] == "server_misconfigured"
    assert env in params["error_description"]
    assert params["state"] == "s1"
    assert tiktok.sent() == []


# -- answers that cannot go to the app ------------------------------------------------


def test_no_app_link_gives_a_503_envelope_naming_the_setting(browser, tiktok, settings):
    configure(settings, REDIRECT_APP_URL="")
    response = callback(browser)

    assert response.status_code == 503
    assert "Location" not in response
    error = error_of(response)
    assert error["details"]["code"] == "server_misconfigured"
    assert "TIKTOK_REDIRECT_APP_URL" in error["message"]
    assert tiktok.sent() == []


def test_disabled_plugin_gives_a_404_envelope(browser, tiktok, settings):
    configure(settings, ENABLED=False)
    response = callback(browser)
    assert response.status_code == 404
    assert error_of(response)["details"]["code"] == "plugin_disabled"
    assert tiktok.sent() == []


@pytest.mark.parametrize("method", ["post", "put", "delete", "head"])
def test_other_methods_get_a_405_and_never_spend_the_code(browser, tiktok, method):
    response = getattr(browser, method)(f"{BASE}/callback?code=c&{GRANTED}")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    if method == "head":
        assert tiktok.sent() == []
        return
    error = error_of(response)
    assert error["name"] == "MethodNotAllowedError"
    assert error["details"]["code"] == "method_not_allowed"
    assert tiktok.sent() == []


# -- logs -----------------------------------------------------------------------------


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="tiktok_mobile_auth")
    return caplog


def test_success_logs_neither_the_code_nor_the_token(browser, tiktok, logs):
    tiktok.code("open-alice", code="CODE-SECRET")
    response = callback(browser, f"code=CODE-SECRET&{GRANTED}")

    access_token = app_params(response)["access_token"]
    assert logs.records
    assert access_token not in logs.text
    assert "CODE-SECRET" not in logs.text


def test_a_refused_code_logs_tiktoks_log_id_but_not_the_code(browser, tiktok, logs):
    callback(browser, f"code=CODE-SECRET&{GRANTED}")  # TikTok never issued it

    assert "fake-log-" in logs.text
    assert "CODE-SECRET" not in logs.text
    assert "test-client-secret" not in logs.text
