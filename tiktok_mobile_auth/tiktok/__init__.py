"""TikTok's side: the only package that talks HTTP to TikTok.

``client`` (the calls), ``replies`` (reading what TikTok answers), ``types`` (what comes
out), ``errors`` (what can go wrong), ``pkce`` (TikTok's hex-challenge PKCE). Its public
names are importable from here.
"""

from tiktok_mobile_auth.tiktok.client import TikTokClient, authorize_url
from tiktok_mobile_auth.tiktok.errors import (
    TikTokBadResponse,
    TikTokError,
    TikTokOAuthError,
    TikTokScopeError,
    TikTokTokenInvalid,
    TikTokUnavailable,
)
from tiktok_mobile_auth.tiktok.types import (
    BASIC_FIELDS,
    FIELDS_BY_SCOPE,
    PROFILE_FIELDS,
    STATS_FIELDS,
    TikTokProfile,
    TokenGrant,
    fields_for_scopes,
    parse_scopes,
)

__all__ = [
    "BASIC_FIELDS",
    "FIELDS_BY_SCOPE",
    "PROFILE_FIELDS",
    "STATS_FIELDS",
    "TikTokBadResponse",
    "TikTokClient",
    "TikTokError",
    "TikTokOAuthError",
    "TikTokProfile",
    "TikTokScopeError",
    "TikTokTokenInvalid",
    "TikTokUnavailable",
    "TokenGrant",
    "authorize_url",
    "fields_for_scopes",
    "parse_scopes",
]
