"""End to end: a real site process (gunicorn) against a real fake-TikTok process."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

pytestmark = pytest.mark.integration

APP_LINK = "https://app.example.com/tiktok/done"
ANDROID = "https://app.example.com/tiktok/android"


def app_params(response: requests.Response) -> dict[str, str]:
    """The query the callback's redirect hands the app (after checking it goes there)."""
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(APP_LINK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def callback(site, **params) -> requests.Response:
    return requests.get(site.url("callback"), params=params, allow_redirects=False, timeout=30)


def post(site, path, body, **kwargs) -> requests.Response:
    return requests.post(site.url(path), json=body, timeout=30, **kwargs)


def test_strapi_compatible_flow_callback_connect_me_refresh_logout(live_site, fake):
    code = fake.mint_code("fake-open-alice", redirect_uri=live_site.url("callback"))
    params = app_params(callback(live_site, code=code, scopes="user.info.basic", state="s 1&x"))
    assert params["from"] == "cms"  # the app link's own query is kept
    assert params["state"] == "s 1&x"
    assert params["access_token"].startswith("act.")

    [exchange] = fake.requests("token")
    assert exchange["form"] == {
        "client_key": "fake-client-key",
        "client_secret": "fake-client-secret",
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": live_site.url("callback"),
    }

    connected = post(live_site, "connect", {"access_token": params["access_token"]})
    assert connected.status_code == 200, connected.text
    body = connected.json()
    assert body["user"]["email"] == "fake-union-alice@tiktok.com"
    assert body["user"]["role"] == "member"
    assert live_site.db.rows(
        "SELECT union_id, open_id, display_name FROM tiktok_mobile_auth_tiktokaccount"
    ) == [("fake-union-alice", "fake-open-alice", "Alice")]
    [info] = fake.requests("userinfo")
    assert info["headers"]["Authorization"] == f"Bearer {params['access_token']}"

    auth = {"Authorization": f"Bearer {body['jwt']}"}
    me = requests.get(live_site.url("me"), headers=auth, timeout=30)
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]

    rotated = post(live_site, "token/refresh", {"refresh": body["refresh"]})
    assert rotated.status_code == 200
    assert post(live_site, "token/refresh", {"refresh": body["refresh"]}).status_code == 401
    new_refresh = rotated.json()["refresh"]
    assert post(live_site, "logout", {"refresh": new_refresh}).status_code == 204
    assert post(live_site, "token/refresh", {"refresh": new_refresh}).status_code == 401


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


def test_consent_page_authorize_and_cancel_reach_the_app(live_site, fake, fake_tiktok):
    form = {
        "client_key": "fake-client-key",
        "redirect_uri": live_site.url("callback"),
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
def test_callback_faults_redirect_to_the_app_with_a_stable_code(live_site, fake, kind, error):
    code = fake.mint_code("fake-open-alice", redirect_uri=live_site.url("callback"))
    fake.fault("token", kind)
    params = app_params(callback(live_site, code=code, scopes="user.info.basic", state="z"))
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
def test_connect_faults_give_the_documented_error_and_no_user(live_site, fake, kind, status, code):
    token = fake.mint_token("fake-open-alice")
    users_before = live_site.db.rows("SELECT count(*) FROM auth_user")
    fake.fault("userinfo", kind)
    response = post(live_site, "connect", {"access_token": token})
    assert response.status_code == status, response.text
    assert response.json()["error"]["details"]["code"] == code
    assert live_site.db.rows("SELECT count(*) FROM auth_user") == users_before


def test_blocked_user_gets_403_on_connect_and_refresh(live_site, fake):
    fake.add_user(open_id="blocked-1", union_id="union-blocked-1", display_name="Blocky")
    first = post(live_site, "connect", {"access_token": fake.mint_token("blocked-1")})
    assert first.status_code == 200
    live_site.db.rows(
        "UPDATE auth_user SET is_active = ? WHERE email = ? RETURNING id",
        False,
        "union-blocked-1@tiktok.com",
    )
    again = post(live_site, "connect", {"access_token": fake.mint_token("blocked-1")})
    assert again.status_code == 403
    refused = post(live_site, "token/refresh", {"refresh": first.json()["refresh"]})
    assert refused.status_code == 403


def test_the_site_log_holds_no_token_code_or_secret(live_site, fake):
    code = fake.mint_code("fake-open-alice", redirect_uri=live_site.url("callback"))
    token = app_params(callback(live_site, code=code, scopes="user.info.basic"))["access_token"]
    post(live_site, "connect", {"access_token": token})
    fake.fault("token", "http500")
    code2 = fake.mint_code("fake-open-alice", redirect_uri=live_site.url("callback"))
    callback(live_site, code=code2, scopes="user.info.basic")
    log = live_site.log()
    assert "TikTok callback" in log  # the plugin did log these requests
    for secret in (token, code, code2, "fake-client-secret"):
        assert secret not in log
