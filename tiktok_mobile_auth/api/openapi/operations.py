"""Each endpoint's OpenAPI operation: an :func:`extend_schema` per view method.

The ``details.code`` values each operation can answer are listed in
:data:`.error_responses.OPERATION_ERRORS` (their statuses, messages and meanings in
:mod:`tiktok_mobile_auth.error_codes`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth.api.openapi.components import (
    CONNECT_REQUEST,
    REFRESH_REQUEST,
    ConnectResponseSerializer,
    TokenPairSerializer,
    UserSerializer,
    WebhookAnswerSerializer,
    WebhookEventSerializer,
)
from tiktok_mobile_auth.api.openapi.error_responses import error_responses, retry_after_headers
from tiktok_mobile_auth.conf import DEFAULTS

_EITHER = "Send either access_token, or code with code_verifier."
_EXAMPLES = {
    "connect": {
        codes.INVALID_REQUEST: (f"access_token: {_EITHER}", {"errors": {"access_token": [_EITHER]}})
    },
}


def _errors(operation_id: str) -> dict[Any, Any]:
    return error_responses(operation_id, examples=_EXAMPLES.get(operation_id))


def _by_status(responses: dict[Any, Any]) -> dict[Any, Any]:
    """``responses`` in the order of their statuses (keys are a status or (status, type))."""
    return dict(
        sorted(
            responses.items(),
            key=lambda item: str(item[0][0] if isinstance(item[0], tuple) else item[0]),
        )
    )


# ---- the documented operations -------------------------------------------------------------

_WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='`Bearer realm="api"`',
    response=[401],
)


def _json_or_form(body: Any) -> dict[str, Any]:
    """The request body, accepted as JSON or form-encoded (the views' parsers)."""
    return {"application/json": body, "application/x-www-form-urlencoded": body}


CONNECT = extend_schema(
    operation_id="connect",
    tags=["sign-in"],
    summary="Sign in with what TikTok gave the app",
    description=(
        "Send **either** the native SDK's `code` + `code_verifier` (+ `redirect_uri`), which "
        "this server exchanges at TikTok with its client secret (recommended), **or** the "
        "`access_token` of the browser flow's app-link redirect. The user linked to the "
        "TikTok account is found or created, and gets this server's JWT and refresh token. "
        "Tokens, codes and URIs are strings of printable ASCII without spaces."
    ),
    request=_json_or_form(CONNECT_REQUEST),
    responses={
        200: OpenApiResponse(ConnectResponseSerializer, description="Signed in."),
        **_errors("connect"),
    },
    parameters=retry_after_headers("connect"),
)

ME = extend_schema(
    operation_id="me",
    tags=["session"],
    summary="The signed-in user",
    description="The `user` object of `connect`, for the JWT's user.",
    responses={
        200: OpenApiResponse(UserSerializer, description="The user."),
        **_errors("me"),
    },
    parameters=[
        *retry_after_headers("me"),
        _WWW_AUTHENTICATE,
    ],
)

REFRESH = extend_schema(
    operation_id="refreshToken",
    tags=["session"],
    summary="A new JWT and refresh token",
    description=(
        "Spends the refresh token (each works once, even under concurrent use) and answers "
        "a new pair. Refused for a blocked user (`403`; the token is not spent) or a deleted "
        "one (`401`)."
    ),
    request=_json_or_form(REFRESH_REQUEST),
    responses={
        200: OpenApiResponse(TokenPairSerializer, description="A new pair."),
        **_errors("refreshToken"),
    },
    parameters=retry_after_headers("refreshToken"),
)

LOGOUT = extend_schema(
    operation_id="logout",
    tags=["session"],
    summary="Spend the refresh token",
    description=(
        "The refresh token no longer works; logging out twice with it is fine. The JWT "
        "itself stays valid until it expires (15 minutes by default): forget it."
    ),
    request=_json_or_form(REFRESH_REQUEST),
    responses={
        204: OpenApiResponse(description="Logged out."),
        **_errors("logout"),
    },
    parameters=retry_after_headers("logout"),
)

DISCONNECT = extend_schema(
    operation_id="disconnect",
    tags=["session"],
    summary="Unlink the user's TikTok account",
    description=(
        "No body. Revokes this server's TikTok grant (best effort), unlinks the TikTok "
        "account and spends every refresh token of the user; the user account itself stays. "
        "The JWT stays valid until it expires, and `me` then shows `provider: local`."
    ),
    request=None,
    responses={
        204: OpenApiResponse(description="Unlinked."),
        **_errors("disconnect"),
    },
    parameters=[*retry_after_headers("disconnect"), _WWW_AUTHENTICATE],
)

WEBHOOK = extend_schema(
    operation_id="webhook",
    tags=["tiktok"],
    summary="TikTok's webhook (for TikTok's servers, not apps)",
    description=(
        "TikTok calls this when a user removes the app (`authorization.removed`). The body is "
        "verified byte for byte with the `TikTok-Signature` header, an HMAC-SHA256 with the "
        "client secret; every correctly signed request gets `200` (TikTok retries anything "
        "else for 72 hours), a body that is not an event of this app included. The user keeps "
        "their account; `user.tiktok.deauthorized` becomes true until they sign in again."
    ),
    request={"application/json": WebhookEventSerializer},
    parameters=[
        OpenApiParameter(
            "TikTok-Signature",
            str,
            OpenApiParameter.HEADER,
            required=True,
            description='`t=<unix seconds>,s=<hex HMAC-SHA256 of "<t>.<raw body>">`',
        ),
        *retry_after_headers("webhook"),
    ],
    responses={
        200: OpenApiResponse(WebhookAnswerSerializer, description="Signed: received."),
        **_errors("webhook"),
    },
)

_LOCATION = {"name": "Location", "type": str, "location": OpenApiParameter.HEADER}

AUTHORIZE = extend_schema(
    operation_id="authorize",
    tags=["browser"],
    summary="Start the browser sign-in at TikTok",
    description=(
        "Open in a browser tab (not a web view). Redirects to TikTok's consent page with a "
        "single-use `state` of this server's and a PKCE challenge; TikTok then sends the user "
        "to `GET /callback`, which ends at the app link. The app's own `state` comes back "
        "unchanged on the app link."
    ),
    parameters=[
        OpenApiParameter(
            "state",
            {"type": "string", "maxLength": 512, "pattern": r"^[^\u0000-\u001f\u007f-\u009f]*$"},
            OpenApiParameter.QUERY,
            description="The app's own state, echoed back on the app link (at most 512 "
            "characters, no control characters; otherwise the app link gets "
            "`error=invalid_request`).",
        ),
        OpenApiParameter(
            **_LOCATION,
            required=True,
            response=[302],
            description="TikTok's consent page; or the app link with `error` "
            "(`invalid_request`, `server_misconfigured`), `error_description` and `state`.",
        ),
        *retry_after_headers("authorize"),
    ],
    responses={
        302: OpenApiResponse(description="To TikTok, or to the app link with an error."),
        **_errors("authorize"),
    },
)

# The callback's app-link error codes: every one the catalogue sends on the app link but the
# app's own bad state, which only authorize refuses.
_CALLBACK_ERRORS = ", ".join(
    f"`{entry.code}`"
    for entry in codes.CATALOGUE.values()
    if codes.APP_LINK in entry.where and entry.code != codes.INVALID_REQUEST
)

CALLBACK = extend_schema(
    operation_id="callback",
    tags=["browser"],
    summary="TikTok's redirect target",
    description=(
        "TikTok sends the browser here after the consent page. The `state` must be one that "
        f"`GET /authorize` issued, unused and under {DEFAULTS['LOGIN_ATTEMPT_TTL'] // 60} "
        "minutes old, and the browser must be "
        "the one that opened `GET /authorize` (its `tiktok_auth_browser` cookie). Ends in a "
        "redirect to the app link, on success with TikTok's `access_token` (post it to "
        f"`POST /connect`) and the app's `state`, on failure with `error` ({_CALLBACK_ERRORS} "
        "or TikTok's own code), `error_description` and `state`. "
        "Answers JSON only when it cannot redirect. For an editor's sign-in to the Wagtail "
        "admin (started by the admin's login page) it answers the admin, or an HTML page."
    ),
    parameters=[
        OpenApiParameter("code", str, description="TikTok's authorization code."),
        OpenApiParameter("scopes", str, description="The granted scopes, comma-separated."),
        OpenApiParameter("state", str, description="The state `GET /authorize` issued."),
        OpenApiParameter("error", str, description="TikTok's error code, on refusal."),
        OpenApiParameter("error_description", str, description="TikTok's error text."),
        OpenApiParameter(
            **_LOCATION,
            required=True,
            response=[302],
            description="The app link with `access_token` and `state`, or with `error`, "
            "`error_description` and `state`; for an admin sign-in, a page of the admin.",
        ),
        *retry_after_headers("callback"),
    ],
    responses=_by_status(
        {
            302: OpenApiResponse(description="To the app link (or the Wagtail admin)."),
            **{
                (status, "text/html"): OpenApiResponse(
                    OpenApiTypes.STR, description=f"Admin sign-in only: {text}, as an HTML page."
                )
                for status, text in (
                    # One description per status: the JSON 400's code is named here too.
                    (
                        400,
                        "cancelled or refused at TikTok; any request: `invalid_request` "
                        "(the envelope) for a query string of more fields than Django reads",
                    ),
                    (403, "refused here (blocked, or no access to the admin)"),
                    (502, "TikTok failed"),
                )
            },
            **_errors("callback"),
        }
    ),
)
