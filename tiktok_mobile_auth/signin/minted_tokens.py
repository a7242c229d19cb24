"""The TikTok access tokens this server obtained itself, so ``connect`` can trust only those.

TikTok has no introspection endpoint: user info proves a token is live, but not which app it
was issued to. An app posting a raw ``access_token`` to ``connect`` could therefore sign in
with a token minted for *another* TikTok app (or stolen from one). With
``ACCESS_TOKEN_POLICY = "minted"`` (the default) ``connect`` accepts only a token that our
own callback or code exchange obtained from TikTok with our client secret, before its
``expires_in`` ran out, and only if user info then names the ``open_id`` TikTok issued it
for; anything else is refused with ``tiktok_token_not_issued_here`` before TikTok is even
called. ``"any"`` restores the Strapi plugin's behaviour (weaker; system check W007).

Only a SHA-256 of each token is stored, with its ``open_id`` and expiry, in the database or
the cache (see :mod:`.storage`). Expired rows are deleted by the next :func:`record`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.exceptions import TokenNotIssuedHere
from tiktok_mobile_auth.models import MintedToken
from tiktok_mobile_auth.storage import records
from tiktok_mobile_auth.tiktok import TokenGrant

POLICY_MINTED = "minted"
POLICY_ANY = "any"
POLICIES = (POLICY_MINTED, POLICY_ANY)
# When TikTok leaves out expires_in: its shortest documented lifetime (2 h).
FALLBACK_LIFETIME = 7200


def _cache_key(token_hash: str) -> str:
    return f"{records.CACHE_PREFIX}minted:{token_hash}"


def expired(now: datetime) -> QuerySet[MintedToken]:
    """The stored records no ``connect`` accepts any more at ``now`` (deleted here by
    :func:`record`, and by ``tiktok_auth_cleanup``); a grant stashed with one goes too."""
    return MintedToken.objects.filter(expires_at__lt=now)


@sensitive_variables("grant")
def record(grant: TokenGrant, config: TikTokConfig) -> None:
    """Remember that ``grant.access_token`` was obtained here, until it expires."""
    lifetime = grant.expires_in or FALLBACK_LIFETIME
    token_hash = records.digest(grant.access_token)
    now = records.now()
    expires_at = now + timedelta(seconds=lifetime)
    scopes = ",".join(grant.scopes)[:512]
    if records.uses_cache(config):
        value = (grant.open_id, expires_at.timestamp(), scopes)
        cache.set(_cache_key(token_hash), value, lifetime)
        return
    expired(now).delete()
    # An upsert: recording the same token twice is harmless.
    MintedToken.objects.bulk_create(
        [
            MintedToken(
                token_hash=token_hash,
                open_id=grant.open_id,
                scopes=scopes,
                expires_at=expires_at,
            )
        ],
        update_conflicts=True,
        unique_fields=["token_hash"],
        update_fields=["open_id", "scopes", "expires_at"],
    )


@dataclass(frozen=True)
class MintedGrant:
    """What was recorded for a token obtained here: who it is for, what was granted."""

    open_id: str
    scopes: tuple[str, ...]


@sensitive_variables("access_token")
def lookup(access_token: str, config: TikTokConfig) -> MintedGrant:
    """The record of ``access_token``, obtained here and not expired.

    Raises :class:`TokenNotIssuedHere` when it was not obtained here or has expired.
    """
    token_hash = records.digest(access_token)
    now = records.now()
    if records.uses_cache(config):
        value = cache.get(_cache_key(token_hash)) or ("", 0.0)
        open_id, expires_at = value[0], value[1]
        scopes = value[2] if len(value) > 2 else ""  # entries written before scopes were kept
        if expires_at <= now.timestamp():
            open_id = ""
    else:
        row = (
            MintedToken.objects.filter(token_hash=token_hash, expires_at__gt=now)
            .values_list("open_id", "scopes")
            .first()
        )
        open_id, scopes = row or ("", "")
    if not open_id:
        raise TokenNotIssuedHere()
    return MintedGrant(open_id, tuple(s for s in str(scopes).split(",") if s))
