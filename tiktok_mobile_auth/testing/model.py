"""The fake TikTok's vocabulary: seeded users, the field/scope table, records and errors.

Plain data and tiny helpers, shared by ``state.py`` (the rules) and ``pages.py`` (the HTML).
Standard library only: the fake must run without Django.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

DEFAULT_CLIENT_KEY = "fake-client-key"
DEFAULT_CLIENT_SECRET = "fake-client-secret"
ACCESS_TOKEN_INVALID = "Access token is invalid, please refresh token and retry"
MALFORMED = "The request parameters are malformed."

# Which scope each /v2/user/info/ field needs (TikTok's scope split of 2024-02-29).
SCOPE_OF_FIELD: dict[str, str] = {
    **dict.fromkeys(
        ("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"),
        "user.info.basic",
    ),
    **dict.fromkeys(
        ("bio_description", "profile_deep_link", "is_verified", "username"), "user.info.profile"
    ),
    **dict.fromkeys(
        ("follower_count", "following_count", "likes_count", "video_count"), "user.info.stats"
    ),
}
KNOWN_SCOPES = frozenset(SCOPE_OF_FIELD.values()) | {"video.list", "video.upload", "video.publish"}
FAULT_ENDPOINTS = ("token", "userinfo", "revoke")
FAULT_KINDS = frozenset(
    {"timeout", "http500", "http503", "http429", "error200", "nonjson", "wrong_shape"}
    | {"no_union_id", "huge", "close", "together"}
)
REQUEST_LOG_LIMIT = 10_000  # the benchmark sends many requests; keep memory bounded


def _seed_user(slug: str, name: str, handle: str, *, union: bool = True) -> dict[str, Any]:
    avatar = f"https://fake-tiktok.invalid/avatars/{slug}"
    user: dict[str, Any] = {
        "open_id": f"fake-open-{slug}",
        "union_id": f"fake-union-{slug}",
        "display_name": name,
        "username": handle,
        "avatar_url": f"{avatar}.jpg",
        "avatar_url_100": f"{avatar}-100.jpg",
        "avatar_large_url": f"{avatar}-large.jpg",
        "bio_description": f"Hi, I am {name}",
        "is_verified": False,
        "profile_deep_link": f"https://fake-tiktok.invalid/@{handle}",
        "follower_count": 10,
        "following_count": 5,
        "likes_count": 100,
        "video_count": 3,
    }
    if not union:
        del user["union_id"]
    return user


def default_users() -> list[dict[str, Any]]:
    """The three seeded users: Alice, Bob and one without a ``union_id``."""
    bob = _seed_user("bob", "Bob", "bob") | {"follower_count": 2, "likes_count": 7}
    return [
        _seed_user("alice", "Alice", "alice.tiktok"),
        bob,
        _seed_user("nounion", "No Union", "no.union", union=False),
    ]


def new_log_id() -> str:
    """A TikTok-like ``log_id`` for error and success bodies."""
    return f"fake-log-{secrets.token_hex(8)}"


def pkce_matches(verifier: str, challenge: str) -> bool:
    """TikTok's PKCE: the challenge is the lower-case HEX SHA-256 of the verifier."""
    digest = hashlib.sha256(verifier.encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, challenge)


class OAuthError(Exception):
    """An OAuth endpoint refusal, answered as ``{error, error_description, log_id}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class ApiError(Exception):
    """An Open API (user info) refusal, answered in the ``{data, error}`` envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Code:
    """An authorization code and what it is bound to."""

    open_id: str
    client_key: str
    scope: str
    redirect_uri: str | None
    code_challenge: str | None
    expires_at: float
    used: bool = False


@dataclass
class Grant:
    """An access/refresh token pair issued to one client for one user."""

    access_token: str
    refresh_token: str
    open_id: str
    client_key: str
    scope: str
    access_expires_at: float
    refresh_expires_at: float


@dataclass
class Fault:
    """The next ``remaining`` requests to ``endpoint`` misbehave as ``kind``."""

    endpoint: str
    kind: str
    remaining: int
    extra: dict[str, Any] = field(default_factory=dict)
    # "together": the requests wait here until all ``remaining`` of them have arrived.
    barrier: threading.Barrier | None = None
