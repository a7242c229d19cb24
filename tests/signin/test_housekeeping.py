"""Which rows the housekeeping deletes at a given moment, at the boundaries, with literal
times; and that what it keeps still does its job (reuse detection, a revoked session)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from tests.support.api import BASE, configure, connect_token, error_of, refresh
from tests.support.tiktok import mint
from tiktok_mobile_auth import signals
from tiktok_mobile_auth.models import (
    LoginAttempt,
    MintedToken,
    RateCounter,
    RefreshTokenFamily,
    SignInEvent,
)
from tiktok_mobile_auth.signin import housekeeping

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def doomed(now: datetime = NOW) -> dict[str, set]:
    """What ``due(now)`` would delete: per model name, the rows' primary keys."""
    return {
        rows.model.__name__: set(rows.values_list("pk", flat=True))
        for rows in housekeeping.due(now)
    }


def family(expires_at: datetime, *, revoked: bool = False) -> uuid.UUID:
    user, _ = get_user_model().objects.get_or_create(username="alice")
    row = RefreshTokenFamily.objects.create(
        user=user,
        current_jti=uuid.uuid4().hex,
        created_at=expires_at - timedelta(days=30),
        expires_at=expires_at,
        revoked_at=expires_at - timedelta(days=1) if revoked else None,
        revoke_reason="logout" if revoked else "",
    )
    return row.pk


def test_a_family_goes_once_its_last_token_is_refused_revoked_or_not():
    gone = {
        family(NOW - SECOND),
        family(NOW),  # SimpleJWT refuses a token whose exp is now
        family(NOW - SECOND, revoked=True),
    }
    kept = {family(NOW + SECOND), family(NOW + timedelta(days=20), revoked=True)}
    assert doomed()["RefreshTokenFamily"] == gone
    assert not kept & doomed()["RefreshTokenFamily"]


def test_simplejwts_leeway_keeps_a_family_as_long_as_its_tokens_are_accepted(monkeypatch):
    monkeypatch.setattr(housekeeping.token_backend, "leeway", 30)
    still_accepted = family(NOW - timedelta(seconds=29))
    refused = family(NOW - timedelta(seconds=30))
    assert doomed()["RefreshTokenFamily"] == {refused}
    assert still_accepted in set(RefreshTokenFamily.objects.values_list("pk", flat=True))


def attempt(name: str, expires_at: datetime, *, spent: bool) -> int:
    return LoginAttempt.objects.create(
        state_hash=name.ljust(64, "0"),
        code_verifier_encrypted="x",
        expires_at=expires_at,
        used_at=expires_at - timedelta(minutes=5) if spent else None,
    ).pk


def test_login_attempts_go_an_hour_after_they_expired_spent_or_not():
    hour = timedelta(hours=1)
    gone = {
        attempt("a", NOW - hour - SECOND, spent=False),
        attempt("b", NOW - hour - SECOND, spent=True),
    }
    attempt("c", NOW - hour, spent=True)  # a replay now is still told "spent"
    attempt("d", NOW + timedelta(minutes=5), spent=True)  # spent, not even expired
    attempt("e", NOW + timedelta(minutes=5), spent=False)
    assert doomed()["LoginAttempt"] == gone


def test_minted_records_and_throttle_counters_go_once_expired():
    old_token = MintedToken.objects.create(
        token_hash="a" * 64, open_id="o", expires_at=NOW - SECOND
    ).pk
    MintedToken.objects.create(token_hash="b" * 64, open_id="o", expires_at=NOW)
    RateCounter.objects.create(key="connect:120/60:192.0.2.1:1", expires_at=NOW - SECOND)
    RateCounter.objects.create(key="connect:120/60:192.0.2.1:2", expires_at=NOW)
    rows = doomed()
    assert rows["MintedToken"] == {old_token}
    assert rows["RateCounter"] == {"connect:120/60:192.0.2.1:1"}


def event(created_at: datetime) -> int:
    row = SignInEvent.objects.create(union_id="u", outcome=SignInEvent.SUCCESS)
    SignInEvent.objects.filter(pk=row.pk).update(created_at=created_at)  # auto_now_add
    return row.pk


def test_sign_in_events_go_after_the_retention_365_days_by_default():
    old = event(NOW - timedelta(days=365) - SECOND)
    event(NOW - timedelta(days=365))
    event(NOW - timedelta(days=1))
    assert doomed()["SignInEvent"] == {old}


def test_the_retention_is_a_setting_and_0_keeps_the_events_forever(settings):
    event(NOW - timedelta(days=3650))
    recent = event(NOW - timedelta(days=31))
    configure(settings, SIGN_IN_EVENT_RETENTION_DAYS="30")  # as the environment gives it
    assert recent in doomed()["SignInEvent"]
    configure(settings, SIGN_IN_EVENT_RETENTION_DAYS=0)
    assert "SignInEvent" not in doomed()


def test_a_retention_that_is_not_a_number_is_a_configuration_error(settings):
    configure(settings, SIGN_IN_EVENT_RETENTION_DAYS="a year")
    with pytest.raises(ImproperlyConfigured, match="SIGN_IN_EVENT_RETENTION_DAYS"):
        housekeeping.due(NOW)


def test_the_blacklist_app_is_skipped_when_not_installed():
    assert set(doomed()) == {
        "RefreshTokenFamily",
        "LoginAttempt",
        "MintedToken",
        "RateCounter",
        "SignInEvent",
    }


# -- what stays still works -------------------------------------------------------------


@pytest.fixture
def signed_in(api, tiktok):
    access_token = tiktok.token_pair()["access_token"]
    mint(access_token)
    response = connect_token(api, access_token)
    assert response.status_code == 200
    return response.json()


def test_after_a_cleanup_a_replaced_refresh_token_is_still_caught_as_a_reuse(api, signed_in):
    assert refresh(api, signed_in["refresh"]).status_code == 200  # rotated: the first is spent
    call_command("tiktok_auth_cleanup")
    reused = []

    def receiver(family, **kwargs):
        reused.append(family.pk)

    signals.refresh_token_reused.connect(receiver)
    try:
        response = refresh(api, signed_in["refresh"])
    finally:
        signals.refresh_token_reused.disconnect(receiver)
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "refresh_token_invalid"
    family_row = RefreshTokenFamily.objects.get()
    assert (family_row.revoke_reason, reused) == ("reuse", [family_row.pk])


def test_after_a_cleanup_a_logged_out_session_stays_refused(api, signed_in):
    logout = api.post(f"{BASE}/logout", {"refresh": signed_in["refresh"]}, format="json")
    assert logout.status_code == 204
    call_command("tiktok_auth_cleanup")
    assert RefreshTokenFamily.objects.get().revoke_reason == "logout"  # kept until it expires
    response = refresh(api, signed_in["refresh"])
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "refresh_token_invalid"
