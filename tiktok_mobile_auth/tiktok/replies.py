"""Reading TikTok's replies: the HTTP status and the body-level error both checked.

A reply that is not what TikTok documents (not JSON, the wrong shape) becomes
:class:`TikTokBadResponse`; nothing here trusts a field's type without checking it.
"""

from __future__ import annotations

import json
from typing import Any

from tiktok_mobile_auth.tiktok.errors import (
    TikTokBadResponse,
    TikTokError,
    TikTokOAuthError,
    TikTokScopeError,
    TikTokTokenInvalid,
)
from tiktok_mobile_auth.tiktok.types import FIELDS_BY_SCOPE, TikTokProfile, TokenGrant, parse_scopes

_SCOPE_ERRORS = {"scope_not_authorized", "scope_permission_missed"}


def oauth_refusal(status: int, body: dict[str, Any], *, what: str) -> TikTokOAuthError | None:
    """The error of an ``/v2/oauth/*`` reply (also one in an HTTP 200 body), else None."""
    error = body.get("error")
    if error in (None, "", {}) and status < 400:
        return None
    code = error if isinstance(error, str) and error else "invalid_request"
    description = body.get("error_description")
    return TikTokOAuthError(
        str(description) if is_text(description) else f"TikTok refused the {what} ({code}).",
        code=code,
        log_id=log_id(body),
        http_status=status,
    )


def parse_grant(status: int, body: dict[str, Any], *, what: str = "code") -> TokenGrant:
    refused = oauth_refusal(status, body, what=what)
    if refused is not None:
        raise refused
    token, open_id = body.get("access_token"), body.get("open_id")
    if not is_text(token) or not is_text(open_id):
        raise TikTokBadResponse("TikTok's token reply has no access token.", log_id=log_id(body))
    return TokenGrant(
        access_token=token,
        open_id=open_id,
        scopes=parse_scopes(body.get("scope")),
        expires_in=_int(body.get("expires_in")),
        refresh_token=body.get("refresh_token") if is_text(body.get("refresh_token")) else "",
        refresh_expires_in=_int(body.get("refresh_expires_in")),
    )


def api_error(status: int, body: dict[str, Any]) -> TikTokError:
    error = body.get("error")
    if not isinstance(error, dict) or not is_text(error.get("code")):
        return TikTokBadResponse("TikTok's reply has no error status.", http_status=status)
    code, message = error["code"], str(error.get("message") or error["code"])
    kwargs = {"code": code, "log_id": log_id(body), "http_status": status}
    if code == "access_token_invalid":
        return TikTokTokenInvalid(message, **kwargs)
    if code in _SCOPE_ERRORS:
        return TikTokScopeError(message, **kwargs)
    return TikTokError(message, **kwargs)


def parse_profile(user: dict[str, Any]) -> TikTokProfile:
    known = {k: v for k, v in user.items() if k in _ALL_FIELDS}
    return TikTokProfile(
        open_id=user["open_id"],
        union_id=user["union_id"] if is_text(user.get("union_id")) else None,
        display_name=_text(user.get("display_name")),
        avatar_url=_text(user.get("avatar_url")),
        username=user["username"] if is_text(user.get("username")) else None,
        fields=known,
    )


_ALL_FIELDS = frozenset(f for fields in FIELDS_BY_SCOPE.values() for f in fields) | {
    "avatar_url_100",
    "avatar_large_url",
}


def parse_json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return None
    return value if isinstance(value, dict) else None


def is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def log_id(body: dict[str, Any] | None) -> str | None:
    if not body:
        return None
    error = body.get("error")
    value = error.get("log_id") if isinstance(error, dict) else body.get("log_id")
    return value if is_text(value) else None


def error_code(body: dict[str, Any] | None) -> str | None:
    error = (body or {}).get("error")
    value = error.get("code") if isinstance(error, dict) else error
    return value if is_text(value) else None


def retry_after(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None
