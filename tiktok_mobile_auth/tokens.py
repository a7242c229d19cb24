"""Our own tokens: SimpleJWT access + refresh pairs, single-use rotation, revocation.

SimpleJWT's stock refresh serializer crashes on a deleted user and lets two concurrent
refreshes of the same token both succeed; here a refresh token is spent exactly once
(its blacklist row is the lock) and refused for blocked or deleted users.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.views.decorators.debug import sensitive_variables
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import BlacklistMixin, RefreshToken, TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from .exceptions import AccountBlocked, SignInError
from .round_trips import insert_without_returning


class RefreshRefused(SignInError):
    code = "refresh_token_invalid"
    default_message = "The refresh token is invalid, expired or already used."


def issue_pair(user: AbstractBaseUser) -> dict[str, str]:
    """A new access + refresh pair for ``user``: ``{"jwt": ..., "refresh": ...}``, the
    refresh token recorded in SimpleJWT's outstanding tokens (so it can be revoked)."""
    # SimpleJWT's RefreshToken.for_user (its blacklist mixin) signs the refresh token once
    # to store it and the caller signs it again, and it reads the new row's id back, which
    # ends a batch's round trip (round_trips.one_round_trip). Here: the claims by SimpleJWT's
    # own Token.for_user (the method the mixin extends), one signature, and the same row
    # inserted without RETURNING. About 0.2 ms of CPU per sign-in (docs/PERFORMANCE.md).
    refresh = super(BlacklistMixin, RefreshToken).for_user(user)
    raw_refresh = str(refresh)
    outstanding = OutstandingToken(
        user=user,
        jti=refresh[api_settings.JTI_CLAIM],
        token=raw_refresh,
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    insert_without_returning(outstanding)
    return {"jwt": str(refresh.access_token), "refresh": raw_refresh}


class _UnspentCheckedLater(RefreshToken):
    """A refresh token whose blacklist check is left to :func:`_spend`, which does it
    atomically (a separate check-then-insert would let two concurrent refreshes pass)."""

    def check_blacklist(self) -> None:
        return None


@sensitive_variables("raw_refresh")
def _decode(raw_refresh: str) -> RefreshToken:
    try:
        return _UnspentCheckedLater(raw_refresh)  # checks signature, expiry and type
    except TokenError as err:
        raise RefreshRefused() from err


def _user_of(token: RefreshToken) -> AbstractBaseUser:
    user_id = token.payload.get(api_settings.USER_ID_CLAIM)
    user = get_user_model()._default_manager.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    if user is None:
        raise RefreshRefused("The account behind this refresh token no longer exists.")
    if not user.is_active:
        raise AccountBlocked()
    return user


def _spend(token: RefreshToken) -> bool:
    """Blacklist ``token``; False when it was already spent (by a concurrent request too)."""
    jti = token.payload[api_settings.JTI_CLAIM]
    outstanding = OutstandingToken.objects.filter(jti=jti).first()
    if outstanding is None:  # issued before the blacklist app was installed
        token.outstand()
        outstanding = OutstandingToken.objects.get(jti=jti)
    _row, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


@sensitive_variables("raw_refresh")
def rotate(raw_refresh: str) -> dict[str, str]:
    """Spend a refresh token and return a new pair.

    Raises :class:`RefreshRefused` (invalid, expired, used, user deleted) or
    :class:`AccountBlocked`.
    """
    token = _decode(raw_refresh)
    user = _user_of(token)
    with transaction.atomic():
        if not _spend(token):
            raise RefreshRefused()
        return issue_pair(user)


@sensitive_variables("raw_refresh")
def revoke(raw_refresh: str) -> None:
    """Make a refresh token unusable (logout). Revoking a spent token again is fine."""
    _spend(_decode(raw_refresh))


def revoke_all(user: AbstractBaseUser) -> int:
    """Spend every refresh token issued to ``user`` that is not spent yet; returns how many."""
    unspent = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in unspent]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
