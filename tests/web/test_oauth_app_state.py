"""GET /callback in the Strapi-compatible mode (ALLOW_APP_STATE): the app started the TikTok
flow with a state of its own, which comes back unchanged. TikTok's redirect in, a redirect
to the app out, success or failure. The server-started flow (GET authorize, then a callback
that only accepts our state) is tested in test_oauth.py.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

import pytest
import requests
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


def sent_form(tiktok_http) -> dict[str, list[str]]:
    assert len(tiktok_http.calls) == 1
    return parse_qs(tiktok_http.calls[0].request.body, strict_parsing=True)


# -- success --------------------------------------------------------------------------


def test_success_redirects_to_the_app_with_the_token_and_state(browser, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    response = callback(browser)

    assert app_params(response) == {"access_token": "act.fresh-token", "state": "s1"}
    assert "no-store" in [v.strip() for v in response["Cache-Control"].split(",")]
    assert response["Referrer-Policy"] == "no-referrer"


def test_tiktok_is_sent_the_callback_url_and_credentials(browser, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    callback(browser)

    assert sent_form(tiktok_http) == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "code": ["code-1"],
        "grant_type": ["authorization_code"],
        "redirect_uri": [CALLBACK_URL],
    }


@pytest.mark.parametrize("state", ["a&b=c", "two words", "x+y%20z#f?g", "üñí✓ 東京", "/=&;"])
def test_state_comes_back_unchanged(browser, tiktok_http, state):
    tiktok_http.post(TOKEN_URL, json=token_reply(access_token="act.a+b/c="))
    response = browser.get(
        f"{BASE}/callback", {"code": "c", "scopes": "user.info.basic", "state": state}
    )
    assert app_params(response) == {"access_token": "act.a+b/c=", "state": state}


def test_no_state_sent_means_no_state_returned(browser, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    response = callback(browser, f"code=c&{GRANTED}")
    assert app_params(response) == {"access_token": "act.fresh-token"}


def test_the_app_links_own_query_is_kept(browser, tiktok_http, settings):
    configure(settings, REDIRECT_APP_URL=f"{APP}?a=1")
    tiktok_http.post(TOKEN_URL, json=token_reply())
    response = callback(browser)

    assert response["Location"].startswith(f"{APP}?a=1&")
    params = app_params(response)
    assert params == {"a": "1", "access_token": "act.fresh-token", "state": "s1"}


def test_the_app_links_fragment_is_kept_after_the_query(browser, tiktok_http, settings):
    configure(settings, REDIRECT_APP_URL=f"{APP}#done")
    tiktok_http.post(TOKEN_URL, json=token_reply())
    location = callback(browser)["Location"]

    assert location == f"{APP}?access_token=act.fresh-token&state=s1#done"


def test_a_custom_scheme_app_link_works_when_allowed(browser, tiktok_http, settings):
    configure(settings, REDIRECT_APP_URL="myapp://auth", ALLOW_CUSTOM_SCHEME=True)
    tiktok_http.post(TOKEN_URL, json=token_reply())
    response = callback(browser)
    assert app_params(response, app="myapp://auth") == {
        "access_token": "act.fresh-token",
        "state": "s1",
    }


def test_a_custom_scheme_app_link_is_refused_unless_allowed(browser, tiktok_http, settings):
    configure(settings, REDIRECT_APP_URL="myapp://auth")
    response = callback(browser)
    assert response.status_code == 503
    error = error_of(response)
    assert error["details"]["code"] == "server_misconfigured"
    assert "TIKTOK_ALLOW_CUSTOM_SCHEME" in error["message"]
    assert not tiktok_http.calls


def test_the_code_is_decoded_exactly_once(browser, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    callback(browser, f"code=a%252Ab&{GRANTED}")
    assert sent_form(tiktok_http)["code"] == ["a%2Ab"]


def test_a_bare_percent_in_the_code_does_not_crash(browser, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    response = callback(browser, f"code=a%b&{GRANTED}")
    assert sent_form(tiktok_http)["code"] == ["a%b"]
    assert app_params(response)["access_token"] == "act.fresh-token"


# -- failures: every one goes back to the app -----------------------------------------


def test_tiktoks_access_denied_is_passed_to_the_app(browser, tiktok_http):
    query = "error=access_denied&error_description=User%20cancelled&state=s1"
    response = callback(browser, query)

    assert app_params(response) == {
        "error": "access_denied",
        "error_description": "User cancelled",
        "state": "s1",
    }
    assert not tiktok_http.calls


@pytest.mark.parametrize("value", ["invalid_scope", "server_error", "temporarily_unavailable"])
def test_other_tiktok_error_codes_are_passed_through(browser, tiktok_http, value):
    response = browser.get(f"{BASE}/callback", {"error": value})
    params = app_params(response)
    assert params["error"] == value
    assert params["error_description"] == "TikTok authorization failed."
    assert "state" not in params


@pytest.mark.parametrize("value", ["<script>", "Access Denied", "x" * 65, "1abc", "ünï"])
def test_an_error_that_is_not_a_code_becomes_access_denied(browser, tiktok_http, value):
    response = browser.get(f"{BASE}/callback", {"error": value, "state": "s1"})
    params = app_params(response)
    assert params["error"] == "access_denied"
    assert params["error_description"]
    assert params["state"] == "s1"


@pytest.mark.parametrize("query", [f"{GRANTED}&state=s1", f"code=&{GRANTED}&state=s1"])
def test_no_code_gives_missing_code(browser, tiktok_http, query):
    params = app_params(callback(browser, query))
    assert params["error"] == "missing_code"
    assert params["error_description"]
    assert params["state"] == "s1"
    assert not tiktok_http.calls


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
def test_without_the_basic_scope_the_code_is_not_exchanged(browser, tiktok_http, scopes):
    params = app_params(callback(browser, f"code=c&state=s1{scopes}"))
    assert params["error"] == "missing_scope"
    assert "user.info.basic" in params["error_description"]
    assert params["state"] == "s1"
    assert not tiktok_http.calls


def test_the_basic_scope_among_others_is_enough(browser, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    response = callback(browser, "code=c&scopes=user.info.profile,user.info.basic")
    assert "access_token" in app_params(response)


REFUSED = {"error": "invalid_grant", "error_description": "Code expired.", "log_id": "log-77"}


@pytest.mark.parametrize("status", [400, 200])
def test_a_refused_code_gives_invalid_grant_and_no_token(browser, tiktok_http, status):
    tiktok_http.post(TOKEN_URL, status=status, json=REFUSED)
    response = callback(browser)

    assert app_params(response) == {
        "error": "invalid_grant",
        "error_description": "Code expired.",
        "state": "s1",
    }
    assert "access_token" not in response["Location"]


@pytest.mark.parametrize(
    "reply",
    [
        {"body": requests.ReadTimeout("slow")},
        {"body": requests.ConnectionError("refused")},
        {"status": 500, "json": {"error": "server_error"}},
        {"status": 429, "body": ""},
        {"status": 200, "body": "<html>maintenance</html>"},
        {"status": 200, "json": {"token_type": "Bearer"}},
    ],
)
def test_tiktok_faults_give_tiktok_unavailable(browser, tiktok_http, reply):
    tiktok_http.post(TOKEN_URL, **reply)
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
    browser, tiktok_http, settings, key, env
):
    configure(settings, **{key: ""})
    params = app_params(callback(browser))

    assert params["error"] == "server_misconfigured"
    assert env in params["error_description"]
    assert params["state"] == "s1"
    assert not tiktok_http.calls


# -- answers that cannot go to the app ------------------------------------------------


def test_no_app_link_gives_a_503_envelope_naming_the_setting(browser, tiktok_http, settings):
    configure(settings, REDIRECT_APP_URL="")
    response = callback(browser)

    assert response.status_code == 503
    assert "Location" not in response
    error = error_of(response)
    assert error["details"]["code"] == "server_misconfigured"
    assert "TIKTOK_REDIRECT_APP_URL" in error["message"]
    assert not tiktok_http.calls


def test_disabled_plugin_gives_a_404_envelope(browser, tiktok_http, settings):
    configure(settings, ENABLED=False)
    response = callback(browser)
    assert response.status_code == 404
    assert error_of(response)["details"]["code"] == "plugin_disabled"
    assert not tiktok_http.calls


@pytest.mark.parametrize("method", ["post", "put", "delete", "head"])
def test_other_methods_get_a_405_and_never_spend_the_code(browser, tiktok_http, method):
    response = getattr(browser, method)(f"{BASE}/callback?code=c&{GRANTED}")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    if method == "head":
        assert not tiktok_http.calls
        return
    error = error_of(response)
    assert error["name"] == "MethodNotAllowedError"
    assert error["details"]["code"] == "method_not_allowed"
    assert not tiktok_http.calls


# -- logs -----------------------------------------------------------------------------


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="tiktok_mobile_auth")
    return caplog


def test_success_logs_neither_the_code_nor_the_token(browser, tiktok_http, logs):
    tiktok_http.post(TOKEN_URL, json=token_reply(access_token="act.SECRET-TOKEN"))
    response = callback(browser, f"code=CODE-SECRET&{GRANTED}")

    assert app_params(response)["access_token"] == "act.SECRET-TOKEN"
    assert logs.records
    assert "act.SECRET-TOKEN" not in logs.text
    assert "CODE-SECRET" not in logs.text


def test_a_refused_code_logs_tiktoks_log_id_but_not_the_code(browser, tiktok_http, logs):
    tiktok_http.post(TOKEN_URL, status=400, json=REFUSED)
    callback(browser, f"code=CODE-SECRET&{GRANTED}")

    assert "log-77" in logs.text
    assert "CODE-SECRET" not in logs.text
    assert "test-client-secret" not in logs.text
