"""What can go wrong when we call TikTok: a small hierarchy of errors.

Each carries the HTTP status, TikTok's error code and its ``log_id`` (which TikTok support
asks for). The sign-in maps them to its own errors (:mod:`tiktok_mobile_auth.exceptions`).
"""

from __future__ import annotations

from typing import Any

from tiktok_mobile_auth import error_codes as codes


class TikTokError(Exception):
    """TikTok could not give us what we asked for.

    ``code`` is TikTok's error code (or ours for transport faults), ``description`` its
    human text, ``log_id`` TikTok's request id, ``http_status`` the status it answered.
    """

    default_code = codes.TIKTOK_ERROR

    def __init__(
        self,
        description: str,
        *,
        code: str | None = None,
        log_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.code = code or self.default_code
        self.log_id = log_id
        self.http_status = http_status


class TikTokUnavailable(TikTokError):
    """TikTok could not be reached, timed out, or answered 5xx / 429."""

    default_code = codes.TIKTOK_UNAVAILABLE

    def __init__(self, description: str, *, retry_after: int | None = None, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.retry_after = retry_after


class TikTokBadResponse(TikTokError):
    """TikTok answered something we cannot read: not JSON, the wrong shape, too large."""

    default_code = codes.TIKTOK_BAD_RESPONSE


class TikTokOAuthError(TikTokError):
    """The token endpoint refused the request (``invalid_grant``, ``invalid_client`` ...)."""


class TikTokTokenInvalid(TikTokError):
    """The access token is invalid, expired or revoked (``access_token_invalid``)."""


class TikTokScopeError(TikTokError):
    """The token lacks a scope needed for the requested fields."""
