"""Every sign-in and refused sign-in of a known TikTok identity is recorded, with the IP."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import BASE
from tests.support.tiktok import ALICE
from tiktok_mobile_auth.models import SignInEvent

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _raw_tokens(settings):
    # These tests are about the records, not token binding: accept any TikTok token.
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ACCESS_TOKEN_POLICY": "any"}


@pytest.fixture
def connect(api, tiktok):
    """``connect(**extra)``: Alice connects with a token TikTok issued her."""
    token = tiktok.mint_token("open-alice")

    def post(**extra):
        return api.post(f"{BASE}/connect", {"access_token": token}, format="json", **extra)

    return post


def events():
    return list(
        SignInEvent.objects.order_by("pk").values_list("outcome", "code", "flow", "ip_address")
    )


def test_sign_up_then_sign_in_are_recorded_with_the_client_ip(connect):
    connect(REMOTE_ADDR="198.51.100.7")
    connect(REMOTE_ADDR="198.51.100.8")
    assert events() == [
        ("success", "signed_up", "access_token", "198.51.100.7"),
        ("success", "signed_in", "access_token", "198.51.100.8"),
    ]
    assert {e.account.union_id for e in SignInEvent.objects.all()} == {ALICE["union_id"]}


def test_the_ip_comes_from_a_trusted_proxy_only(connect, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "TRUSTED_PROXIES": "10.0.0.1"}
    connect(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    connect(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert [e[3] for e in events()] == ["198.51.100.7", "203.0.113.5"]


def test_a_blocked_user_is_recorded_as_refused_on_their_account(connect):
    connect()
    User.objects.update(is_active=False)
    assert connect().status_code == 403
    last = SignInEvent.objects.order_by("pk").last()
    assert (last.outcome, last.code) == ("failure", "account_blocked")
    assert last.account is not None


def test_refusals_without_an_account_keep_the_union_id(connect, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ALLOW_REGISTRATION": False}
    assert connect().status_code == 403
    [event] = SignInEvent.objects.all()
    assert (event.outcome, event.code, event.union_id) == (
        "failure",
        "registration_closed",
        ALICE["union_id"],
    )
    assert event.account is None


def test_tiktok_failures_with_no_identity_are_not_recorded(api, tiktok):
    response = api.post(f"{BASE}/connect", {"access_token": "act.never-issued"}, format="json")
    assert response.status_code == 401  # refused by TikTok: no identity to record
    assert events() == []
