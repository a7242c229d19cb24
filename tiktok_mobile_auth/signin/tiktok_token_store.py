"""TikTok's own tokens for each account: kept encrypted, refreshed before they expire.

Only with ``STORE_TOKENS`` (``TIKTOK_MOBILE_AUTH['STORE_TOKENS']``, env
``TIKTOK_STORE_TOKENS``, default false). Off, nothing here stores anything and sign-in costs
no extra query; rows stored while it was on stay usable (and are revoked by disconnect) until
the account is unlinked.

**When a grant is saved.** Whenever this server itself obtains a grant for an account:

- the code flow of ``connect`` (native SDK code + verifier) and the Wagtail admin sign-in:
  when the sign-in commits (:mod:`.sessions`, under the link's lock, so a grant is never
  stored for a link a concurrent disconnect removed);
- the browser flow (GET callback, then ``connect`` with the access token): the callback does
  not know the account yet, so it stashes the whole grant, encrypted, next to the minted
  record of its access token (``MintedToken.grant_encrypted``, or a cache entry when the
  minted records live in the cache: :mod:`.storage`) until that access token expires.
  ``connect`` claims it, once, for the account it signs in, if the grant's ``open_id`` is
  the account's. A token never brought to ``connect`` is forgotten when it expires.
- An access token this server did not obtain (``ACCESS_TOKEN_POLICY = "any"``) brings no
  refresh token: nothing is stored for it.

**At rest** both tokens are encrypted with :mod:`.crypto` (Fernet, ``ENCRYPTION_KEYS``;
system check W011 when the key is only derived from ``SECRET_KEY``); ``manage.py
tiktok_reencrypt`` re-encrypts them after a key rotation. Expiries come from TikTok's
``expires_in`` / ``refresh_expires_in``, counted from when the reply arrived, never
hard-coded: a reply without ``expires_in`` is treated as already expired (refreshed on first
use), one without ``refresh_expires_in`` as "unknown, try it".

**Refreshing.** :func:`valid_access_token` returns the stored access token while it has more
than :data:`REFRESH_MARGIN` left, else refreshes it. TikTok rotates refresh tokens (the old
one dies), so the refresh runs inside a transaction holding ``SELECT ... FOR UPDATE`` on the
row, and re-reads it after the lock is granted: a worker that waited uses the token the first
one stored instead of spending the dead refresh token. The call to TikTok is made while the
lock is held (bounded by ``TIMEOUT``), so concurrent callers wait rather than race. A refresh
refused with ``invalid_grant`` (revoked at TikTok, expired) deletes the stored tokens, since
nothing usable is left, and raises :class:`~.exceptions.TokensUnavailable`; TikTok
unreachable raises :class:`~.tiktok.TikTokUnavailable` and changes nothing. (Should TikTok
rotate but its reply be lost, the stored refresh token is dead: the next refresh gets
``invalid_grant``, the tokens are dropped and the user signs in again.)
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth.conf import TikTokConfig, get_config
from tiktok_mobile_auth.exceptions import TokensUnavailable
from tiktok_mobile_auth.models import MintedToken, TikTokAccount, TikTokTokens
from tiktok_mobile_auth.signin.minted_tokens import FALLBACK_LIFETIME
from tiktok_mobile_auth.signin.tiktok_calls import (
    credentials_refusal_is_misconfiguration,
    tiktok_client,
)
from tiktok_mobile_auth.storage import crypto, records
from tiktok_mobile_auth.tiktok import TikTokOAuthError, TokenGrant

logger = logging.getLogger(__name__)

# An access token with less than this left is refreshed before use.
REFRESH_MARGIN = timedelta(minutes=5)


# -- saving grants ---------------------------------------------------------------------


@sensitive_variables("grant")
def _fields(grant: TokenGrant, received_at: datetime) -> dict[str, Any]:
    """The model fields for ``grant``, its lifetimes counted from ``received_at``."""
    refresh_expires_at = None
    if grant.refresh_token and grant.refresh_expires_in:
        refresh_expires_at = received_at + timedelta(seconds=grant.refresh_expires_in)
    return {
        "open_id": grant.open_id,
        "scopes": ",".join(grant.scopes)[:512],
        "access_token_encrypted": crypto.encrypt(grant.access_token),
        # No expires_in: assume nothing, refresh on first use.
        "access_expires_at": received_at + timedelta(seconds=grant.expires_in),
        "refresh_token_encrypted": crypto.encrypt(grant.refresh_token)
        if grant.refresh_token
        else "",
        "refresh_expires_at": refresh_expires_at,
    }


@sensitive_variables("grant")
def save_grant(
    account: TikTokAccount,
    grant: TokenGrant,
    config: TikTokConfig,
    *,
    received_at: datetime | None = None,
) -> None:
    """Store ``grant`` (a new authorization, from a code exchange) for ``account``,
    replacing what was stored. Does nothing unless ``STORE_TOKENS`` is on."""
    if not config.store_tokens:
        return
    received_at = received_at or records.now()
    # update_or_create locks an existing row: a refresh in flight finishes first.
    TikTokTokens.objects.update_or_create(
        account=account,
        defaults={**_fields(grant, received_at), "obtained_at": received_at, "refreshed_at": None},
    )


@dataclass(frozen=True)
class StashedGrant:
    """A grant the callback obtained, and when it was received."""

    grant: TokenGrant = field(repr=False)
    received_at: datetime


def _stash_key(token_hash: str) -> str:
    return f"{records.CACHE_PREFIX}grant:{token_hash}"


@sensitive_variables("grant", "payload")
def stash_grant(grant: TokenGrant, config: TikTokConfig) -> None:
    """Keep the callback's grant, encrypted, until ``connect`` claims it (or its access
    token expires). The minted record of the token must exist (:func:`minted.record`)."""
    if not config.store_tokens:
        return
    payload = crypto.encrypt(
        json.dumps(
            {
                "access_token": grant.access_token,
                "open_id": grant.open_id,
                "scopes": list(grant.scopes),
                "expires_in": grant.expires_in,
                "refresh_token": grant.refresh_token,
                "refresh_expires_in": grant.refresh_expires_in,
                "received_at": records.now().timestamp(),
            }
        )
    )
    token_hash = records.digest(grant.access_token)
    if records.uses_cache(config):
        cache.set(_stash_key(token_hash), payload, grant.expires_in or FALLBACK_LIFETIME)
    else:
        MintedToken.objects.filter(token_hash=token_hash).update(grant_encrypted=payload)


@sensitive_variables("access_token", "payload")
def _take_stash(access_token: str, config: TikTokConfig) -> str | None:
    """The stashed grant of ``access_token``, removed so that only one caller gets it."""
    token_hash = records.digest(access_token)
    if records.uses_cache(config):
        key = _stash_key(token_hash)
        payload = cache.get(key)
        return payload if payload is not None and cache.delete(key) else None
    rows = MintedToken.objects.filter(token_hash=token_hash, expires_at__gt=records.now())
    payload = rows.exclude(grant_encrypted="").values_list("grant_encrypted", flat=True).first()
    if not payload or not rows.filter(grant_encrypted=payload).update(grant_encrypted=""):
        return None
    return payload


@sensitive_variables("access_token", "payload", "values")
def take_stashed(access_token: str, open_id: str, config: TikTokConfig) -> StashedGrant | None:
    """The grant the callback stashed for ``access_token``, if it was issued for
    ``open_id``; spent either way. Taken before the sign-in's transaction (it may read the
    cache), stored by :func:`save_grant` in it."""
    if not config.store_tokens:
        return None
    payload = _take_stash(access_token, config)
    if payload is None:
        return None
    try:
        values = json.loads(crypto.decrypt(payload))
    except crypto.DecryptionFailed:
        logger.warning("A stashed TikTok grant cannot be decrypted; not stored.")
        return None
    if values["open_id"] != open_id:
        logger.warning("A stashed TikTok grant belongs to another open_id; not stored.")
        return None
    grant = TokenGrant(
        values["access_token"],
        open_id=values["open_id"],
        scopes=tuple(values["scopes"]),
        expires_in=values["expires_in"],
        refresh_token=values["refresh_token"],
        refresh_expires_in=values["refresh_expires_in"],
    )
    return StashedGrant(grant, datetime.fromtimestamp(values["received_at"], tz=UTC))


def forget(account: TikTokAccount) -> None:
    """Delete the tokens stored for ``account`` (TikTok is not told)."""
    TikTokTokens.objects.filter(account=account).delete()


# -- using them --------------------------------------------------------------------------


def _fresh(row: TikTokTokens, now: datetime) -> bool:
    return row.access_expires_at - REFRESH_MARGIN > now


def _refresh_usable(row: TikTokTokens, now: datetime) -> bool:
    return bool(row.refresh_token_encrypted) and (
        row.refresh_expires_at is None or row.refresh_expires_at > now
    )


def valid_access_token(account: TikTokAccount, config: TikTokConfig | None = None) -> str:
    """A TikTok access token of ``account`` with at least :data:`REFRESH_MARGIN` left,
    refreshed (and the rotated pair stored) when needed.

    Raises :class:`~.exceptions.TokensUnavailable` (nothing stored, or the refresh token
    expired or was refused: the stored tokens are then deleted), :class:`NotConfigured`
    (TikTok refused our client key / secret), TikTok's transport errors (nothing changed)
    and :class:`~.crypto.DecryptionFailed` (the keys cannot read the row; kept).
    """
    row = TikTokTokens.objects.filter(account=account).first()
    if row is None:
        raise TokensUnavailable()
    if _fresh(row, records.now()):
        return crypto.decrypt(row.access_token_encrypted)
    return _refresh_locked(account, config or get_config())


@sensitive_variables("grant")
def _refresh_locked(account: TikTokAccount, config: TikTokConfig) -> str:
    refused: TikTokOAuthError | None = None
    with transaction.atomic():
        row = TikTokTokens.objects.select_for_update().filter(account=account).first()
        if row is None:  # deleted while we waited (disconnect, webhook)
            raise TokensUnavailable()
        now = records.now()
        if _fresh(row, now):  # another worker refreshed while we waited for the lock
            return crypto.decrypt(row.access_token_encrypted)
        if _refresh_usable(row, now):
            try:
                grant = _refresh_at_tiktok(row, config)
            except TikTokOAuthError as err:
                refused = err
            else:
                _store_refreshed(row, grant, now)
                return grant.access_token
        # Nothing usable is left: delete it (committed, unlike a raise inside the block).
        row.delete()
    logger.info(
        "TikTok tokens of account %s dropped: %s (log_id=%s).",
        account.pk,
        refused.code if refused else "refresh token expired",
        refused.log_id if refused else None,
    )
    raise TokensUnavailable() from refused


def _refresh_at_tiktok(row: TikTokTokens, config: TikTokConfig) -> TokenGrant:
    """TikTok's new pair for the row's refresh token. Our own credentials refused
    (``invalid_client``) are this server's misconfiguration: :class:`NotConfigured`."""
    with credentials_refusal_is_misconfiguration():
        return tiktok_client(config).refresh(crypto.decrypt(row.refresh_token_encrypted))


@sensitive_variables("grant")
def _store_refreshed(row: TikTokTokens, grant: TokenGrant, now: datetime) -> None:
    fields = _fields(grant, now)
    if not grant.refresh_token:  # TikTok did not rotate it: keep the one we have
        del fields["refresh_token_encrypted"], fields["refresh_expires_at"]
    for name, value in fields.items():
        setattr(row, name, value)
    row.refreshed_at = now
    row.save()
