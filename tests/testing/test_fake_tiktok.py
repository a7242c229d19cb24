"""Tests of the fake TikTok (tiktok_mobile_auth.testing): it must behave like TikTok.

No database: the app runs in a background thread (or, once, as a real process) and is
driven over HTTP with ``requests``.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tiktok_mobile_auth.testing import FakeTikTokProcess, FakeTikTokThread
from tiktok_mobile_auth.testing import app as app_module
from tiktok_mobile_auth.testing.control import FakeTikTokControl, FakeTikTokControlError
from tiktok_mobile_auth.testing.process import PROJECT_ROOT, FakeTikTokStartupError

KEY, SECRET = "fake-client-key", "fake-client-secret"
REDIRECT = "https://app.example/tiktok/callback/"
VERIFIER = "gaeCq5mVvbhA8Ce6w5O9XBVIKMkySgv-_9A-rnhm9Ns"  # TikTok's Android SDK test vector
CHALLENGE = "e6a178b120743d08509508f269652b0bdf91e29332921bc9e9744fd3dd41bfef"
ALL_SCOPES = "user.info.basic,user.info.profile,user.info.stats"
PKCE_INVALID = "Code verifier or code challenge is invalid."
UNSUPPORTED_GRANT = "Grant type is not supported."


@pytest.fixture(scope="module")
def server() -> Iterator[FakeTikTokThread]:
    with FakeTikTokThread() as running:
        yield running


@pytest.fixture
def fake(server: FakeTikTokThread) -> FakeTikTokThread:
    server.control.reset()
    return server


@pytest.fixture
def ctl(fake: FakeTikTokThread) -> FakeTikTokControl:
    return fake.control


def token_call(fake: FakeTikTokThread, **form: str) -> requests.Response:
    base = {"client_key": KEY, "client_secret": SECRET, "grant_type": "authorization_code"}
    return requests.post(f"{fake.base_url}/v2/oauth/token/", data=base | form, timeout=10)


def exchange(fake: FakeTikTokThread, code: str, **form: str) -> requests.Response:
    return token_call(
        fake, **{"code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER} | form
    )


def user_info(fake: FakeTikTokThread, token: str | None, fields: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {"fields": fields} if fields is not None else {}
    return requests.get(
        f"{fake.base_url}/v2/user/info/", params=params, headers=headers, timeout=10
    )


def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "client_key": KEY,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "user.info.basic,user.info.profile",
        "state": "st<&>1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    return params | overrides


def consent(fake: FakeTikTokThread, **form: str) -> requests.Response:
    data = authorize_params() | {"open_id": "fake-open-alice", "action": "authorize"} | form
    url = f"{fake.base_url}/v2/auth/authorize/"
    return requests.post(url, data=data, allow_redirects=False, timeout=10)


def redirect_query(response: requests.Response) -> dict[str, list[str]]:
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)


# -- authorize page ---------------------------------------------------------------------------


def test_consent_page_lists_scopes_users_and_escapes_echoed_values(fake: FakeTikTokThread) -> None:
    url = f"{fake.base_url}/v2/auth/authorize/"
    page = requests.get(url, params=authorize_params(state='"><script>x'), timeout=10)
    assert page.status_code == 200
    assert "<title>Authorize fake-client-key</title>" in page.text
    assert '<option value="fake-open-alice">Alice</option>' in page.text
    assert 'id="authorize"' in page.text and 'id="cancel"' in page.text
    assert "user.info.profile" in page.text
    assert "<script>" not in page.text and "&quot;&gt;&lt;script&gt;x" in page.text


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"client_key": "unknown-app"}, "client_key"),
        ({"response_type": "token"}, "response_type"),
        ({"redirect_uri": "/relative/callback"}, "redirect_uri"),
        ({"scope": ""}, "scope"),
    ],
)
def test_bad_authorize_request_shows_error_page_without_redirect(
    fake: FakeTikTokThread, override: dict[str, str], problem: str
) -> None:
    url = f"{fake.base_url}/v2/auth/authorize"  # also without the trailing slash
    page = requests.get(url, params=authorize_params(**override), allow_redirects=False, timeout=10)
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert "We couldn't log in with TikTok" in page.text
    assert f"<li>{problem}</li>" in page.text


def test_authorize_redirects_with_encoded_code_scopes_and_state(fake: FakeTikTokThread) -> None:
    response = consent(fake, redirect_uri="https://app.example/cb?keep=1", state="a b&c=d")
    location = response.headers["Location"]
    assert location.startswith("https://app.example/cb?keep=1&code=")
    assert "state=a%20b%26c%3Dd" in location
    query = redirect_query(response)
    assert query["scopes"] == ["user.info.basic,user.info.profile"]
    assert query["code"][0].startswith("fake-code.")


def test_unticked_scope_is_not_granted_but_basic_always_is(fake: FakeTikTokThread) -> None:
    response = consent(fake, grant_form="1", scope=ALL_SCOPES, **{"grant:user.info.stats": "1"})
    assert redirect_query(response)["scopes"] == ["user.info.basic,user.info.stats"]


def test_cancel_redirects_with_access_denied(fake: FakeTikTokThread) -> None:
    query = redirect_query(consent(fake, action="cancel", state="s1"))
    assert query == {
        "error": ["access_denied"],
        "error_description": ["User cancelled authorization"],
        "state": ["s1"],
    }


def test_every_third_code_needs_url_encoding_and_survives_the_round_trip(
    fake: FakeTikTokThread,
) -> None:
    responses = [consent(fake, redirect_uri=REDIRECT) for _ in range(3)]
    special = [r for r in responses if "*" in redirect_query(r)["code"][0]]
    assert len(special) == 1
    assert "%2A" in special[0].headers["Location"] and "*" not in special[0].headers["Location"]
    assert exchange(fake, redirect_query(special[0])["code"][0]).status_code == 200


# -- token endpoint ---------------------------------------------------------------------------


def test_full_flow_code_to_tokens_to_user_info(fake: FakeTikTokThread) -> None:
    code = redirect_query(consent(fake))["code"][0]
    grant = exchange(fake, code)
    assert grant.status_code == 200
    body = grant.json()
    assert body["access_token"].startswith("act.") and body["refresh_token"].startswith("rft.")
    assert body["open_id"] == "fake-open-alice"
    assert body["scope"] == "user.info.basic,user.info.profile"
    assert (body["expires_in"], body["refresh_expires_in"]) == (86400, 31536000)
    assert body["token_type"] == "Bearer"
    info = user_info(fake, body["access_token"], "open_id,union_id,display_name,username")
    assert info.json()["data"]["user"] == {
        "open_id": "fake-open-alice",
        "union_id": "fake-union-alice",
        "display_name": "Alice",
        "username": "alice.tiktok",
    }
    assert info.json()["error"]["code"] == "ok"


def oauth_error(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["log_id"].startswith("fake-log-")
    return response.status_code, body["error"], body["error_description"]


def test_code_is_single_use(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    code = ctl.mint_code("fake-open-bob", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
    assert exchange(fake, code).status_code == 200
    assert oauth_error(exchange(fake, code))[:2] == (400, "invalid_grant")


def test_base64url_challenge_is_refused_and_burns_the_code(
    fake: FakeTikTokThread, ctl: FakeTikTokControl
) -> None:
    rfc_challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    )
    code = ctl.mint_code("fake-open-alice", redirect_uri=REDIRECT, code_challenge=rfc_challenge)
    assert oauth_error(exchange(fake, code)) == (
        400,
        "invalid_request",
        "Code verifier or code challenge is invalid.",
    )
    assert oauth_error(exchange(fake, code))[1] == "invalid_grant"


def test_wrong_secret_is_invalid_client_and_does_not_burn_the_code(
    fake: FakeTikTokThread, ctl: FakeTikTokControl
) -> None:
    code = ctl.mint_code("fake-open-alice", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
    refused = exchange(fake, code, client_secret="wrong")
    assert oauth_error(refused) == (400, "invalid_client", "Client key or secret is invalid.")
    assert exchange(fake, code).status_code == 200


@pytest.mark.parametrize(
    ("mint", "form", "expected"),
    [
        ({"expires_in": -1}, {}, ("invalid_grant", "Authorization code is expired.")),
        (
            {"client_key": "other-app"},
            {},
            ("invalid_grant", "Authorization code was issued to another client."),
        ),
        (
            {},
            {"redirect_uri": "https://evil.example/cb"},
            ("invalid_request", "Redirect_uri is not matched with the uri when requesting code."),
        ),
        (
            {},
            {"code_verifier": "x" * 43},
            ("invalid_request", "Code verifier or code challenge is invalid."),
        ),
        (
            {},
            {"grant_type": "password"},
            ("unsupported_grant_type", "Grant type is not supported."),
        ),
    ],
)
def test_token_refusals(
    fake: FakeTikTokThread,
    ctl: FakeTikTokControl,
    mint: dict[str, Any],
    form: dict[str, str],
    expected: tuple[str, str],
) -> None:
    ctl.set_app("other-app", "other-secret")
    ctl.set_app(KEY, SECRET)  # back to the default for minted codes
    code = ctl.mint_code("fake-open-alice", redirect_uri=REDIRECT, code_challenge=CHALLENGE, **mint)
    assert oauth_error(exchange(fake, code, **form)) == (400, *expected)


def test_explicit_code_with_reserved_characters_is_exchanged(
    fake: FakeTikTokThread, ctl: FakeTikTokControl
) -> None:
    code = ctl.mint_code("fake-open-alice", code="fake-code.ab*0!12/+=%.va")
    assert token_call(fake, code=code).json()["open_id"] == "fake-open-alice"


def test_token_endpoint_wants_a_form(fake: FakeTikTokThread) -> None:
    url = f"{fake.base_url}/v2/oauth/token/"
    response = requests.post(url, json={"client_key": KEY}, timeout=10)
    assert response.status_code == 415
    assert response.json()["error"] == "invalid_request"


def test_refresh_rotates_the_refresh_token(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    first = ctl.mint_grant("fake-open-alice", ALL_SCOPES)
    url = f"{fake.base_url}/v2/oauth/token"  # also without the trailing slash
    form = {"client_key": KEY, "client_secret": SECRET, "grant_type": "refresh_token"}
    second = requests.post(url, data=form | {"refresh_token": first["refresh_token"]}, timeout=10)
    assert second.status_code == 200
    new = second.json()
    assert new["refresh_token"] != first["refresh_token"] and new["scope"] == ALL_SCOPES
    assert user_info(fake, new["access_token"], "video_count").status_code == 200
    again = requests.post(url, data=form | {"refresh_token": first["refresh_token"]}, timeout=10)
    assert oauth_error(again)[:2] == (400, "invalid_grant")


def test_revoke_kills_access_and_refresh_tokens(
    fake: FakeTikTokThread, ctl: FakeTikTokControl
) -> None:
    grant = ctl.mint_grant("fake-open-bob")
    url = f"{fake.base_url}/v2/oauth/revoke/"
    form = {"client_key": KEY, "client_secret": SECRET, "token": grant["access_token"]}
    bad = requests.post(url, data=form | {"client_secret": "nope"}, timeout=10)
    assert oauth_error(bad)[:2] == (400, "invalid_client")
    done = requests.post(url, data=form, timeout=10)
    assert (done.status_code, done.json()) == (200, {})
    assert user_info(fake, grant["access_token"], "open_id").status_code == 401
    refreshed = token_call(fake, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert oauth_error(refreshed)[1] == "invalid_grant"


# -- user info ----------------------------------------------------------------------------------


def api_error(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    assert body["data"] == {} and body["error"]["log_id"].startswith("fake-log-")
    return response.status_code, body["error"]["code"]


@pytest.mark.parametrize("token", [None, "act.unknown", "expired"])
def test_user_info_refuses_missing_unknown_and_expired_tokens(
    fake: FakeTikTokThread, ctl: FakeTikTokControl, token: str | None
) -> None:
    if token == "expired":
        token = ctl.mint_token("fake-open-alice", expires_in=0)
    response = user_info(fake, token, "open_id")
    assert api_error(response) == (401, "access_token_invalid")
    assert response.json()["error"]["message"].startswith("Access token is invalid")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (None, (400, "invalid_params")),
        ("open_id,shoe_size", (400, "invalid_params")),
        ("open_id,bio_description", (401, "scope_not_authorized")),
        ("follower_count", (401, "scope_not_authorized")),
    ],
)
def test_user_info_checks_fields_and_scopes(
    fake: FakeTikTokThread, ctl: FakeTikTokControl, fields: str | None, expected: tuple[int, str]
) -> None:
    token = ctl.mint_token("fake-open-alice", "user.info.basic")
    assert api_error(user_info(fake, token, fields)) == expected


def test_user_info_returns_only_requested_fields_the_user_has(
    fake: FakeTikTokThread, ctl: FakeTikTokControl
) -> None:
    token = ctl.mint_token("fake-open-nounion", ALL_SCOPES)
    user = user_info(fake, token, "open_id,union_id,is_verified,likes_count").json()["data"]["user"]
    assert user == {"open_id": "fake-open-nounion", "is_verified": False, "likes_count": 100}


def test_added_user_replaces_and_may_lack_fields(
    fake: FakeTikTokThread, ctl: FakeTikTokControl
) -> None:
    assert ctl.add_user(open_id="fake-open-alice", display_name="Alice 2") == {
        "open_id": "fake-open-alice",
        "display_name": "Alice 2",
    }
    token = ctl.mint_token("fake-open-alice")
    user = user_info(fake, token, "open_id,union_id,display_name,avatar_url").json()
    assert user["data"]["user"] == {"open_id": "fake-open-alice", "display_name": "Alice 2"}


# -- faults -----------------------------------------------------------------------------------


def test_http_faults(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    token = ctl.mint_token("fake-open-alice")
    ctl.fault("userinfo", "http500")
    ctl.fault("userinfo", "http429", retry_after=7)
    ctl.fault("userinfo", "http503")
    assert api_error(user_info(fake, token, "open_id")) == (500, "internal_error")
    limited = user_info(fake, token, "open_id")
    assert api_error(limited) == (429, "rate_limit_exceeded")
    assert limited.headers["Retry-After"] == "7"
    down = user_info(fake, token, "open_id")
    assert (down.status_code, down.text) == (503, "Service Unavailable")
    assert user_info(fake, token, "open_id").status_code == 200  # faults are used up


def test_body_faults(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    code = ctl.mint_code("fake-open-alice")
    ctl.fault("token", "error200")
    ctl.fault("token", "nonjson")
    ctl.fault("token", "wrong_shape", count=2)
    ctl.fault("token", "huge")
    expired = token_call(fake, code=code)
    assert expired.status_code == 200 and expired.json()["error"] == "invalid_grant"
    html = token_call(fake, code=code)
    assert html.headers["Content-Type"] == "text/html" and html.text == "<html>oops</html>"
    assert token_call(fake, code=code).json() == ["nope"]
    assert token_call(fake, code=code).json() == ["nope"]
    assert len(token_call(fake, code=code).content) > 5_000_000
    assert token_call(fake, code=code).status_code == 200  # the code was never consumed


def test_userinfo_error200_and_no_union_id(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    token = ctl.mint_token("fake-open-alice")
    ctl.fault("userinfo", "error200")
    ctl.fault("userinfo", "no_union_id")
    assert api_error(user_info(fake, token, "open_id")) == (200, "access_token_invalid")
    user = user_info(fake, token, "open_id,union_id").json()["data"]["user"]
    assert user == {"open_id": "fake-open-alice"}


def test_timeout_and_close_faults(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    ctl.fault("revoke", "timeout", seconds=1)
    ctl.fault("revoke", "close")
    url = f"{fake.base_url}/v2/oauth/revoke/"
    with pytest.raises(requests.Timeout):
        requests.post(url, data={"token": "x"}, timeout=0.3)
    with pytest.raises(requests.ConnectionError):
        requests.post(url, data={"token": "x"}, timeout=5)
    assert oauth_error(requests.post(url, data={"token": "x"}, timeout=5))[1] == "invalid_client"


def test_the_together_fault_answers_only_requests_sent_at_once(
    fake: FakeTikTokThread, ctl: FakeTikTokControl
) -> None:
    token = ctl.mint_token("fake-open-alice")
    ctl.fault("userinfo", "together", count=3)
    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda _: user_info(fake, token, "open_id"), range(3)))
    assert [reply.status_code for reply in replies] == [200, 200, 200]
    assert {reply.json()["data"]["user"]["open_id"] for reply in replies} == {"fake-open-alice"}
    # One at a time, the second never arrives while the first waits: 503, then normal again.
    ctl.fault("userinfo", "together", count=2, seconds=0.5)
    assert user_info(fake, token, "open_id").status_code == 503
    assert user_info(fake, token, "open_id").status_code == 503  # the broken barrier's other half
    assert user_info(fake, token, "open_id").status_code == 200


def test_bad_fault_requests_are_refused(ctl: FakeTikTokControl) -> None:
    with pytest.raises(FakeTikTokControlError) as err:
        ctl.fault("token", "no_union_id")
    assert err.value.status == 400
    with pytest.raises(FakeTikTokControlError):
        ctl.fault("authorize", "http500")
    with pytest.raises(FakeTikTokControlError):
        ctl.mint_token("fake-open-nobody")


# -- request log, reset, apps, latency ----------------------------------------------------------


def test_request_log_records_what_was_sent(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    token = ctl.mint_token("fake-open-alice")
    user_info(fake, token, "open_id")
    requests.post(
        f"{fake.base_url}/v2/oauth/token/",
        data={"code": "c*1", "grant_type": "authorization_code"},
        headers={"User-Agent": "probe/1"},
        timeout=10,
    )
    assert [entry["endpoint"] for entry in ctl.requests()] == ["userinfo", "token"]
    (sent,) = ctl.requests("token")
    assert sent["method"] == "POST" and sent["path"] == "/v2/oauth/token/"
    assert sent["form"] == {"code": "c*1", "grant_type": "authorization_code"}
    assert sent["headers"]["User-Agent"] == "probe/1"
    assert sent["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    (asked,) = ctl.requests("userinfo")
    assert asked["query"] == {"fields": "open_id"}
    assert asked["headers"]["Authorization"] == f"Bearer {token}"
    assert "Content-Type" not in asked["headers"]  # recorded as sent, not as wsgiref guesses


def test_reset_restores_the_default_state(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    ctl.add_user(open_id="fake-open-carol", display_name="Carol")
    ctl.set_app("new-key", "new-secret")
    token = ctl.mint_token("fake-open-alice")
    ctl.fault("token", "http500")
    ctl.reset()
    assert ctl.requests() == []
    assert [u["open_id"] for u in fake.state.users()] == [
        "fake-open-alice",
        "fake-open-bob",
        "fake-open-nounion",
    ]
    assert not fake.state.is_registered("new-key")
    assert user_info(fake, token, "open_id").status_code == 401
    assert token_call(fake, code="nope").json()["error"] == "invalid_grant"  # no 500 fault left


def test_set_app_makes_new_credentials_work(fake: FakeTikTokThread, ctl: FakeTikTokControl) -> None:
    ctl.set_app("sbawkey", "sbawsecret")
    code = ctl.mint_code("fake-open-bob")  # bound to the new default app
    refused = oauth_error(token_call(fake, code="unknown", client_secret="sbawsecret"))
    assert refused[1] == "invalid_client"  # a secret belongs to its own key only
    assert oauth_error(token_call(fake, code=code))[2].endswith("issued to another client.")
    code = ctl.mint_code("fake-open-bob")
    ok = token_call(fake, code=code, client_key="sbawkey", client_secret="sbawsecret")
    assert ok.json()["open_id"] == "fake-open-bob"


def test_latency_delays_tiktok_endpoints_but_not_controls(monkeypatch) -> None:
    # The delays the app asks for are recorded instead of slept: what is checked is which
    # requests are delayed and by how much, not how fast this machine is.
    delays: list[float] = []
    monkeypatch.setattr(app_module, "time", SimpleNamespace(sleep=delays.append))
    with FakeTikTokThread(latency_ms=300) as slow:
        slow.control.mint_token("fake-open-alice")
        assert delays == []
        reply = requests.get(f"{slow.base_url}/v2/user/info/", timeout=10)
    assert reply.status_code == 401  # no token: answered after the delay, as usual
    assert delays == [0.3]


# -- the real process -------------------------------------------------------------------------


@pytest.mark.integration
def test_process_serves_the_fake_and_stops_cleanly() -> None:
    with FakeTikTokProcess(client_key="proc-key", client_secret="proc-secret") as proc:
        assert proc.base_url.startswith("http://127.0.0.1:")
        code = proc.control.mint_code("fake-open-alice")
        form = {"client_key": "proc-key", "client_secret": "proc-secret", "code": code}
        url = f"{proc.base_url}/v2/oauth/token/"
        response = requests.post(url, data=form | {"grant_type": "authorization_code"}, timeout=10)
        assert response.json()["open_id"] == "fake-open-alice"
    assert proc.returncode == 0
    log = proc.stderr_text()
    assert "POST /v2/oauth/token/ 200" in log and code not in log and "proc-secret" not in log


@pytest.mark.integration
def test_process_startup_failure_reports_the_process_stderr() -> None:
    process = FakeTikTokProcess(host="0.0.0.0")  # noqa: S104 (refused by the child)
    with pytest.raises(FakeTikTokStartupError, match="only listens on a loopback address"):
        process.start()
    assert process.returncode == 2


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])  # noqa: S104 (refused)
def test_cli_refuses_non_loopback_addresses(host: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tiktok_mobile_auth.testing", "--host", host, "--port", "0"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr and result.stdout == ""


def test_fake_imports_without_django() -> None:
    code = (
        "import sys, tiktok_mobile_auth.testing.app as app; "
        "assert callable(app.application); "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'requests')]"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
