"""What TikTok gives us, typed: a token grant, a user profile, and the field/scope table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Fields per scope, as documented for /v2/user/info/ (scope split of 2024-02-29).
BASIC_FIELDS = ("open_id", "union_id", "display_name", "avatar_url")
PROFILE_FIELDS = ("username", "bio_description", "profile_deep_link", "is_verified")
STATS_FIELDS = ("follower_count", "following_count", "likes_count", "video_count")
FIELDS_BY_SCOPE = {
    "user.info.basic": BASIC_FIELDS,
    "user.info.profile": PROFILE_FIELDS,
    "user.info.stats": STATS_FIELDS,
}


@dataclass(frozen=True)
class TokenGrant:
    """A successful token exchange. Lifetimes are TikTok's, in seconds from now."""

    access_token: str = field(repr=False)
    open_id: str
    scopes: tuple[str, ...]
    expires_in: int
    refresh_token: str = field(default="", repr=False)
    refresh_expires_in: int = 0


@dataclass(frozen=True)
class TikTokProfile:
    """A TikTok user as /v2/user/info/ described them. ``union_id`` may be missing."""

    open_id: str
    union_id: str | None
    display_name: str
    avatar_url: str
    username: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def fields_for_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The user-info fields that the given scopes allow us to ask for."""
    wanted = set(scopes) | {"user.info.basic"}
    return tuple(f for scope, fields in FIELDS_BY_SCOPE.items() if scope in wanted for f in fields)


def parse_scopes(value: Any) -> tuple[str, ...]:
    """Split TikTok's comma-separated scope list into exact items."""
    if not isinstance(value, str):
        return ()
    return tuple(item.strip() for item in value.split(",") if item.strip())
