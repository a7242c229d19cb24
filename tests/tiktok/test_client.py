"""The TikTok API client: what it sends, what it parses, and how every failure is typed.

A unit test of the client and its reply parser, so TikTok's replies are written out here
with ``responses`` (tests/support/replies.py) to pin the exact wire format, byte by byte,
including replies no TikTok (and no fake) would send. Every flow test above this layer talks
to the real fake TikTok instead (tests/support/tiktok.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests

from tests.support.replies import REVOKE_URL, TOKEN_URL, USER_INFO_URL, token_reply, user_info_reply
from tests.support.tiktok import ALICE
from tiktok_mobile_auth import __version__
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.tiktok import (
    BASIC_FIELDS,
    PROFILE_FIELDS,
    STATS_FIELDS,
    TikTokBadResponse,
    TikTokClient,
    TikTokError,
    TikTokOAuthError,
    TikTokScopeError,
    TikTokTokenInvalid,
    TikTokUnavailable,
    fields_for_scopes,
    parse_scopes,
)

REDIRECT_URI = "https://cms.example.com/api/tiktok-auth-mobile/callback"


@pytest.fixture
def client() -> TikTokClient:
    return TikTokClient(get_config())


def exchange(client, code="code-1", **kwargs):
    return client.exchange_code(code, redirect_uri=REDIRECT_URI, **kwargs)


def sent_form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body, keep_blank_values=True, strict_parsing=True)


# -- exchange_code: what is sent ------------------------------------------------------


def test_exchange_posts_exactly_the_documented_form(client, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    exchange(client)

    request = tiktok_http.calls[0].request
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_form(tiktok_http.calls[0]) == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "code": ["code-1"],
        "grant_type": ["authorization_code"],
        "redirect_uri": [REDIRECT_URI],
    }


def test_exchange_sends_the_code_verifier_only_when_given(client, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    tiktok_http.post(TOKEN_URL, json=token_reply())
    exchange(client, code_verifier="v" * 43)
    exchange(client, code_verifier=None)

    assert sent_form(tiktok_http.calls[0])["code_verifier"] == ["v" * 43]
    assert "code_verifier" not in sent_form(tiktok_http.calls[1])


@pytest.mark.parametrize("code", ["a%2Ab*c~d", "a b+c", "%", "é&x=y"])
def test_the_code_is_sent_exactly_as_given(client, tiktok_http, code):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    exchange(client, code=code)
    assert sent_form(tiktok_http.calls[0])["code"] == [code]


def test_requests_carry_the_user_agent_and_the_configured_timeout(tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "TIMEOUT": (1.5, 7)}
    tiktok_http.post(TOKEN_URL, json=token_reply())
    TikTokClient(get_config()).exchange_code("c", redirect_uri=REDIRECT_URI)

    request = tiktok_http.calls[0].request
    assert request.headers["User-Agent"] == f"tiktok-mobile-auth/{__version__}"
    assert request.req_kwargs["timeout"] == (1.5, 7.0)


# -- exchange_code: what is parsed ----------------------------------------------------


def test_exchange_parses_the_grant_with_tiktoks_lifetimes(client, tiktok_http):
    reply = token_reply(
        expires_in=7200, refresh_expires_in=15552000, scope="user.info.basic, user.info.profile"
    )
    tiktok_http.post(TOKEN_URL, json=reply)
    grant = exchange(client)

    assert grant.access_token == "act.fresh-token"
    assert grant.open_id == "open-alice"
    assert grant.refresh_token == "rft.refresh"
    assert grant.expires_in == 7200
    assert grant.refresh_expires_in == 15552000
    assert grant.scopes == ("user.info.basic", "user.info.profile")


def test_the_grant_repr_hides_the_tokens(client, tiktok_http):
    tiktok_http.post(TOKEN_URL, json=token_reply())
    text = repr(exchange(client))
    assert "act.fresh-token" not in text
    assert "rft.refresh" not in text


# -- exchange_code: failures ----------------------------------------------------------

OAUTH_ERROR = {
    "error": "invalid_grant",
    "error_description": "Authorization code is expired.",
    "log_id": "log-oauth-1",
}


@pytest.mark.parametrize("status", [400, 401, 200])
def test_an_oauth_error_body_raises_oauth_error(client, tiktok_http, status):
    tiktok_http.post(TOKEN_URL, status=status, json=OAUTH_ERROR)
    with pytest.raises(TikTokOAuthError) as caught:
        exchange(client)
    assert caught.value.code == "invalid_grant"
    assert caught.value.description == "Authorization code is expired."
    assert caught.value.log_id == "log-oauth-1"
    assert caught.value.http_status == status


def test_a_4xx_without_an_error_field_is_still_an_oauth_error(client, tiktok_http):
    tiktok_http.post(TOKEN_URL, status=400, json={"log_id": "log-x"})
    with pytest.raises(TikTokOAuthError) as caught:
        exchange(client)
    assert caught.value.code == "invalid_request"
    assert caught.value.log_id == "log-x"


@pytest.mark.parametrize(
    "reply",
    [
        token_reply(access_token=None),
        token_reply(access_token=""),
        token_reply(access_token=123),
        token_reply(open_id=None),
        {"token_type": "Bearer"},
    ],
)
def test_a_200_without_access_token_or_open_id_is_a_bad_response(client, tiktok_http, reply):
    tiktok_http.post(TOKEN_URL, json=reply)
    with pytest.raises(TikTokBadResponse):
        exchange(client)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable(client, tiktok_http, status):
    tiktok_http.post(TOKEN_URL, status=status, body="<html>down</html>")
    with pytest.raises(TikTokUnavailable) as caught:
        exchange(client)
    assert caught.value.http_status == status
    assert caught.value.code == "tiktok_unavailable"


def test_429_is_unavailable_with_retry_after(client, tiktok_http):
    tiktok_http.post(
        TOKEN_URL,
        status=429,
        json={"error": "rate_limit_exceeded", "log_id": "log-429"},
        headers={"Retry-After": "12"},
    )
    with pytest.raises(TikTokUnavailable) as caught:
        exchange(client)
    assert caught.value.retry_after == 12
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.log_id == "log-429"


@pytest.mark.parametrize("header", ["soon", "Wed, 21 Oct 2026 07:28:00 GMT"])
def test_an_unreadable_retry_after_is_dropped(client, tiktok_http, header):
    tiktok_http.post(TOKEN_URL, status=429, body="", headers={"Retry-After": header})
    with pytest.raises(TikTokUnavailable) as caught:
        exchange(client)
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    "fault",
    [requests.ConnectTimeout("slow"), requests.ReadTimeout("slow"), requests.ConnectionError("x")],
)
def test_transport_faults_are_unavailable_and_chained(client, tiktok_http, fault):
    tiktok_http.post(TOKEN_URL, body=fault)
    with pytest.raises(TikTokUnavailable) as caught:
        exchange(client)
    assert caught.value.__cause__ is fault
    assert caught.value.http_status is None


@pytest.mark.parametrize("body", ["<html>hi</html>", "[1, 2]", '"text"', "null", "", b"\xff\xfe"])
def test_a_reply_that_is_not_a_json_object_is_a_bad_response(client, tiktok_http, body):
    tiktok_http.post(TOKEN_URL, status=200, body=body)
    with pytest.raises(TikTokBadResponse) as caught:
        exchange(client)
    assert caught.value.http_status == 200


def test_a_reply_over_the_size_limit_is_refused(tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "MAX_RESPONSE_BYTES": 100}
    tiktok_http.post(TOKEN_URL, json=token_reply(padding="x" * 200))
    with pytest.raises(TikTokBadResponse, match="larger than 100 bytes"):
        TikTokClient(get_config()).exchange_code("c", redirect_uri=REDIRECT_URI)


def test_a_reply_at_the_size_limit_is_read(tiktok_http, settings):
    reply = b'{"access_token": "act.a", "open_id": "o"}'
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "MAX_RESPONSE_BYTES": len(reply)}
    tiktok_http.post(TOKEN_URL, body=reply, content_type="application/json")
    grant = TikTokClient(get_config()).exchange_code("c", redirect_uri=REDIRECT_URI)
    assert grant.access_token == "act.a"


def test_error_classes_form_one_hierarchy():
    for cls in (TikTokUnavailable, TikTokBadResponse, TikTokOAuthError, TikTokTokenInvalid):
        assert issubclass(cls, TikTokError)


# -- get_user_info --------------------------------------------------------------------


def test_user_info_sends_the_bearer_token_and_fields(client, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    client.get_user_info("act.abc", fields=["open_id", "union_id"])

    request = tiktok_http.calls[0].request
    assert request.method == "GET"
    assert request.headers["Authorization"] == "Bearer act.abc"
    assert request.params == {"fields": "open_id,union_id"}
    assert request.req_kwargs["timeout"] == (3.05, 10.0)  # the default TIMEOUT


def test_user_info_parses_the_profile(client, tiktok_http):
    user = {**ALICE, "username": "alice.tt", "is_verified": True, "unknown_field": "x"}
    tiktok_http.get(USER_INFO_URL, json=user_info_reply(user))
    profile = client.get_user_info("act.abc", fields=BASIC_FIELDS)

    assert profile.open_id == "open-alice"
    assert profile.union_id == "Union-Alice-123"
    assert profile.display_name == "Alice"
    assert profile.avatar_url == "https://cdn.example/alice.jpg"
    assert profile.username == "alice.tt"
    assert profile.fields["is_verified"] is True
    assert "unknown_field" not in profile.fields


@pytest.mark.parametrize("union_id", [None, "", "   ", 42])
def test_a_missing_or_empty_union_id_is_none(client, tiktok_http, union_id):
    user = {k: v for k, v in ALICE.items() if k != "union_id"}
    if union_id is not None:
        user["union_id"] = union_id
    tiktok_http.get(USER_INFO_URL, json=user_info_reply(user))
    assert client.get_user_info("act.abc", fields=BASIC_FIELDS).union_id is None


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "access_token_invalid", TikTokTokenInvalid),
        (200, "access_token_invalid", TikTokTokenInvalid),
        (401, "scope_not_authorized", TikTokScopeError),
        (400, "scope_permission_missed", TikTokScopeError),
    ],
)
def test_user_info_error_codes_map_to_typed_errors(client, tiktok_http, status, code, cls):
    tiktok_http.get(USER_INFO_URL, status=status, json=user_info_reply(code=code, message="m"))
    with pytest.raises(cls) as caught:
        client.get_user_info("act.abc", fields=BASIC_FIELDS)
    assert caught.value.code == code
    assert caught.value.log_id == "log-err"
    assert caught.value.http_status == status


def test_other_user_info_errors_are_the_base_error(client, tiktok_http):
    tiktok_http.get(
        USER_INFO_URL, status=400, json=user_info_reply(code="invalid_params", message="bad")
    )
    with pytest.raises(TikTokError) as caught:
        client.get_user_info("act.abc", fields=BASIC_FIELDS)
    assert type(caught.value) is TikTokError
    assert caught.value.code == "invalid_params"
    assert caught.value.description == "bad"


@pytest.mark.parametrize(
    "reply",
    [
        {"data": {"user": ALICE}},
        {"data": {"user": ALICE}, "error": "ok"},
        {"data": {}, "error": {"code": "ok"}},
        {"data": {"user": {**ALICE, "open_id": ""}}, "error": {"code": "ok"}},
        {"data": [ALICE], "error": {"code": "ok"}},
    ],
)
def test_user_info_of_the_wrong_shape_is_a_bad_response(client, tiktok_http, reply):
    tiktok_http.get(USER_INFO_URL, json=reply)
    with pytest.raises(TikTokBadResponse):
        client.get_user_info("act.abc", fields=BASIC_FIELDS)


def test_user_info_5xx_is_unavailable_with_tiktoks_code(client, tiktok_http):
    tiktok_http.get(USER_INFO_URL, status=500, json=user_info_reply(code="internal_error"))
    with pytest.raises(TikTokUnavailable) as caught:
        client.get_user_info("act.abc", fields=BASIC_FIELDS)
    assert caught.value.code == "internal_error"
    assert caught.value.log_id == "log-err"


# -- helpers and pooling --------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "fields"),
    [
        ([], BASIC_FIELDS),
        (["user.info.basic"], BASIC_FIELDS),
        (["user.info.profile"], BASIC_FIELDS + PROFILE_FIELDS),
        (["user.info.stats", "user.info.basic"], BASIC_FIELDS + STATS_FIELDS),
        (["video.list", "xxuser.info.profilexx"], BASIC_FIELDS),
    ],
)
def test_fields_for_scopes(scopes, fields):
    assert fields_for_scopes(scopes) == fields


@pytest.mark.parametrize(
    ("value", "scopes"),
    [
        ("user.info.basic,user.info.profile", ("user.info.basic", "user.info.profile")),
        (" user.info.basic , ,video.list ", ("user.info.basic", "video.list")),
        ("xxuser.info.basicxx", ("xxuser.info.basicxx",)),
        ("", ()),
        (None, ()),
        (["user.info.basic"], ()),
    ],
)
def test_parse_scopes_gives_exact_items(value, scopes):
    assert parse_scopes(value) == scopes


def test_a_substring_is_not_a_granted_scope():
    assert "user.info.basic" not in parse_scopes("xxuser.info.basicxx,user.info.basic2")


def test_clients_share_one_pooled_session(tiktok_http):
    seen: list[str] = []
    hooks = TikTokClient(get_config()).session.hooks["response"]
    hooks.append(lambda response, *args, **kwargs: seen.append(response.url))
    try:
        tiktok_http.post(TOKEN_URL, json=token_reply())
        TikTokClient(get_config()).exchange_code("c", redirect_uri=REDIRECT_URI)
    finally:
        hooks.pop()
    assert seen == [TOKEN_URL]  # another client's call went through the first one's session


def test_a_given_session_is_used(tiktok_http):
    session = requests.Session()
    tiktok_http.post(TOKEN_URL, json=token_reply())
    seen: list[str] = []
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response.url))
    TikTokClient(get_config(), session=session).exchange_code("c", redirect_uri=REDIRECT_URI)
    assert seen == [TOKEN_URL]
    assert "tiktok-mobile-auth" not in tiktok_http.calls[0].request.headers["User-Agent"]


# -- 429 from user info: one bounded retry -------------------------------------------------


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The waits the client asked for, without waiting."""
    waited: list[float] = []
    monkeypatch.setattr("tiktok_mobile_auth.tiktok.client._sleep", waited.append)
    return waited


def rate_limited(retry_after: str | None = None) -> dict:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = user_info_reply(code="rate_limit_exceeded")
    return {"status": 429, "json": body, "headers": headers}


@pytest.mark.parametrize("retry_after", ["0", "1", "2"])
def test_a_short_429_from_user_info_is_retried_once_after_the_wait(
    client, tiktok_http, sleeps, retry_after
):
    tiktok_http.get(USER_INFO_URL, **rate_limited(retry_after))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    profile = client.get_user_info("act.x", fields=BASIC_FIELDS)
    assert profile.open_id == ALICE["open_id"]
    assert sleeps == [int(retry_after)]
    assert len(tiktok_http.calls) == 2
    assert tiktok_http.calls[1].request.headers["Authorization"] == "Bearer act.x"


def test_a_second_429_is_not_retried_again(client, tiktok_http, sleeps):
    tiktok_http.get(USER_INFO_URL, **rate_limited("1"))
    tiktok_http.get(USER_INFO_URL, **rate_limited("1"))
    with pytest.raises(TikTokUnavailable) as caught:
        client.get_user_info("act.x", fields=BASIC_FIELDS)
    assert caught.value.retry_after == 1
    assert sleeps == [1]
    assert len(tiktok_http.calls) == 2


@pytest.mark.parametrize("retry_after", [None, "3", "3600", "soon"])
def test_a_long_or_unknown_wait_is_not_retried(client, tiktok_http, sleeps, retry_after):
    tiktok_http.get(USER_INFO_URL, **rate_limited(retry_after))
    with pytest.raises(TikTokUnavailable):
        client.get_user_info("act.x", fields=BASIC_FIELDS)
    assert sleeps == []
    assert len(tiktok_http.calls) == 1


def test_a_5xx_from_user_info_is_not_retried(client, tiktok_http, sleeps):
    tiktok_http.get(USER_INFO_URL, status=503, body="down", headers={"Retry-After": "1"})
    with pytest.raises(TikTokUnavailable):
        client.get_user_info("act.x", fields=BASIC_FIELDS)
    assert sleeps == []


def test_the_token_exchange_is_never_retried(client, tiktok_http, sleeps):
    # A code is single-use: sending it twice could only fail (or be abused).
    tiktok_http.post(TOKEN_URL, status=429, body="", headers={"Retry-After": "0"})
    with pytest.raises(TikTokUnavailable):
        exchange(client)
    assert sleeps == []
    assert len(tiktok_http.calls) == 1


# -- refresh and revoke -------------------------------------------------------------------


def test_refresh_posts_the_documented_form_and_parses_the_rotated_pair(client, tiktok_http):
    reply = token_reply(access_token="act.new", refresh_token="rft.new", expires_in=7200)
    tiktok_http.post(TOKEN_URL, json=reply)
    grant = client.refresh("rft.old")

    request = tiktok_http.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_form(tiktok_http.calls[0]) == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "grant_type": ["refresh_token"],
        "refresh_token": ["rft.old"],
    }
    assert (grant.access_token, grant.refresh_token, grant.expires_in) == (
        "act.new",
        "rft.new",
        7200,
    )


@pytest.mark.parametrize("status", [200, 400])
def test_a_refused_refresh_raises_oauth_error_naming_the_refresh_token(client, tiktok_http, status):
    tiktok_http.post(TOKEN_URL, status=status, json={"error": "invalid_grant", "log_id": "log-r"})
    with pytest.raises(TikTokOAuthError) as caught:
        client.refresh("rft.old")
    assert caught.value.code == "invalid_grant"
    assert caught.value.log_id == "log-r"
    assert "refresh token" in caught.value.description


def test_the_refresh_is_never_retried(client, tiktok_http, sleeps):
    # TikTok rotates refresh tokens: a second attempt could spend a token already rotated.
    tiktok_http.post(TOKEN_URL, status=429, body="", headers={"Retry-After": "0"})
    with pytest.raises(TikTokUnavailable):
        client.refresh("rft.old")
    assert sleeps == []
    assert len(tiktok_http.calls) == 1


@pytest.mark.parametrize("reply", [{"json": {}}, {"body": ""}, {"json": {"error": ""}}])
def test_revoke_posts_the_documented_form_and_accepts_an_empty_success(client, tiktok_http, reply):
    tiktok_http.post(REVOKE_URL, **reply)
    assert client.revoke("act.live") is None
    assert (
        tiktok_http.calls[0].request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    )
    assert sent_form(tiktok_http.calls[0]) == {
        "client_key": ["test-client-key"],
        "client_secret": ["test-client-secret"],
        "token": ["act.live"],
    }


@pytest.mark.parametrize("status", [200, 400, 401])
def test_a_refused_revoke_raises_oauth_error(client, tiktok_http, status):
    body = {"error": "invalid_request", "error_description": "expired", "log_id": "log-v"}
    tiktok_http.post(REVOKE_URL, status=status, json=body)
    with pytest.raises(TikTokOAuthError) as caught:
        client.revoke("act.dead")
    assert (caught.value.code, caught.value.log_id) == ("invalid_request", "log-v")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ({"status": 503, "body": "down"}, TikTokUnavailable),
        ({"status": 200, "body": "<html>"}, TikTokBadResponse),
        ({"status": 400, "body": ""}, TikTokBadResponse),
    ],
)
def test_revoke_faults_are_typed(client, tiktok_http, reply, error):
    tiktok_http.post(REVOKE_URL, **reply)
    with pytest.raises(error):
        client.revoke("act.live")
