"""Every error code the plugin gives out, declared once: its HTTP status, where it is sent,
its default message and what it means. Everything else is derived from this table: the domain
exceptions' ``code``, ``status`` and ``default_message`` (:mod:`.exceptions`), the API's error
envelope (:mod:`.api.errors`), the OpenAPI document's error catalogue (:mod:`.api.openapi`),
the ``error=<code>`` values of the callback's app-link redirect (:mod:`.web.oauth`) and
``docs/errors.md`` (``python -m tiktok_mobile_auth.error_codes > docs/errors.md``).

A module of its own at the foundation layer, beside ``exceptions.py`` rather than inside it:
many codes are not our exceptions (DRF's and SimpleJWT's, the callback's app-link codes),
and this module imports nothing (neither the plugin nor Django), so any layer may use it and
the docs are generated without settings.

Each code is also a module constant (``REGISTRATION_CLOSED = "registration_closed"``), so a
typo in a caller fails at import, not in production.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

API = "API"  # the JSON error envelope of an endpoint
APP_LINK = "app link"  # the callback's redirect to the app: ``error=<code>``
API_ONLY, APP_LINK_ONLY, API_AND_APP_LINK, NOT_SENT = (API,), (APP_LINK,), (API, APP_LINK), ()


@dataclass(frozen=True)
class ErrorCode:
    """``status``: the HTTP status of the envelope (None: never answered as JSON).
    ``message``: the default text, when nothing more precise is known (for DRF's and
    SimpleJWT's codes, the text they give). ``meaning``: when it happens, for the docs."""

    code: str
    status: int | None
    where: tuple[str, ...]
    message: str
    meaning: str


CATALOGUE: dict[str, ErrorCode] = {}


def _declare(
    code: str, status: int | None, where: tuple[str, ...], message: str, meaning: str
) -> str:
    if code in CATALOGUE:
        raise ValueError(f"The error code {code!r} is declared twice.")
    CATALOGUE[code] = ErrorCode(code, status, where, message, meaning)
    return code


def status_of(code: str) -> int:
    """The HTTP status of ``code``. Raises KeyError for a code not declared here, and
    LookupError for one that is never answered as JSON (a bug in the caller)."""
    status = CATALOGUE[code].status
    if status is None:
        raise LookupError(f"The error code {code!r} is never answered with an HTTP status.")
    return status


def message_of(code: str) -> str:
    """The default message of ``code``. Raises KeyError for a code not declared here."""
    return CATALOGUE[code].message


# A table: one declaration per code, kept compact (code, status, where, message, meaning).
# fmt: off
# ---- 400 ------------------------------------------------------------------------------------
INVALID_REQUEST = _declare("invalid_request", 400, API_AND_APP_LINK,
    "The request could not be read (too many fields, or a malformed body).",
    "the body fails validation (`details.errors`: field -> messages), the request has "
    "more fields than the server reads, or (webhook) a signed body is not the documented "
    "event; on the app link: the app's `state` is too long or has control characters")
PARSE_ERROR = _declare("parse_error", 400, API_ONLY,
    "Malformed request.",
    "the body is not well-formed JSON or form data")
REDIRECT_URI_NOT_ALLOWED = _declare("redirect_uri_not_allowed", 400, API_ONLY,
    "This redirect_uri is not one of the app redirect URIs configured here.",
    "`redirect_uri` is not one this server allows, or was left out while the server "
    "allows several")

# ---- 401 ------------------------------------------------------------------------------------
TIKTOK_TOKEN_INVALID = _declare("tiktok_token_invalid", 401, API_ONLY,
    "The TikTok access token is invalid, expired or revoked.",
    "TikTok says the access token is invalid, expired or revoked")
TIKTOK_SCOPE_MISSING = _declare("tiktok_scope_missing", 401, API_ONLY,
    "The TikTok access token lacks a scope this server needs.",
    "the token lacks the scope of the basic user-info fields")
TIKTOK_CODE_INVALID = _declare("tiktok_code_invalid", 401, API_ONLY,
    "TikTok refused the authorization code.",
    "TikTok refused the code: used, expired, wrong `code_verifier` or `redirect_uri` "
    "(TikTok's code in `details.tiktok_error`)")
TIKTOK_TOKEN_NOT_ISSUED_HERE = _declare("tiktok_token_not_issued_here", 401, API_ONLY,
    "This TikTok access token was not obtained by this server, or it has expired. Please "
    "sign in again.",
    "the access token was not obtained by this server, has expired here, or belongs to "
    "another account: sign in again")
REFRESH_TOKEN_INVALID = _declare("refresh_token_invalid", 401, API_ONLY,
    "The refresh token is invalid, expired or already used.",
    "the refresh token is invalid, expired, already used, revoked (logout, block, "
    "disconnect, or a reuse of a replaced token, which ends the whole session), an access "
    "token, or its user was deleted")
NOT_AUTHENTICATED = _declare("not_authenticated", 401, API_ONLY,
    "Authentication credentials were not provided.",
    "no `Authorization: Bearer` header")
TOKEN_NOT_VALID = _declare("token_not_valid", 401, API_ONLY,
    "Given token not valid for any token type",
    "the JWT is invalid or expired: refresh it")
BAD_AUTHORIZATION_HEADER = _declare("bad_authorization_header", 401, API_ONLY,
    "Authorization header must contain two space-delimited values",
    "the `Authorization` header is malformed")
USER_NOT_FOUND = _declare("user_not_found", 401, API_ONLY,
    "User not found",
    "the JWT's user was deleted")
PASSWORD_CHANGED = _declare("password_changed", 401, API_ONLY,
    "The user's password has been changed.",
    "the user's password changed since the JWT was issued (only when SimpleJWT's "
    "`CHECK_REVOKE_TOKEN` is on)")
WEBHOOK_SIGNATURE_INVALID = _declare("webhook_signature_invalid", 401, API_ONLY,
    "A valid TikTok-Signature header (t=...,s=...) is required.",
    "`TikTok-Signature` is missing, malformed or does not sign the body with this app's "
    "client secret")
WEBHOOK_SIGNATURE_EXPIRED = _declare("webhook_signature_expired", 401, API_ONLY,
    "The TikTok-Signature timestamp is more than 5 minutes off.",
    "the signature's timestamp is more than 5 minutes off")

# ---- 403, 404, 405, 409 ---------------------------------------------------------------------
ACCOUNT_BLOCKED = _declare("account_blocked", 403, API_ONLY,
    "Your account has been blocked by an administrator.",
    "the user is blocked by an administrator")
REGISTRATION_CLOSED = _declare("registration_closed", 403, API_ONLY,
    "New accounts cannot be created with TikTok on this site.",
    "no account is linked to this TikTok user and this server does not create new ones")
PLUGIN_DISABLED = _declare("plugin_disabled", 404, API_ONLY,
    "TikTok sign-in is disabled on this server.",
    "TikTok sign-in is switched off on this server")
NOT_LINKED = _declare("not_linked", 404, API_ONLY,
    "No TikTok account is linked to this user.",
    "no TikTok account is linked to this user")
NOT_FOUND = _declare("not_found", 404, API_ONLY,
    "Not found.",
    "no such resource")
METHOD_NOT_ALLOWED = _declare("method_not_allowed", 405, API_ONLY,
    'Method "{method}" not allowed.',
    "the endpoint does not take this HTTP method (`Allow` lists the one it takes)")
EMAIL_TAKEN = _declare("email_taken", 409, API_ONLY,
    "An account that is not linked to TikTok already uses this TikTok account's email.",
    "an account that is not linked to TikTok already uses this TikTok account's "
    "pseudo-email; nothing was linked")
SIGN_IN_INTERRUPTED = _declare("sign_in_interrupted", 409, API_ONLY,
    "This TikTok account was disconnected while signing in. Please sign in again.",
    "the TikTok account was disconnected while this sign-in was being completed; nothing "
    "was issued: sign in again (as a new user)")

# ---- 413, 415, 429 --------------------------------------------------------------------------
PAYLOAD_TOO_LARGE = _declare("payload_too_large", 413, API_ONLY,
    "The request body is too large.",
    "the body is larger than the server's limit (`MAX_REQUEST_BYTES`)")
UNSUPPORTED_MEDIA_TYPE = _declare("unsupported_media_type", 415, API_ONLY,
    "Unsupported media type in request.",
    "the body is neither JSON nor form-encoded")
THROTTLED = _declare("throttled", 429, API_ONLY,
    "Request was throttled.",
    "too many requests from this IP address: retry after `Retry-After` seconds")

# ---- 5xx ------------------------------------------------------------------------------------
INTERNAL_ERROR = _declare("internal_error", 500, API_ONLY,
    "Internal server error.",
    "a bug in this server (logged with its traceback)")
TIKTOK_UNION_ID_MISSING = _declare("tiktok_union_id_missing", 502, API_ONLY,
    "TikTok did not return a union_id for this account, so it cannot be identified.",
    "TikTok's user info has no `union_id`")
TIKTOK_IDENTITY_MISMATCH = _declare("tiktok_identity_mismatch", 502, API_ONLY,
    "TikTok's user info does not belong to the account the code was issued for.",
    "TikTok's user info is for another account than the code's")
TIKTOK_BAD_RESPONSE = _declare("tiktok_bad_response", 502, API_ONLY,
    "TikTok answered something this server cannot read.",
    "TikTok answered something unreadable")
TIKTOK_ERROR = _declare("tiktok_error", 502, API_ONLY,
    "TikTok could not complete the request.",
    "any other TikTok API error (TikTok's code in `details.tiktok_error`)")
TIKTOK_UNAVAILABLE = _declare("tiktok_unavailable", 503, API_AND_APP_LINK,
    "TikTok could not be reached. Please try again.",
    "TikTok could not be reached, timed out or failed: retry later (`Retry-After` when "
    "TikTok sent one)")
SERVER_MISCONFIGURED = _declare("server_misconfigured", 503, API_AND_APP_LINK,
    "TikTok sign-in is not configured on this server.",
    "this server's TikTok configuration is incomplete or refused by TikTok (the message "
    "names the setting)")
SERVICE_UNAVAILABLE = _declare("service_unavailable", 503, API_ONLY,
    "TikTok sign-in is temporarily unavailable. Please try again shortly.",
    "this server's database or cache is out of reach: retry after `Retry-After` seconds")

# ---- the callback's app-link redirect only --------------------------------------------------
INVALID_STATE = _declare("invalid_state", None, APP_LINK_ONLY,
    "This sign-in is invalid, expired or was already used. Please start again.",
    "the callback's `state` was not issued here, was already used or has expired "
    "(`LOGIN_ATTEMPT_TTL`)")
BROWSER_MISMATCH = _declare("browser_mismatch", None, APP_LINK_ONLY,
    "This sign-in was started in another browser, so it cannot be finished here. Please "
    "start again.",
    "the callback was opened in another browser than the one that opened `authorize`")
ACCESS_DENIED = _declare("access_denied", None, APP_LINK_ONLY,
    "TikTok authorization failed.",
    "the user cancelled at TikTok; TikTok's own error code is passed on instead when it "
    "sent one")
MISSING_CODE = _declare("missing_code", None, APP_LINK_ONLY,
    "TikTok did not send an authorization code.",
    "TikTok came back without a code")
MISSING_SCOPE = _declare("missing_scope", None, APP_LINK_ONLY,
    "The user.info.basic permission was not granted.",
    "the user did not grant `user.info.basic`, which sign-in needs")
INVALID_GRANT = _declare("invalid_grant", None, APP_LINK_ONLY,
    "TikTok refused the authorization code.",
    "TikTok refused to exchange the callback's code (TikTok's text in "
    "`error_description`)")

# ---- never sent: the domain's own (kept in sign-in records) ---------------------------------
SIGN_IN_FAILED = _declare("sign_in_failed", None, NOT_SENT,
    "Sign-in with TikTok failed.",
    "the base of the sign-in's errors; recorded as a refused sign-in")
TIKTOK_REAUTHORIZATION_REQUIRED = _declare("tiktok_reauthorization_required", None, NOT_SENT,
    "No valid TikTok token is stored for this account. Please sign in again.",
    "no usable TikTok token is stored for the account (`STORE_TOKENS`); disconnect then "
    "skips revoking at TikTok")

# fmt: on


# ---- docs/errors.md -------------------------------------------------------------------------

_INTRO = """\
# Errors

<!-- Generated from tiktok_mobile_auth/error_codes.py: do not edit by hand. Regenerate with
     python -m tiktok_mobile_auth.error_codes > docs/errors.md -->

Every error of the API answers with a truthful HTTP status and the error envelope of the
Strapi plugin, so apps can switch backends:

```json
{"data": null, "error": {"status": 401, "name": "UnauthorizedError",
                         "message": "human text", "details": {"code": "tiktok_token_invalid"}}}
```

Branch on `details.code`, never on `message` (English, for people; it may change). The
browser flow's callback ends at the app link instead, with `error=<code>`,
`error_description` and `state`; TikTok's own error codes are passed on there unchanged.
The OpenAPI document (`GET /api/tiktok-auth-mobile/schema/`) lists each endpoint's codes.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The text of ``docs/errors.md``: the catalogue as a table, by HTTP status then code."""
    lines = [
        _INTRO,
        "| Code | HTTP status | Sent on | Default message | When |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in sorted(CATALOGUE.values(), key=lambda e: (e.status or 999, e.code)):
        lines.append(
            f"| `{entry.code}` | {entry.status or '-'} "
            f"| {', '.join(entry.where) or 'not sent (sign-in records only)'} "
            f"| {_cell(entry.message)} | {_cell(entry.meaning)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
