"""Which rows of the tables that grow no request needs any more (``tiktok_auth_cleanup``).

Each rule is the one its records are read by, so deleting a row never changes an answer:

- **Refresh-token families** once the last token issued in them has expired, revoked or not.
  Every token of a family carries an ``exp`` no later than the family's ``expires_at`` (each
  rotation moves it to the new token's), and SimpleJWT refuses a token once ``exp <= now -
  LEEWAY``. Until then a family stays, revoked ones included: a replaced token presented
  again must still find its family, to be told a reuse (the family revoked, the signal sent)
  or a revoked session. A deleted family can only ever refuse (``rotate`` needs its row).
- **Login attempts** an hour (:data:`attempts.KEEP_SPENT`) after they expired, spent or not,
  as :func:`attempts.start` deletes them: until then a replayed state is told "spent" rather
  than "unknown" (which ``ALLOW_APP_STATE`` would let through).
- **Minted-token records** once expired: ``connect`` refuses them (with any grant stashed
  with them for the callback, :mod:`.tiktok_token_store`).
- **Throttle counters** once their ``expires_at`` passed: that is the end of the next window,
  the last one that reads the count (:mod:`tiktok_mobile_auth.api.throttle_counters`).
- **Sign-in events** older than ``SIGN_IN_EVENT_RETENTION_DAYS`` (365; 0 keeps them):
  the admin's account page lists them; nothing else reads them but the webhook, which asks
  whether the user signed in *after* an authorization was removed.
- SimpleJWT's **blacklist app**, when a host still has it installed (the plugin no longer
  writes to it): outstanding tokens past their ``expires_at``, as its ``flushexpiredtokens``
  decides, their blacklist entries first.

The stored TikTok tokens (:class:`~tiktok_mobile_auth.models.TikTokTokens`) are not touched:
one row per account at most, so they do not grow with sign-ins; a dead row is deleted by its
next use; and the row is how TikTok's ``authorization.removed`` webhook finds an account
whose ``open_id`` differs from the last sign-in's (another client key), and its
``obtained_at`` how it tells a removal from before a new authorization.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework_simplejwt.state import token_backend

from tiktok_mobile_auth.conf import raw_values
from tiktok_mobile_auth.models import RateCounter, RefreshTokenFamily, SignInEvent
from tiktok_mobile_auth.signin import attempts, minted_tokens

RETENTION_SETTING = "SIGN_IN_EVENT_RETENTION_DAYS"
BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"


def due(now: datetime) -> list[QuerySet[Any]]:
    """For each table, the rows to delete at ``now``, in the order to delete them."""
    tables = [
        expired_families(now),
        attempts.past_keeping(now),
        minted_tokens.expired(now),
        RateCounter.objects.filter(expires_at__lt=now),
    ]
    events = old_sign_in_events(now, retention_days())
    if events is not None:
        tables.append(events)
    return tables + expired_blacklist_tokens(now)


def expired_families(now: datetime) -> QuerySet[RefreshTokenFamily]:
    """Families none of whose tokens SimpleJWT would accept at ``now``."""
    return RefreshTokenFamily.objects.filter(expires_at__lte=now - token_backend.get_leeway())


def retention_days() -> int:
    """``SIGN_IN_EVENT_RETENTION_DAYS`` as a number of days; 0 (or less): keep forever."""
    value = raw_values()[RETENTION_SETTING]
    try:
        return max(0, int(value))
    except (TypeError, ValueError) as err:
        raise ImproperlyConfigured(
            f"TIKTOK_MOBILE_AUTH['{RETENTION_SETTING}'] must be a number of days, not {value!r}."
        ) from err


def old_sign_in_events(now: datetime, days: int) -> QuerySet[SignInEvent] | None:
    """Events older than ``days`` days at ``now``; None when ``days`` is 0 (kept forever)."""
    if days <= 0:
        return None
    return SignInEvent.objects.filter(created_at__lt=now - timedelta(days=days))


def expired_blacklist_tokens(now: datetime) -> list[QuerySet[Any]]:
    """SimpleJWT's blacklist entries and outstanding tokens expired at ``now``; none when
    its app is not installed."""
    if not apps.is_installed(BLACKLIST_APP):
        return []
    outstanding = apps.get_model("token_blacklist", "OutstandingToken")
    blacklisted = apps.get_model("token_blacklist", "BlacklistedToken")
    return [
        blacklisted.objects.filter(token__expires_at__lte=now),
        outstanding.objects.filter(expires_at__lte=now),
    ]
