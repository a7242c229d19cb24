"""Every sign-in and refused sign-in of a known TikTok identity is recorded, with the IP."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import BASE
from tests.support.replies import USER_INFO_URL, user_info_reply
from tests.support.tiktok import ALICE
from tiktok_mobile_auth.models import SignInEvent

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _raw_tokens(settings):
    # These tests are about the records, not token binding: accept any TikTok token.
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ACCESS_TOKEN_POLICY": "any"}


def connect(api, **extra):
    return api.post(f"{BASE}/connect", {"access_token": "act.x"}, format="json", **extra)


def events():
    return list(
        SignInEvent.objects.order_by("pk").values_list("outcome", "code", "flow", "ip_address")
    )


def test_sign_up_then_sign_in_are_recorded_with_the_client_ip(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    connect(api, REMOTE_ADDR="198.51.100.7")
    connect(api, REMOTE_ADDR="198.51.100.8")
    assert events() == [
        ("success", "signed_up", "access_token", "198.51.100.7"),
        ("success", "signed_in", "access_token", "198.51.100.8"),
    ]
    assert {e.account.union_id for e in SignInEvent.objects.all()} == {ALICE["union_id"]}


def test_the_ip_comes_from_a_trusted_proxy_only(api, tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "TRUSTED_PROXIES": "10.0.0.1"}
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    connect(api, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    connect(api, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert [e[3] for e in events()] == ["198.51.100.7", "203.0.113.5"]


def test_a_blocked_user_is_recorded_as_refused_on_their_account(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    connect(api)
    User.objects.update(is_active=False)
    assert connect(api).status_code == 403
    last = SignInEvent.objects.order_by("pk").last()
    assert (last.outcome, last.code) == ("failure", "account_blocked")
    assert last.account is not None


def test_refusals_without_an_account_keep_the_union_id(api, tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ALLOW_REGISTRATION": False}
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    assert connect(api).status_code == 403
    [event] = SignInEvent.objects.all()
    assert (event.outcome, event.code, event.union_id) == (
        "failure",
        "registration_closed",
        ALICE["union_id"],
    )
    assert event.account is None


def test_tiktok_failures_with_no_identity_are_not_recorded(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, status=401, json=user_info_reply(code="access_token_invalid"))
    assert connect(api).status_code == 401
    assert events() == []
