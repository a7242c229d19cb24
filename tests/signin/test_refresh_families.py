"""Refresh-token families: reuse detection (RFC 9700 section 4.14.2), logout, block.

A thief who copied a refresh token and the app race to use it; whoever comes second presents
a token that was already replaced. The whole family (the session) is then revoked: the
winner's new token dies too, so the thief keeps nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.support.api import BASE, configure, error_of, me, refresh, sign_in
from tiktok_mobile_auth import signals
from tiktok_mobile_auth.models import RefreshTokenFamily
from tiktok_mobile_auth.signin import accounts

pytestmark = pytest.mark.django_db
User = get_user_model()


def logout(api, token: str):
    return api.post(f"{BASE}/logout", {"refresh": token}, format="json")


@pytest.fixture
def reused(monkeypatch):
    """The refresh_token_reused signals sent during the test."""
    sent: list[dict] = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    signals.refresh_token_reused.connect(receiver, dispatch_uid="test-reused")
    yield sent
    signals.refresh_token_reused.disconnect(dispatch_uid="test-reused")


def test_a_replaced_token_presented_again_revokes_the_whole_family(api, tiktok, reused, caplog):
    stolen = sign_in(api, tiktok)["refresh"]
    app = refresh(api, stolen).json()  # the app refreshes first ...
    with caplog.at_level(logging.WARNING, logger="tiktok_mobile_auth"):
        thief = refresh(api, stolen)  # ... then the thief presents the copied token
    assert thief.status_code == 401
    assert error_of(thief)["details"]["code"] == "refresh_token_invalid"
    family = RefreshTokenFamily.objects.get()
    assert family.revoked_at is not None and family.revoke_reason == "reuse"
    # The winner's token is dead too: nobody holding this family's tokens can go on.
    assert refresh(api, app["refresh"]).status_code == 401
    assert [(event["family"].pk, event["user"]) for event in reused] == [
        (family.pk, User.objects.get())
    ]
    assert "reuse" in caplog.text
    assert stolen not in caplog.text and app["refresh"] not in caplog.text


def test_a_thief_who_refreshes_first_loses_the_session_when_the_app_comes_back(api, tiktok):
    original = sign_in(api, tiktok)["refresh"]
    thief = refresh(api, original).json()
    assert refresh(api, original).status_code == 401  # the app, second: a reuse
    assert refresh(api, thief["refresh"]).status_code == 401  # the thief's new token is dead


def test_reuse_revokes_only_that_sign_in(api, tiktok):
    phone = sign_in(api, tiktok)
    tablet = sign_in(api, tiktok)
    refresh(api, phone["refresh"])
    assert refresh(api, phone["refresh"]).status_code == 401
    assert refresh(api, tablet["refresh"]).status_code == 200
    assert RefreshTokenFamily.objects.filter(revoked_at__isnull=True).count() == 1


def test_within_the_grace_period_a_retried_refresh_is_refused_but_the_session_lives(
    api, tiktok, settings, reused
):
    configure(settings, REFRESH_REUSE_GRACE=30)
    first = sign_in(api, tiktok)["refresh"]
    answer_lost = refresh(api, first).json()
    retried = refresh(api, first)
    assert retried.status_code == 401
    assert RefreshTokenFamily.objects.get().revoked_at is None
    assert refresh(api, answer_lost["refresh"]).status_code == 200
    assert reused == []


def test_after_the_grace_period_a_reuse_revokes(api, tiktok, settings):
    configure(settings, REFRESH_REUSE_GRACE=30)
    first = sign_in(api, tiktok)["refresh"]
    second = refresh(api, first).json()
    RefreshTokenFamily.objects.update(rotated_at=timezone.now() - timedelta(seconds=31))
    assert refresh(api, first).status_code == 401
    assert RefreshTokenFamily.objects.get().revoke_reason == "reuse"
    assert refresh(api, second["refresh"]).status_code == 401


def test_the_grace_period_covers_only_the_token_replaced_last(api, tiktok, settings):
    configure(settings, REFRESH_REUSE_GRACE=30)
    first = sign_in(api, tiktok)["refresh"]
    second = refresh(api, first).json()["refresh"]
    refresh(api, second)
    assert refresh(api, first).status_code == 401  # two rotations ago: a reuse
    assert RefreshTokenFamily.objects.get().revoke_reason == "reuse"


def test_logout_with_any_token_of_the_family_ends_the_session(api, tiktok):
    first = sign_in(api, tiktok)["refresh"]
    current = refresh(api, first).json()["refresh"]
    assert logout(api, first).status_code == 204
    assert refresh(api, current).status_code == 401
    family = RefreshTokenFamily.objects.get()
    assert family.revoke_reason == "logout"


def test_logout_ends_only_its_own_session(api, tiktok):
    phone = sign_in(api, tiktok)
    tablet = sign_in(api, tiktok)
    assert logout(api, phone["refresh"]).status_code == 204
    assert refresh(api, phone["refresh"]).status_code == 401
    assert refresh(api, tablet["refresh"]).status_code == 200


def test_blocking_revokes_every_session_for_good(api, tiktok):
    phone = sign_in(api, tiktok)
    tablet = sign_in(api, tiktok)
    user = User.objects.get()
    accounts.set_blocked(user, True)
    blocked = refresh(api, phone["refresh"])
    assert blocked.status_code == 403
    assert error_of(blocked)["details"]["code"] == "account_blocked"
    assert set(RefreshTokenFamily.objects.values_list("revoke_reason", flat=True)) == {"blocked"}
    assert me(api, tablet["jwt"]).status_code == 403
    accounts.set_blocked(user, False)
    assert refresh(api, phone["refresh"]).status_code == 401
    assert refresh(api, tablet["refresh"]).status_code == 401
    assert me(api, tablet["jwt"]).status_code == 200  # unblocked: a valid access JWT works


def test_a_user_deactivated_outside_the_plugin_cannot_refresh(api, tiktok):
    session = sign_in(api, tiktok)
    User.objects.update(is_active=False)  # e.g. Django's own admin, no revocation
    response = refresh(api, session["refresh"])
    assert response.status_code == 403
    assert error_of(response)["details"]["code"] == "account_blocked"
    assert RefreshTokenFamily.objects.get().revoked_at is None  # not taken for a reuse


@pytest.mark.parametrize("family", [None, 42, "not-a-uuid", ["x"]])
def test_a_refresh_token_signed_without_a_family_is_refused(api, tiktok, family):
    from rest_framework_simplejwt.tokens import RefreshToken

    sign_in(api, tiktok)
    token = RefreshToken.for_user(User.objects.get())  # our key: an older version's token
    if family is not None:
        token["fam"] = family
    for path in ("token/refresh", "logout"):
        response = api.post(f"{BASE}/{path}", {"refresh": str(token)}, format="json")
        assert response.status_code == 401
        assert error_of(response)["details"]["code"] == "refresh_token_invalid"
    assert RefreshTokenFamily.objects.get().revoked_at is None
