"""End to end: a real site process (gunicorn) against a real fake-TikTok process.

``live_site`` runs the secure defaults (server-issued state + PKCE, minted access tokens);
``compat_site`` the Strapi plugin's compatibility mode (see conftest.py).
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .support import app_params, authorize, consent

pytestmark = pytest.mark.integration

ANDROID = "https://app.example.com/tiktok/android"


def callback(site, **params) -> requests.Response:
    return requests.get(site.url("callback"), params=params, allow_redirects=False, timeout=30)


def post(site, path, body, **kwargs) -> requests.Response:
    return requests.post(site.url(path), json=body, timeout=30, **kwargs)


def test_strapi_compatible_flow_callback_connect_me_refresh_logout(compat_site, fake):
    # The app started the TikTok flow itself with its own state (compatibility mode).
    code = fake.mint_code("fake-open-alice", redirect_uri=compat_site.url("callback"))
    params = app_params(callback(compat_site, code=code, scopes="user.info.basic", state="s 1&x"))
    assert params["from"] == "cms"  # the app link's own query is kept
    assert params["state"] == "s 1&x"
    assert params["access_token"].startswith("act.")

    [exchange] = fake.requests("token")
    assert exchange["form"] == {
        "client_key": "fake-client-key",
        "client_secret": "fake-client-secret",
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": compat_site.url("callback"),
    }

    connected = post(compat_site, "connect", {"access_token": params["access_token"]})
    assert connected.status_code == 200, connected.text
    body = connected.json()
    assert body["user"]["email"] == "fake-union-alice@tiktok.com"
    assert body["user"]["role"] == "member"
    assert compat_site.db.rows(
        "SELECT union_id, open_id, display_name FROM tiktok_mobile_auth_tiktokaccount "
        "WHERE union_id = ?",
        "fake-union-alice",
    ) == [("fake-union-alice", "fake-open-alice", "Alice")]
    [info] = fake.requests("userinfo")
    assert info["headers"]["Authorization"] == f"Bearer {params['access_token']}"

    auth = {"Authorization": f"Bearer {body['jwt']}"}
    me = requests.get(compat_site.url("me"), headers=auth, timeout=30)
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]

    rotated = post(compat_site, "token/refresh", {"refresh": body["refresh"]})
    assert rotated.status_code == 200
    assert post(compat_site, "token/refresh", {"refresh": body["refresh"]}).status_code == 401
    new_refresh = rotated.json()["refresh"]
    assert post(compat_site, "logout", {"refresh": new_refresh}).status_code == 204
    assert post(compat_site, "token/refresh", {"refresh": new_refresh}).status_code == 401


def test_native_sdk_code_flow_with_a_hex_pkce_challenge(live_site, fake):
    verifier = "Abc123-._~" * 4
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    code = fake.mint_code("fake-open-bob", redirect_uri=ANDROID, code_challenge=challenge)
    body = {"code": code, "code_verifier": verifier, "redirect_uri": ANDROID}
    response = post(live_site, "connect", body)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["tiktok"]["union_id"] == "fake-union-bob"
    [exchange] = fake.requests("token")
    assert exchange["form"]["code_verifier"] == verifier
    assert exchange["form"]["redirect_uri"] == ANDROID

    # The code is single-use at TikTok: a replay is refused and creates nothing more.
    replay = post(live_site, "connect", body)
    assert replay.status_code == 401
    assert replay.json()["error"]["details"]["code"] == "tiktok_code_invalid"


def test_wrong_pkce_verifier_is_refused(live_site, fake):
    challenge = hashlib.sha256(b"the-real-verifier-0123456789abcdef").hexdigest()
    code = fake.mint_code("fake-open-alice", redirect_uri=ANDROID, code_challenge=challenge)
    body = {"code": code, "code_verifier": "x" * 40, "redirect_uri": ANDROID}
    response = post(live_site, "connect", body)
    assert response.status_code == 401
    assert response.json()["error"]["details"]["tiktok_error"] == "invalid_request"


def test_consent_page_authorize_and_cancel_reach_the_app(compat_site, fake, fake_tiktok):
    form = {
        "client_key": "fake-client-key",
        "redirect_uri": compat_site.url("callback"),
        "state": "st-1",
        "scope": "user.info.basic",
        "response_type": "code",
        "open_id": "fake-open-alice",
    }
    authorize_url = f"{fake_tiktok.base_url}/v2/auth/authorize/"
    page = requests.get(authorize_url, params=form, timeout=30)
    assert page.status_code == 200
    assert 'id="authorize"' in page.text

    for action, expected in (("authorize", "access_token"), ("cancel", "error")):
        consent = requests.post(
            authorize_url, data={**form, "action": action}, allow_redirects=False, timeout=30
        )
        assert consent.status_code == 302, consent.text
        back = requests.get(consent.headers["Location"], allow_redirects=False, timeout=30)
        params = app_params(back)
        assert params["state"] == "st-1"
        assert expected in params
    assert params["error"] == "access_denied"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("http500", "tiktok_unavailable"),
        ("nonjson", "tiktok_unavailable"),
        ("error200", "invalid_grant"),
    ],
)
def test_callback_faults_redirect_to_the_app_with_a_stable_code(compat_site, fake, kind, error):
    code = fake.mint_code("fake-open-alice", redirect_uri=compat_site.url("callback"))
    fake.fault("token", kind)
    params = app_params(callback(compat_site, code=code, scopes="user.info.basic", state="z"))
    assert params["error"] == error
    assert params["state"] == "z"
    assert "access_token" not in params


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("http500", 503, "tiktok_unavailable"),
        ("http429", 503, "tiktok_unavailable"),
        ("nonjson", 502, "tiktok_bad_response"),
        ("wrong_shape", 502, "tiktok_bad_response"),
        ("error200", 401, "tiktok_token_invalid"),
        ("no_union_id", 502, "tiktok_union_id_missing"),
        ("huge", 502, "tiktok_bad_response"),
    ],
)
def test_connect_faults_give_the_documented_error_and_no_user(
    compat_site, fake, kind, status, code
):
    token = fake.mint_token("fake-open-alice")
    users_before = compat_site.db.rows("SELECT count(*) FROM auth_user")
    # Twice: a single 429 with a short Retry-After is retried once (see the next test).
    fake.fault("userinfo", kind, count=2 if kind == "http429" else 1)
    response = post(compat_site, "connect", {"access_token": token})
    assert response.status_code == status, response.text
    assert response.json()["error"]["details"]["code"] == code
    assert compat_site.db.rows("SELECT count(*) FROM auth_user") == users_before


def test_one_short_rate_limit_at_tiktok_is_retried_once(compat_site, fake):
    token = fake.mint_token("fake-open-alice")
    fake.fault("userinfo", "http429", retry_after=1)
    response = post(compat_site, "connect", {"access_token": token})
    assert response.status_code == 200, response.text
    assert len(fake.requests("userinfo")) == 2


def test_blocked_user_gets_403_on_connect_and_refresh(compat_site, fake):
    fake.add_user(open_id="blocked-1", union_id="union-blocked-1", display_name="Blocky")
    first = post(compat_site, "connect", {"access_token": fake.mint_token("blocked-1")})
    assert first.status_code == 200
    compat_site.db.rows(
        "UPDATE auth_user SET is_active = ? WHERE email = ? RETURNING id",
        False,
        "union-blocked-1@tiktok.com",
    )
    again = post(compat_site, "connect", {"access_token": fake.mint_token("blocked-1")})
    assert again.status_code == 403
    refused = post(compat_site, "token/refresh", {"refresh": first.json()["refresh"]})
    assert refused.status_code == 403


def test_the_site_log_holds_no_token_code_or_secret(compat_site, fake):
    code = fake.mint_code("fake-open-alice", redirect_uri=compat_site.url("callback"))
    token = app_params(callback(compat_site, code=code, scopes="user.info.basic"))["access_token"]
    post(compat_site, "connect", {"access_token": token})
    fake.fault("token", "http500")
    code2 = fake.mint_code("fake-open-alice", redirect_uri=compat_site.url("callback"))
    callback(compat_site, code=code2, scopes="user.info.basic")
    log = compat_site.log()
    assert "TikTok callback" in log  # the plugin did log these requests
    for secret in (token, code, code2, "fake-client-secret"):
        assert secret not in log


# -- the secure defaults: server-started flow, minted tokens, throttling --------------------


def test_server_started_flow_authorize_consent_callback_connect_me(live_site, fake, fake_tiktok):
    browser = requests.Session()
    started = authorize(live_site, browser, state="app state/1&x")
    assert started.status_code == 302
    location = started.headers["Location"]
    assert location.startswith(f"{fake_tiktok.base_url}/v2/auth/authorize/?")
    sent = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert sent["client_key"] == "fake-client-key"
    assert sent["response_type"] == "code"
    assert sent["scope"] == "user.info.basic"
    assert sent["redirect_uri"] == live_site.url("callback")
    assert sent["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[0-9a-f]{64}", sent["code_challenge"])
    assert len(sent["state"]) >= 43 and "app state" not in sent["state"]

    back = consent(browser, location)
    assert back.startswith(live_site.url("callback") + "?")
    returned = browser.get(back, allow_redirects=False, timeout=30)
    params = app_params(returned)
    assert params["state"] == "app state/1&x"  # the app's state, not ours
    assert params["access_token"].startswith("act.")
    [exchange] = fake.requests("token")
    verifier = exchange["form"]["code_verifier"]
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{64}", verifier)
    assert hashlib.sha256(verifier.encode()).hexdigest() == sent["code_challenge"]

    # The token was obtained here, so connect takes it under the default policy.
    connected = post(live_site, "connect", {"access_token": params["access_token"]})
    assert connected.status_code == 200, connected.text
    auth = {"Authorization": f"Bearer {connected.json()['jwt']}"}
    me = requests.get(live_site.url("me"), headers=auth, timeout=30)
    assert me.status_code == 200
    assert me.json()["tiktok"]["open_id"] == "fake-open-alice"

    # The same callback again (a replayed URL): refused, nothing exchanged.
    replay = app_params(browser.get(back, allow_redirects=False, timeout=30))
    assert replay["error"] == "invalid_state"
    assert "state" not in replay and "access_token" not in replay
    assert len(fake.requests("token")) == 1
    log = live_site.log()
    for secret in (
        verifier,
        sent["state"],
        params["access_token"],
        parse_qs(urlsplit(back).query)["code"][0],
    ):
        assert secret not in log


def test_cancel_at_tiktok_reaches_the_app_with_its_state(live_site, fake):
    browser = requests.Session()
    location = authorize(live_site, browser, state="mine").headers["Location"]
    page = browser.get(location, timeout=30)
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    form = {name: unescape(value) for name, value in hidden} | {"action": "cancel"}
    action = urlsplit(location)._replace(query="").geturl()
    cancel = browser.post(action, data=form, allow_redirects=False, timeout=30)
    back = browser.get(cancel.headers["Location"], allow_redirects=False, timeout=30)
    assert app_params(back) | {"error_description": ""} == {
        "from": "cms",
        "error": "access_denied",
        "error_description": "",
        "state": "mine",
    }
    assert fake.requests("token") == []


@pytest.mark.parametrize("state", [None, "made-up-by-an-attacker"])
def test_a_state_not_issued_here_is_refused_and_nothing_is_exchanged(live_site, fake, state):
    code = fake.mint_code("fake-open-alice", redirect_uri=live_site.url("callback"))
    extra = {"state": state} if state else {}
    params = app_params(callback(live_site, code=code, scopes="user.info.basic", **extra))
    assert params["error"] == "invalid_state"
    assert "access_token" not in params
    assert fake.requests("token") == []


def test_two_concurrent_callbacks_with_one_state_exchange_once(live_site, fake):
    browser = requests.Session()
    back = consent(browser, authorize(live_site, browser, state="race").headers["Location"])

    def open_callback(_: int) -> requests.Response:  # four tabs of the one browser
        return requests.get(back, cookies=browser.cookies, allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(open_callback, range(4)))
    results = [app_params(reply) for reply in replies]
    assert sorted("access_token" in r for r in results) == [False, False, False, True]
    assert sorted(r.get("error", "") for r in results) == ["", *["invalid_state"] * 3]
    assert len(fake.requests("token")) == 1


def test_connect_refuses_a_token_this_server_did_not_obtain(live_site, fake):
    token = fake.mint_token("fake-open-alice")  # e.g. issued to another app, or stolen
    response = post(live_site, "connect", {"access_token": token})
    assert response.status_code == 401
    assert response.json()["error"]["details"]["code"] == "tiktok_token_not_issued_here"
    assert fake.requests("userinfo") == []


def test_the_throttle_is_shared_by_the_site_workers(live_site):
    # The site runs two gunicorn workers; each request opens a new connection, so they
    # land on either. The logout limit of this site is 5/min (conftest.py).
    statuses = [post(live_site, "logout", {"refresh": "nope"}).status_code for _ in range(5)]
    assert statuses == [401] * 5
    throttled = post(live_site, "logout", {"refresh": "nope"})
    assert throttled.status_code == 429
    assert throttled.json()["error"]["name"] == "RateLimitError"
    assert throttled.json()["error"]["details"]["code"] == "throttled"
    assert int(throttled.headers["Retry-After"]) >= 1
