"""Our own tokens: SimpleJWT access + refresh pairs, rotated in families with reuse detection.

Each sign-in starts a **family** (:class:`~.models.RefreshTokenFamily`): a chain of refresh
tokens of which exactly one, the last issued, may be used. The database keeps only that
token's ``jti`` (no token: a dump of the table holds nothing usable), and each refresh token
carries its family's id in the ``fam`` claim. A refresh replaces the family's ``jti`` in one
conditional ``UPDATE`` (so of two concurrent refreshes exactly one wins) and returns a new
pair. A refresh token of the family that was already replaced is a **reuse** (RFC 9700
section 4.14.2): either a thief or the app is holding a stolen copy, and we cannot tell
which, so the whole family is revoked, the :data:`~.signals.refresh_token_reused` signal is
sent and a warning is logged (without any token). ``REFRESH_REUSE_GRACE`` (seconds, 0 by
default) lets the token replaced last be presented again within that time without revoking,
for an app whose refresh answer was lost; it is then refused, nothing more.

Logout revokes the family of the token presented; blocking a user and unlinking TikTok
revoke every family of the user (:func:`revoke_all`). A revoked family never comes back, so
a session ended by a block stays ended after an unblock.

SimpleJWT's own blacklist app (``OutstandingToken`` stores every refresh token in full) is
not used; tokens are signed and verified with SimpleJWT's ``Token`` and its settings.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token, TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth import signals
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.exceptions import AccountBlocked, SignInError
from tiktok_mobile_auth.models import RefreshTokenFamily

logger = logging.getLogger(__name__)

FAMILY_CLAIM = "fam"
REVOKED_BY_LOGOUT = "logout"
REVOKED_BY_REUSE = "reuse"
REVOKED_BY_BLOCK = "blocked"
REVOKED_BY_UNLINK = "unlinked"


class RefreshRefused(SignInError):
    code = codes.REFRESH_TOKEN_INVALID  # its status and message: error_codes


class SessionRefreshToken(Token):
    """SimpleJWT's refresh token without the blacklist app's bookkeeping (a family replaces
    it): the same claims, type and lifetime, and the same access token derived from it."""

    token_type = "refresh"  # noqa: S105 (a claim value, not a secret)
    no_copy_claims = RefreshToken.no_copy_claims

    @property
    def lifetime(self) -> timedelta:  # read at use, so a changed SIMPLE_JWT setting applies
        return api_settings.REFRESH_TOKEN_LIFETIME

    @property
    def access_token(self) -> AccessToken:
        """The access token of the pair, as SimpleJWT's ``RefreshToken`` derives it: this
        token's claims but its type, expiry and jti, expiring relative to the same moment."""
        access = AccessToken()
        access.set_exp(from_time=self.current_time)
        for claim, value in self.payload.items():
            if claim not in self.no_copy_claims:
                access[claim] = value
        return access


def _pair(refresh: SessionRefreshToken) -> dict[str, str]:
    return {"jwt": str(refresh.access_token), "refresh": str(refresh)}


def _jti(token: Token) -> str:
    return str(token[api_settings.JTI_CLAIM])


def start_family(user: AbstractBaseUser) -> dict[str, str]:
    """A new family for ``user`` and its first pair: ``{"jwt": ..., "refresh": ...}``.

    The caller decides in which transaction (sessions.py: with the user locked, so that a
    concurrent block revokes this family too)."""
    refresh = SessionRefreshToken.for_user(user)
    family = RefreshTokenFamily(
        user=user,
        current_jti=_jti(refresh),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    family.save(force_insert=True)  # a new id of ours (uuid4): never an UPDATE first
    refresh[FAMILY_CLAIM] = family.pk.hex
    return _pair(refresh)


@sensitive_variables("raw_refresh")
def _decode(raw_refresh: str) -> SessionRefreshToken:
    try:
        token = SessionRefreshToken(raw_refresh)  # checks signature, expiry and type
    except TokenError as err:
        raise RefreshRefused() from err
    family = token.get(FAMILY_CLAIM)
    try:
        uuid.UUID(hex=family if isinstance(family, str) else "")
    except ValueError as err:  # not issued in a family (an older version's token)
        raise RefreshRefused() from err
    return token


def _successor(token: SessionRefreshToken) -> SessionRefreshToken:
    """A new refresh token with ``token``'s claims (user, family), a new jti and expiry."""
    new = SessionRefreshToken()
    for claim, value in token.payload.items():
        if claim not in new.no_copy_claims:
            new[claim] = value
    return new


@sensitive_variables("raw_refresh")
def rotate(raw_refresh: str) -> dict[str, str]:
    """Spend a refresh token and return a new pair of the same family.

    One ``UPDATE`` does it: the family must exist (its user too), be unrevoked, belong to an
    active user and still expect this very token. Otherwise, found out afterwards: raises
    :class:`AccountBlocked` for an inactive user, and :class:`RefreshRefused` for anything
    else, after revoking the family when the token was already replaced (a reuse).
    """
    token = _decode(raw_refresh)
    new = _successor(token)
    # Every condition on the family's own row, so that PostgreSQL re-checks them on the row a
    # concurrent refresh just updated (a join would be checked against the old snapshot).
    active_user = get_user_model()._default_manager.filter(pk=OuterRef("user_id"), is_active=True)
    won = RefreshTokenFamily.objects.filter(
        Exists(active_user),
        pk=token[FAMILY_CLAIM],
        current_jti=_jti(token),
        revoked_at__isnull=True,
    ).update(
        current_jti=_jti(new),
        previous_jti=_jti(token),
        rotated_at=timezone.now(),
        expires_at=datetime_from_epoch(new["exp"]),
    )
    if not won:
        _refuse(token)
    return _pair(new)


def _refuse(token: SessionRefreshToken) -> None:
    """Why the refresh with ``token`` lost, as an error; a reuse revokes the family first."""
    family = (
        RefreshTokenFamily.objects.select_related("user").filter(pk=token[FAMILY_CLAIM]).first()
    )
    if family is None:  # the user was deleted (families go with it)
        raise RefreshRefused("The account behind this refresh token no longer exists.")
    if not family.user.is_active:  # told first: the app can say why
        raise AccountBlocked()
    if family.revoked_at is not None:
        raise RefreshRefused()
    if _within_grace(family, _jti(token)):
        raise RefreshRefused()  # a retry of the last refresh: refused, the family lives on
    _revoke_family(family.pk, REVOKED_BY_REUSE)
    logger.warning(
        "Refresh token reuse: a replaced refresh token of family %s (user %s) was presented "
        "again; the family is revoked.",
        family.pk,
        family.user_id,
    )
    signals.refresh_token_reused.send(RefreshTokenFamily, family=family, user=family.user)
    raise RefreshRefused()


def _within_grace(family: RefreshTokenFamily, jti: str) -> bool:
    grace = get_config().refresh_reuse_grace
    if grace <= 0 or family.previous_jti != jti or family.rotated_at is None:
        return False
    return timezone.now() - family.rotated_at <= timedelta(seconds=grace)


def _revoke_family(family_id: Any, reason: str) -> int:
    families = RefreshTokenFamily.objects.filter(pk=family_id, revoked_at__isnull=True)
    return families.update(revoked_at=timezone.now(), revoke_reason=reason)


@sensitive_variables("raw_refresh")
def revoke(raw_refresh: str) -> None:
    """End the session of a refresh token (logout): its whole family is revoked, whichever
    of its tokens is presented. Revoking an ended session again is fine."""
    _revoke_family(_decode(raw_refresh)[FAMILY_CLAIM], REVOKED_BY_LOGOUT)


def revoke_all(user: AbstractBaseUser, reason: str) -> int:
    """Revoke every live family of ``user``; returns how many."""
    families = RefreshTokenFamily.objects.filter(user=user, revoked_at__isnull=True)
    return families.update(revoked_at=timezone.now(), revoke_reason=reason)
