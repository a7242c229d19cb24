"""The server-started flow: GET authorize, TikTok, then GET callback with OUR state only.

The attacks: a forged, missing, replayed or expired state, and two callbacks racing with one
state. Each must end in ``error=invalid_state`` at the app with nothing exchanged.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.support.api import BASE, configure, error_of
from tests.support.concurrency import run_at_once
from tests.support.web import CALLBACK_URL, app_params
from tiktok_mobile_auth.models import LoginAttempt
from tiktok_mobile_auth.storage import crypto

pytestmark = pytest.mark.django_db
AUTH = "https://www.tiktok.test/v2/auth/authorize/"


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def authorize(browser, **params):
    return browser.get(f"{BASE}/authorize", params)


def started(browser, app_state: str | None = "app-1") -> dict[str, str]:
    """Start a sign-in; return the query we sent TikTok (after checking it goes there)."""
    response = authorize(browser, **({"state": app_state} if app_state is not None else {}))
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert location.path == "/v2/auth/authorize/"
    return {k: v[0] for k, v in parse_qs(location.query, strict_parsing=True).items()}


def tab_of(browser: Client) -> Client:
    """Another client with ``browser``'s cookies: the same browser, a concurrent request."""
    tab = Client()
    tab.cookies = copy.deepcopy(browser.cookies)
    return tab


def consent(tiktok, sent: dict[str, str]) -> str:
    """The code TikTok gives when Alice consents on the page ``sent`` opened: bound to its
    redirect URI and PKCE challenge (TikTok checks both at the exchange)."""
    binding = {"redirect_uri": sent["redirect_uri"], "code_challenge": sent["code_challenge"]}
    return tiktok.code("open-alice", **binding)


def come_back(browser, state, **params):
    """TikTok's redirect to our callback."""
    query = {"code": "code-1", "scopes": "user.info.basic", **params}
    if state is not None:
        query["state"] = state
    return browser.get(f"{BASE}/callback", query)


@pytest.fixture
def clock(monkeypatch):
    """Move the clock of the login attempts: ``clock.advance(seconds)``."""
    from tiktok_mobile_auth.storage import records

    real_now = records.now

    class Clock:
        offset = timedelta()

        def advance(self, seconds: float) -> None:
            self.offset += timedelta(seconds=seconds)

    moved = Clock()
    monkeypatch.setattr(records, "now", lambda: real_now() + moved.offset)
    return moved


@pytest.fixture(params=["database", "cache"])
def store(request, settings):
    """Run a test against both stores of login attempts."""
    configure(settings, STORAGE=request.param)
    return request.param


# -- authorize ------------------------------------------------------------------------


def test_authorize_redirects_to_tiktok_with_our_state_and_a_hex_challenge(browser, store):
    assert authorize(browser, state="app-1")["Location"].startswith(AUTH + "?")
    sent = started(browser, "app-1")
    assert sent["client_key"] == "test-client-key"
    assert sent["scope"] == "user.info.basic"
    assert sent["response_type"] == "code"
    assert sent["redirect_uri"] == CALLBACK_URL
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["code_challenge"]) == 64
    assert int(sent["code_challenge"], 16) >= 0  # lower-case hex, not base64url
    assert sent["code_challenge"] == sent["code_challenge"].lower()
    assert len(sent["state"]) == 43  # secrets.token_urlsafe(32)
    assert "app-1" not in sent["state"]
    assert set(sent) == {
        "client_key",
        "scope",
        "response_type",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
    }


def test_every_configured_scope_is_requested_comma_separated(browser, settings):
    configure(settings, SCOPES=["user.info.basic", "user.info.profile"])
    assert started(browser)["scope"] == "user.info.basic,user.info.profile"


def test_each_attempt_gets_its_own_state_and_challenge(browser):
    first, second = started(browser), started(browser)
    assert first["state"] != second["state"]
    assert first["code_challenge"] != second["code_challenge"]


def test_the_database_keeps_a_hash_of_our_state_and_an_encrypted_verifier(browser, settings):
    configure(settings, STORAGE="database")
    sent = started(browser, "app-1")
    row = LoginAttempt.objects.get()
    assert row.state_hash == hashlib.sha256(sent["state"].encode()).hexdigest()
    stored = {row.state_hash, row.app_state, row.code_verifier_encrypted}
    assert sent["state"] not in stored
    assert row.app_state == "app-1"
    # A dump of the table holds no usable verifier: only its encryption.
    verifier = crypto.decrypt(row.code_verifier_encrypted)
    assert verifier not in row.code_verifier_encrypted
    assert len(verifier) == 64
    assert set(verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    assert hashlib.sha256(verifier.encode()).hexdigest() == sent["code_challenge"]
    assert 599 <= (row.expires_at - row.created_at).total_seconds() <= 601
    assert row.used_at is None


@pytest.fixture
def in_database(settings):
    """Attempts in the database, where a test can count them (even when the cache is Redis)."""
    configure(settings, STORAGE="database")


@pytest.mark.parametrize("state", ["x" * 513, "a\x00b", "line\nbreak"])
def test_an_unusable_app_state_is_refused_before_anything_is_stored(browser, in_database, state):
    params = app_params(authorize(browser, state=state))
    assert params["error"] == "invalid_request"
    assert "state" not in params
    assert LoginAttempt.objects.count() == 0


@pytest.mark.parametrize("state", ["x" * 512, "üñí✓ 東京 &=?#", "s"])
def test_any_printable_app_state_up_to_512_characters_is_taken(browser, in_database, state):
    started(browser, state)
    assert LoginAttempt.objects.get().app_state == state


def test_no_app_link_gives_a_503_envelope(browser, settings):
    configure(settings, REDIRECT_APP_URL="")
    response = authorize(browser, state="a")
    assert response.status_code == 503
    assert "TIKTOK_REDIRECT_APP_URL" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("key", "env"),
    [
        ("CLIENT_KEY", "TIKTOK_CLIENT_KEY"),
        ("CLIENT_SECRET", "TIKTOK_CLIENT_SECRET"),
        ("CALLBACK_URL", "TIKTOK_CALLBACK_URL"),
    ],
)
def test_missing_settings_go_back_to_the_app_named(browser, settings, in_database, key, env):
    configure(settings, **{key: ""})
    params = app_params(authorize(browser, state="a"))
    assert params["error"] == "server_misconfigured"
    assert env in params["error_description"]
    assert params["state"] == "a"
    assert LoginAttempt.objects.count() == 0


def test_disabled_or_wrong_method(browser, settings):
    assert browser.post(f"{BASE}/authorize").status_code == 405
    configure(settings, ENABLED=False)
    assert error_of(authorize(browser))["details"]["code"] == "plugin_disabled"


# -- callback: our state only ---------------------------------------------------------


def test_the_callback_sends_the_verifier_and_gives_the_app_its_own_state(browser, tiktok, store):
    sent = started(browser, "app state & more")
    response = come_back(browser, sent["state"], code=consent(tiktok, sent))

    params = app_params(response)
    assert set(params) == {"access_token", "state"}
    assert params["state"] == "app state & more"
    assert tiktok.holder_of(params["access_token"]) == "open-alice"
    form = tiktok.sent_form("token")
    assert hashlib.sha256(form["code_verifier"][0].encode()).hexdigest() == sent["code_challenge"]
    assert form["redirect_uri"] == [CALLBACK_URL]


def test_without_an_app_state_none_is_returned(browser, tiktok):
    sent = started(browser, app_state=None)
    params = app_params(come_back(browser, sent["state"], code=consent(tiktok, sent)))
    assert set(params) == {"access_token"}
    assert tiktok.holder_of(params["access_token"]) == "open-alice"


def test_a_replayed_state_is_refused_and_nothing_is_exchanged_again(browser, tiktok, store):
    sent = started(browser)
    assert "access_token" in app_params(
        come_back(browser, sent["state"], code=consent(tiktok, sent))
    )

    replay = app_params(come_back(browser, sent["state"], code=consent(tiktok, sent)))
    assert replay["error"] == "invalid_state"
    assert replay["error_description"]
    assert "state" not in replay and "access_token" not in replay
    assert len(tiktok.sent("token")) == 1


@pytest.mark.parametrize("state", [None, "", "forged-by-an-attacker", "x" * 3000])
def test_a_state_we_did_not_issue_is_refused(browser, tiktok, store, state):
    started(browser)  # a real attempt exists, but not with this state
    params = app_params(come_back(browser, state))
    assert params["error"] == "invalid_state"
    assert "state" not in params
    assert tiktok.sent() == []


def test_an_expired_state_is_refused(browser, tiktok, store, clock):
    sent = started(browser)
    clock.advance(601)
    params = app_params(come_back(browser, sent["state"]))
    assert params["error"] == "invalid_state"
    assert tiktok.sent() == []


def test_a_state_is_good_until_it_expires(browser, tiktok, store, clock):
    sent = started(browser)
    clock.advance(590)
    assert "access_token" in app_params(
        come_back(browser, sent["state"], code=consent(tiktok, sent))
    )


def test_the_lifetime_is_configurable(browser, tiktok, settings, clock):
    configure(settings, LOGIN_ATTEMPT_TTL=60)
    sent = started(browser)
    clock.advance(61)
    assert app_params(come_back(browser, sent["state"]))["error"] == "invalid_state"


def test_tiktoks_access_denied_gives_the_app_its_state_and_spends_the_attempt(
    browser, tiktok, store
):
    sent = started(browser, "app-1")
    query = {"error": "access_denied", "error_description": "User cancelled", "code": ""}
    params = app_params(come_back(browser, sent["state"], **query))
    assert params == {
        "error": "access_denied",
        "error_description": "User cancelled",
        "state": "app-1",
    }
    assert app_params(come_back(browser, sent["state"]))["error"] == "invalid_state"
    assert tiktok.sent() == []


def test_a_missing_scope_gives_the_app_its_state(browser, tiktok):
    sent = started(browser, "app-1")
    params = app_params(come_back(browser, sent["state"], scopes="video.list"))
    assert params["error"] == "missing_scope"
    assert params["state"] == "app-1"


def test_a_refused_code_gives_the_app_its_state(browser, tiktok):
    sent = started(browser, "app-1")
    other = started(browser)  # a code bound to another attempt's challenge: TikTok refuses it
    params = app_params(come_back(browser, sent["state"], code=consent(tiktok, other)))
    assert tiktok.sent("token")  # TikTok was asked, and said no
    assert params["error"] == "invalid_grant"
    assert params["state"] == "app-1"


# -- the compatibility mode -------------------------------------------------------------


def test_compat_mode_echoes_an_app_state_and_sends_no_verifier(browser, tiktok, settings):
    configure(settings, ALLOW_APP_STATE=True)
    params = app_params(come_back(browser, "the-apps-own", code=tiktok.code("open-alice")))
    assert set(params) == {"access_token", "state"}
    assert params["state"] == "the-apps-own"
    assert tiktok.holder_of(params["access_token"]) == "open-alice"
    assert "code_verifier" not in tiktok.sent_form("token")


def test_compat_mode_still_uses_and_protects_states_we_issued(browser, tiktok, settings, store):
    configure(settings, ALLOW_APP_STATE=True)
    sent = started(browser, "app-1")
    code = consent(tiktok, sent)
    assert app_params(come_back(browser, sent["state"], code=code))["state"] == "app-1"
    assert "code_verifier" in tiktok.sent_form("token")
    # A replay of our state is not "an unknown app state": it stays refused.
    assert app_params(come_back(browser, sent["state"], code=code))["error"] == "invalid_state"
    assert len(tiktok.sent("token")) == 1


def test_compat_mode_refuses_an_expired_state_we_issued(browser, tiktok, settings, store, clock):
    configure(settings, ALLOW_APP_STATE=True)
    sent = started(browser)
    clock.advance(700)
    assert app_params(come_back(browser, sent["state"]))["error"] == "invalid_state"
    assert tiktok.sent() == []


# -- races, storage, logs ----------------------------------------------------------------


def test_two_concurrent_callbacks_with_one_state_exchange_the_code_once(tiktok, settings):
    # The cache store (LocMemCache here, Redis in production): no database in the threads.
    # The database store's race is tested in test_attempts.py on PostgreSQL. No throttle
    # either: without Redis it counts in the database (test_throttle_counters.py).
    configure(settings, STORAGE="cache", THROTTLE_RATES={"callback": "off"})
    browser = Client()
    sent = started(browser)
    code = consent(tiktok, sent)
    results = run_at_once(
        lambda: app_params(come_back(tab_of(browser), sent["state"], code=code)), 4, errors=()
    )

    assert sorted("access_token" in r for r in results) == [False, False, False, True]
    assert sorted(r.get("error", "") for r in results) == ["", *["invalid_state"] * 3]
    assert len(tiktok.sent("token")) == 1


def test_the_state_and_the_verifier_never_reach_the_logs(browser, tiktok, caplog):
    caplog.set_level(logging.DEBUG)
    sent = started(browser)
    code = consent(tiktok, sent)
    access_token = app_params(come_back(browser, sent["state"], code=code))["access_token"]
    come_back(browser, sent["state"], code=code)  # the refused replay logs too
    verifier = tiktok.sent_form("token")["code_verifier"][0]
    assert caplog.records
    for secret in (sent["state"], verifier, code, access_token):
        assert secret not in caplog.text
