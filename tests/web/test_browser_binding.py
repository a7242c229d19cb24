"""Login CSRF: every browser sign-in is bound to the browser that started it.

The attack, played with two cookie jars: the attacker starts a sign-in in their browser,
consents with their own TikTok account, and sends the callback URL (code and an unspent
state) to a victim. The victim's browser must get a refusal (admin: a 403 page; app: the app
link with ``error=browser_mismatch``), no session and no TikTok token; nothing is exchanged
at TikTok, and the attempt stays good for the browser that started it.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.test import Client

from tests.support.api import BASE, configure
from tests.support.tiktok import ALICE
from tests.support.web import app_params
from tiktok_mobile_auth.exceptions import BrowserMismatch, SpentState
from tiktok_mobile_auth.models import LoginAttempt, TikTokAccount
from tiktok_mobile_auth.signin import attempts
from tiktok_mobile_auth.web import browser_binding

pytestmark = pytest.mark.django_db
COOKIE = browser_binding.COOKIE_NAME
MISMATCH = "browser_mismatch"


@pytest.fixture
def store(storage_config):
    """Both stores of login attempts (database, cache) in turn."""
    return storage_config


@pytest.fixture
def attacker() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def victim() -> Client:
    return Client(enforce_csrf_checks=True)


def state_sent_to_tiktok(response) -> str:
    assert response.status_code == 302, response.content
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def start_admin(browser: Client, next_url: str = "/admin/pages/") -> str:
    return state_sent_to_tiktok(browser.get(f"{BASE}/admin/login", {"next": next_url}))


def start_app(browser: Client, app_state: str = "app-1") -> str:
    return state_sent_to_tiktok(browser.get(f"{BASE}/authorize", {"state": app_state}))


def come_back(browser: Client, state: str, **extra):
    """TikTok's redirect to our callback, opened in ``browser``."""
    query = {"code": "code-1", "scopes": "user.info.basic", "state": state}
    return browser.get(f"{BASE}/callback", query, **extra)


def tiktok_will_sign_in(tiktok) -> None:
    """Alice consents at TikTok: the callback's "code-1" is a code TikTok issued her."""
    tiktok.code("open-alice", code="code-1")


@pytest.fixture
def attackers_editor_account() -> TikTokAccount:
    """The attacker's TikTok account may open the admin: the worst case for the victim."""
    user = get_user_model().objects.create_user("mallory", email="m@tiktok.com")
    user.groups.add(Group.objects.get(name="Editors"))
    return TikTokAccount.objects.create(user=user, union_id=ALICE["union_id"], open_id="open-a")


def nonce_in(response) -> str:
    """The nonce a start view's response gives the browser (its signature checked, as a
    request carrying the cookie would have it checked)."""
    request = HttpRequest()
    request.COOKIES[COOKIE] = response.cookies[COOKIE].value
    return request.get_signed_cookie(COOKIE, salt=browser_binding.SALT)


def signed_for_another_purpose(signed: str) -> str:
    """The same nonce, signed by this server's key but with another salt."""
    response = HttpResponse()
    response.set_signed_cookie(COOKIE, signed.split(":")[0], salt="another.purpose")
    return response.cookies[COOKIE].value


# -- the attack, admin flow ---------------------------------------------------------------


@pytest.mark.parametrize("victim_has_its_own_binding", [False, True])
def test_admin_callback_in_a_foreign_browser_is_refused_without_a_session(
    store, tiktok, attacker, victim, attackers_editor_account, victim_has_its_own_binding
):
    state = start_admin(attacker)
    if victim_has_its_own_binding:  # the victim once began a sign-in of their own
        start_admin(victim)

    refused = come_back(victim, state)

    assert refused.status_code == 403
    page = refused.content.decode()
    assert 'id="tiktok-admin-refused"' in page
    assert "Sign-in started in another browser" in page
    assert "not started in this browser" in page
    assert django_settings.SESSION_COOKIE_NAME not in refused.cookies
    assert django_settings.SESSION_COOKIE_NAME not in victim.cookies
    to_login = victim.get("/admin/")
    assert to_login.status_code == 302 and "/admin/login/" in to_login["Location"]
    assert tiktok.sent() == []  # nothing exchanged at TikTok

    # Not spent: the attacker's own browser can still finish (and only it).
    tiktok_will_sign_in(tiktok)
    finished = come_back(attacker, state)
    assert finished.status_code == 302 and finished["Location"] == "/admin/pages/"
    assert attacker.get("/admin/").status_code == 200
    assert "code_verifier" in tiktok.sent_form("token")


def test_admin_callback_without_any_cookie_is_refused(store, tiktok, attacker):
    state = start_admin(attacker)
    response = come_back(Client(), state)
    assert response.status_code == 403
    assert b"another browser" in response.content
    assert tiktok.sent() == []


# -- the attack, app flow -----------------------------------------------------------------


def test_app_callback_in_a_foreign_browser_gets_browser_mismatch_and_no_token(
    store, tiktok, attacker, victim
):
    state = start_app(attacker, "attackers-app-state")

    params = app_params(come_back(victim, state))

    assert params == {
        "error": MISMATCH,
        "error_description": BrowserMismatch.default_message,
    }  # no access_token, and not the attacker's app state either
    assert tiktok.sent() == []

    tiktok_will_sign_in(tiktok)
    finished = app_params(come_back(attacker, state))
    assert set(finished) == {"access_token", "state"}
    assert finished["state"] == "attackers-app-state"
    assert tiktok.holder_of(finished["access_token"]) == "open-alice"


def test_a_foreign_browser_cannot_spend_a_state_it_replays(store, tiktok, attacker, victim):
    """Repeating the foreign callback changes nothing: each try is refused, none spends."""
    state = start_app(attacker)
    for _ in range(3):
        assert app_params(come_back(victim, state))["error"] == MISMATCH
    tiktok_will_sign_in(tiktok)
    assert "access_token" in app_params(come_back(attacker, state))
    # Spent now: a replay by the right browser is the usual invalid_state.
    assert app_params(come_back(attacker, state))["error"] == "invalid_state"


def test_compat_mode_binds_states_issued_here_only(store, tiktok, settings, attacker, victim):
    """ALLOW_APP_STATE: the app's own state (never issued here) has no browser to bind to;
    a state this server issued is bound as ever."""
    configure(settings, ALLOW_APP_STATE=True)
    issued = start_app(attacker)
    assert app_params(come_back(victim, issued))["error"] == MISMATCH

    tiktok_will_sign_in(tiktok)
    own = app_params(come_back(victim, "the-apps-own-state"))
    assert set(own) == {"access_token", "state"}
    assert own["state"] == "the-apps-own-state"
    assert tiktok.holder_of(own["access_token"]) == "open-alice"


# -- the cookie ----------------------------------------------------------------------------


@pytest.mark.parametrize("start", [start_app, start_admin])
def test_the_cookie_is_httponly_lax_path_scoped_and_lives_as_long_as_an_attempt(start, attacker):
    start(attacker)
    cookie = attacker.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # The start views and the callback share /api/tiktok-auth-mobile/; nothing else sees it.
    assert cookie["path"] == f"{BASE}/"
    assert cookie["max-age"] == 600  # LOGIN_ATTEMPT_TTL
    assert not cookie["secure"]  # plain http here: a Secure cookie would never come back
    assert not cookie["domain"]  # host-only


def test_the_cookie_is_secure_over_https(attacker):
    attacker.get(f"{BASE}/authorize", {"state": "a"}, secure=True)
    assert attacker.cookies[COOKIE]["secure"] is True


def test_the_cookie_lives_as_long_as_a_configured_attempt(settings, attacker):
    configure(settings, LOGIN_ATTEMPT_TTL=120)
    start_app(attacker)
    assert attacker.cookies[COOKIE]["max-age"] == 120


def test_the_attempt_keeps_only_a_hash_of_the_signed_nonce(settings, attacker):
    configure(settings, STORAGE="database")
    response = attacker.get(f"{BASE}/authorize", {"state": "a"})
    nonce = nonce_in(response)
    row = LoginAttempt.objects.get()
    assert row.browser_hash == hashlib.sha256(nonce.encode()).hexdigest()
    assert len(nonce) == 43  # secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "forge",
    [
        lambda signed: "x" + signed,  # another nonce under the same signature
        lambda signed: signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"),
        lambda signed: signed.split(":")[0],  # the nonce alone, unsigned
        signed_for_another_purpose,
    ],
    ids=["nonce-changed", "signature-changed", "unsigned", "other-salt"],
)
def test_a_tampered_cookie_is_refused(store, tiktok, attacker, victim, forge):
    """The nonce is public to its own browser; a cookie not signed by this server for this
    purpose counts as no cookie (and a tampered copy of the right one is refused too)."""
    state = start_app(attacker)
    victim.cookies[COOKIE] = forge(attacker.cookies[COOKIE].value)
    assert app_params(come_back(victim, state))["error"] == MISMATCH
    attacker.cookies[COOKIE] = forge(attacker.cookies[COOKIE].value)
    assert app_params(come_back(attacker, state))["error"] == MISMATCH
    assert tiktok.sent() == []


@pytest.mark.parametrize(
    ("start_path", "callback_url", "expected"),
    [
        (f"{BASE}/authorize", f"https://cms.example.com{BASE}/callback", f"{BASE}/"),
        (f"{BASE}/admin/login", f"https://cms.example.com{BASE}/callback/", f"{BASE}/"),
        ("/auth/start", "https://cms.example.com/oauth/callback", "/"),
        ("/a/authorize", "https://cms.example.com", "/"),
    ],
)
def test_the_cookie_path_holds_the_start_view_and_the_callback(start_path, callback_url, expected):
    assert browser_binding.cookie_path(start_path, callback_url) == expected


# -- one browser, many tabs -------------------------------------------------------------------


def test_two_tabs_of_one_browser_both_finish(store, tiktok, attacker):
    first = attacker.get(f"{BASE}/authorize", {"state": "tab-1"})
    second = attacker.get(f"{BASE}/authorize", {"state": "tab-2"})
    assert nonce_in(first) == nonce_in(second)  # reused, not overwritten

    # The later tab comes back first; the earlier one still finishes.
    tiktok_will_sign_in(tiktok)
    assert app_params(come_back(attacker, state_sent_to_tiktok(second)))["state"] == "tab-2"
    tiktok_will_sign_in(tiktok)
    assert app_params(come_back(attacker, state_sent_to_tiktok(first)))["state"] == "tab-1"
    assert len(tiktok.sent("token")) == 2


def test_an_app_tab_and_an_admin_tab_share_the_browsers_nonce(
    store, tiktok, attacker, attackers_editor_account
):
    app_state = start_app(attacker)
    admin_state = start_admin(attacker)
    tiktok_will_sign_in(tiktok)
    assert come_back(attacker, admin_state)["Location"] == "/admin/pages/"
    tiktok_will_sign_in(tiktok)
    assert "access_token" in app_params(come_back(attacker, app_state))


# -- the stores ----------------------------------------------------------------------------


VERIFIER = "v" * 64


def test_a_store_refuses_another_browser_and_keeps_the_attempt(store):
    state = attempts.start("a", VERIFIER, store, purpose="admin", browser_hash="1" * 64)
    for presented in (None, "2" * 64):
        with pytest.raises(BrowserMismatch) as refused:
            attempts.consume(state, store, browser_hash=presented)
        assert refused.value.purpose == "admin"
        assert refused.value.code == MISMATCH
    attempt = attempts.consume(state, store, browser_hash="1" * 64)
    assert (attempt.app_state, attempt.code_verifier) == ("a", VERIFIER)


def test_an_expired_attempt_is_spent_for_any_browser(store, clock):
    state = attempts.start("a", VERIFIER, store, browser_hash="1" * 64)
    clock(store.login_attempt_ttl + 1)
    with pytest.raises(SpentState):
        attempts.consume(state, store, browser_hash="2" * 64)


def test_an_attempt_stored_without_a_browser_is_unbound(store):
    """Attempts started before the binding existed (in flight during an upgrade)."""
    state = attempts.start("a", VERIFIER, store)
    assert attempts.consume(state, store, browser_hash=None).app_state == "a"
