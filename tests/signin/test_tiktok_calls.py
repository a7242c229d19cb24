"""The TikTok client as the sign-in uses it: its hook runs before every request to TikTok,
and TikTok refusing our own credentials is this server's misconfiguration."""

from __future__ import annotations

import json

import pytest

from tests.support.replies import USER_INFO_URL, user_info_reply
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.exceptions import NotConfigured
from tiktok_mobile_auth.signin import tiktok_calls
from tiktok_mobile_auth.tiktok import TikTokClient, TikTokOAuthError


def test_the_hook_runs_before_each_request_to_tiktok(tiktok_http):
    events = []

    def answer(request):  # runs once per request TikTok receives
        events.append("request")
        return 200, {}, json.dumps(user_info_reply())

    tiktok_http.add_callback("GET", USER_INFO_URL, callback=answer)
    client = TikTokClient(get_config(), before_call=lambda: events.append("hook"))
    client.get_user_info("act.x", fields=("open_id",))
    client.ping()
    assert events == ["hook", "request", "hook", "request"]


def test_the_sign_ins_client_releases_pooled_connections_first(tiktok_http, monkeypatch):
    events = []
    monkeypatch.setattr(
        tiktok_calls, "release_idle_pooled_connections", lambda: events.append("released")
    )
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_calls.tiktok_client(get_config()).get_user_info("act.x", fields=("open_id",))
    assert events == ["released"]


def test_tiktok_refusing_our_client_key_is_a_misconfiguration():
    with (
        pytest.raises(NotConfigured) as raised,
        tiktok_calls.credentials_refusal_is_misconfiguration(),
    ):
        raise TikTokOAuthError("Client key or secret is incorrect.", code="invalid_client")
    assert "TIKTOK_CLIENT_KEY" in raised.value.message
    assert isinstance(raised.value.__cause__, TikTokOAuthError)


def test_other_refusals_pass_through():
    with (
        pytest.raises(TikTokOAuthError) as raised,
        tiktok_calls.credentials_refusal_is_misconfiguration(),
    ):
        raise TikTokOAuthError("The code has expired.", code="invalid_grant")
    assert raised.value.code == "invalid_grant"
