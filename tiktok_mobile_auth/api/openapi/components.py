"""The parts of the OpenAPI document: bodies, answers, the error envelope and its codes.

The request fields are copies of the real serializers' fields, so a length or a pattern
cannot drift from what the server checks. :data:`ERROR_CODES` is the catalog of every
``details.code`` of the error envelope (tests/api/test_schema.py keeps it in step with
:data:`.errors.ERROR_STATUSES`); :mod:`.schema_operations` lists the codes each operation can
answer.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers

from tiktok_mobile_auth import exceptions as domain
from tiktok_mobile_auth.api.errors import OUTAGE_MESSAGE, STATUS_NAMES, envelope
from tiktok_mobile_auth.api.serializers import ConnectSerializer, RefreshSerializer
from tiktok_mobile_auth.conf import ROLES
from tiktok_mobile_auth.signin.jwt_tokens import RefreshRefused

# code -> (HTTP status, an example message, extra details of the example)
ERROR_CODES: dict[str, tuple[int, str, dict[str, Any]]] = {
    "invalid_request": (
        400,
        "refresh: This field is required.",
        {"errors": {"refresh": ["This field is required."]}},
    ),
    "parse_error": (400, "JSON parse error - Expecting value: line 1 column 1 (char 0)", {}),
    "redirect_uri_not_allowed": (400, domain.RedirectUriNotAllowed.default_message, {}),
    "tiktok_token_invalid": (
        401,
        "Access token is invalid, please refresh token and retry",
        {"tiktok_error": "access_token_invalid"},
    ),
    "tiktok_scope_missing": (
        401,
        "The user did not authorize the scope required for completing this request.",
        {"tiktok_error": "scope_not_authorized"},
    ),
    "tiktok_code_invalid": (
        401,
        "Authorization code is expired.",
        {"tiktok_error": "invalid_grant"},
    ),
    "tiktok_token_not_issued_here": (401, domain.TokenNotIssuedHere.default_message, {}),
    "refresh_token_invalid": (401, RefreshRefused.default_message, {}),
    "not_authenticated": (401, "Authentication credentials were not provided.", {}),
    "token_not_valid": (401, "Given token not valid for any token type", {}),
    "bad_authorization_header": (
        401,
        "Authorization header must contain two space-delimited values",
        {},
    ),
    "user_not_found": (401, "User not found", {}),
    "password_changed": (401, "The user's password has been changed.", {}),
    "webhook_signature_invalid": (
        401,
        "A valid TikTok-Signature header (t=...,s=...) is required.",
        {},
    ),
    "webhook_signature_expired": (
        401,
        "The TikTok-Signature timestamp is more than 5 minutes off.",
        {},
    ),
    "account_blocked": (403, domain.AccountBlocked.default_message, {}),
    "registration_closed": (403, domain.RegistrationClosed.default_message, {}),
    "plugin_disabled": (404, "TikTok sign-in is disabled on this server.", {}),
    "not_linked": (404, domain.NotLinked.default_message, {}),
    "email_taken": (409, domain.EmailConflict.default_message, {}),
    "sign_in_interrupted": (409, domain.SignInInterrupted.default_message, {}),
    "payload_too_large": (413, "The request body is too large (at most 16384 bytes).", {}),
    "unsupported_media_type": (415, 'Unsupported media type "text/plain" in request.', {}),
    "throttled": (429, "Request was throttled. Expected available in 12 seconds.", {}),
    "tiktok_union_id_missing": (502, domain.MissingUnionId.default_message, {}),
    "tiktok_identity_mismatch": (502, domain.IdentityMismatch.default_message, {}),
    "tiktok_bad_response": (502, "TikTok's reply has no error status.", {}),
    "tiktok_error": (502, "Something went wrong.", {"tiktok_error": "internal_error"}),
    "tiktok_unavailable": (503, "TikTok did not answer in time.", {}),
    "server_misconfigured": (
        503,
        "TikTok sign-in is not configured on this server: set TIKTOK_APP_REDIRECT_URIS.",
        {},
    ),
    "service_unavailable": (503, OUTAGE_MESSAGE, {}),
}

# When each code is answered, for the response descriptions.
WHEN: dict[str, str] = {
    "invalid_request": "the body fails validation (`details.errors`: field -> messages), "
    "the request has more fields than the server reads, or (webhook) a signed body is not "
    "the documented event",
    "parse_error": "the body is not well-formed JSON or form data",
    "redirect_uri_not_allowed": "`redirect_uri` is not one this server allows, or was left "
    "out while the server allows several",
    "tiktok_token_invalid": "TikTok says the access token is invalid, expired or revoked",
    "tiktok_scope_missing": "the token lacks the scope of the basic user-info fields",
    "tiktok_code_invalid": "TikTok refused the code: used, expired, wrong `code_verifier` or "
    "`redirect_uri` (TikTok's code in `details.tiktok_error`)",
    "tiktok_token_not_issued_here": "the access token was not obtained by this server, has "
    "expired here, or belongs to another account: sign in again",
    "refresh_token_invalid": "the refresh token is invalid, expired, already used, revoked "
    "(logout, block, disconnect, or a reuse of a replaced token, which ends the whole "
    "session), an access token, or its user was deleted",
    "not_authenticated": "no `Authorization: Bearer` header",
    "token_not_valid": "the JWT is invalid or expired: refresh it",
    "bad_authorization_header": "the `Authorization` header is malformed",
    "user_not_found": "the JWT's user was deleted",
    "password_changed": "the user's password changed since the JWT was issued (only when "
    "SimpleJWT's `CHECK_REVOKE_TOKEN` is on)",
    "account_blocked": "the user is blocked by an administrator",
    "registration_closed": "no account is linked to this TikTok user and this server does not "
    "create new ones",
    "plugin_disabled": "TikTok sign-in is switched off on this server",
    "not_linked": "no TikTok account is linked to this user",
    "webhook_signature_invalid": "`TikTok-Signature` is missing, malformed or does not sign "
    "the body with this app's client secret",
    "webhook_signature_expired": "the signature's timestamp is more than 5 minutes off",
    "email_taken": "an account that is not linked to TikTok already uses this TikTok "
    "account's pseudo-email; nothing was linked",
    "sign_in_interrupted": "the TikTok account was disconnected while this sign-in was being "
    "completed; nothing was issued: sign in again (as a new user)",
    "payload_too_large": "the body is larger than the server's limit (16 KiB by default)",
    "unsupported_media_type": "the body is neither JSON nor form-encoded",
    "throttled": "too many requests from this IP address: retry after `Retry-After` seconds",
    "tiktok_union_id_missing": "TikTok's user info has no `union_id`",
    "tiktok_identity_mismatch": "TikTok's user info is for another account than the code's",
    "tiktok_bad_response": "TikTok answered something unreadable",
    "tiktok_error": "any other TikTok API error (TikTok's code in `details.tiktok_error`)",
    "tiktok_unavailable": "TikTok could not be reached, timed out or failed: retry later "
    "(`Retry-After` when TikTok sent one)",
    "server_misconfigured": "this server's TikTok configuration is incomplete or refused by "
    "TikTok (the message names the setting)",
    "service_unavailable": "this server's database or cache is out of reach: retry after "
    "`Retry-After` seconds",
}

RESPONSE_HEADERS: dict[int, dict[str, Any]] = {
    429: {"name": "Retry-After", "type": int, "required": True, "description": "Seconds to wait."},
    503: {
        "name": "Retry-After",
        "type": int,
        "required": False,
        "description": "Seconds to wait: always with `service_unavailable`, and with "
        "`tiktok_unavailable` when TikTok said so.",
    },
}


# ---- the error envelope --------------------------------------------------------------------

ERROR_NAMES = sorted({*STATUS_NAMES.values(), "ApplicationError"})  # see errors.envelope


@extend_schema_field(
    {"type": "object", "nullable": True, "enum": [None], "description": "Always null."},
    component_name="Null",  # a component: drf-spectacular's enum hook would empty it inline
)
class NullField(serializers.Field):
    pass


class ErrorDetailsSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="The stable, machine-readable reason: branch on this. Each response lists "
        "the codes it can carry."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors (`invalid_request` only): field name -> messages.",
    )
    tiktok_error = serializers.CharField(
        required=False, help_text="TikTok's own error code, when it differs from `code`."
    )


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status of the response.")
    name = serializers.ChoiceField(choices=ERROR_NAMES)
    message = serializers.CharField(help_text="For people, in English; may change.")
    details = ErrorDetailsSerializer()


class ErrorEnvelopeSerializer(serializers.Serializer):
    data = NullField()
    error = ErrorSerializer()


def error_responses(
    *codes: str, examples: dict[str, tuple[str, dict[str, Any]]] | None = None
) -> dict[int, OpenApiResponse]:
    """One response per status among ``codes``: the envelope, the codes and an example each
    (``examples``: code -> (message, details) where the catalog's does not fit)."""
    examples = examples or {}
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERROR_CODES[code][0], []).append(code)
    return {
        status: OpenApiResponse(
            ErrorEnvelopeSerializer,
            description=f"{STATUS_NAMES[status]}. `details.code`:\n\n"
            + "\n".join(f"- `{code}`: {WHEN[code]}" for code in status_codes),
            examples=[_example(code, *examples.get(code, ())) for code in status_codes],
        )
        for status, status_codes in sorted(by_status.items())
    }


def _example(code: str, message: str | None = None, details: Any = None) -> OpenApiExample:
    status, default_message, default_details = ERROR_CODES[code]
    message, details = message or default_message, default_details if details is None else details
    return OpenApiExample(
        code,
        value=envelope(status, message, code, **details),
        response_only=True,
        status_codes=[str(status)],
    )


def header(status: int) -> OpenApiParameter:
    spec = RESPONSE_HEADERS[status]
    return OpenApiParameter(
        spec["name"],
        spec["type"],
        OpenApiParameter.HEADER,
        required=spec["required"],
        description=spec["description"],
        response=[status],
    )


# ---- request bodies: the real serializers' fields ------------------------------------------


def _field(serializer: type[serializers.Serializer], name: str, **kwargs: Any) -> Any:
    """A new instance of ``serializer``'s field ``name``, with ``kwargs`` changed."""
    field = serializer._declared_fields[name]
    return type(field)(*field._args, **{**field._kwargs, **kwargs})


CONNECT_WITH_CODE = inline_serializer(
    "ConnectWithCode",
    {
        "code": _field(
            ConnectSerializer,
            "code",
            required=True,
            help_text="The authorization code the TikTok SDK returned.",
        ),
        "code_verifier": _field(
            ConnectSerializer,
            "code_verifier",
            required=True,
            help_text="The PKCE verifier the code was made with (32 to 128 characters; "
            "TikTok's Android SDK makes 32).",
        ),
        "redirect_uri": _field(
            ConnectSerializer,
            "redirect_uri",
            help_text="The redirect URI the SDK used: one of the server's allowed URIs. "
            "May be left out when the server allows exactly one.",
        ),
    },
)
CONNECT_WITH_ACCESS_TOKEN = inline_serializer(
    "ConnectWithAccessToken",
    {
        "access_token": _field(
            ConnectSerializer,
            "access_token",
            required=True,
            help_text="A TikTok access token, by default only one this server's callback "
            "obtained (the `access_token` of the app-link redirect).",
        )
    },
)
CONNECT_REQUEST = PolymorphicProxySerializer(
    component_name="Connect",
    serializers=[CONNECT_WITH_CODE, CONNECT_WITH_ACCESS_TOKEN],
    resource_type_field_name=None,
)
REFRESH_REQUEST = RefreshSerializer


# ---- success bodies ------------------------------------------------------------------------


class TikTokProfileSerializer(serializers.Serializer):
    open_id = serializers.CharField(help_text="The user's id in this TikTok app.")
    union_id = serializers.CharField(help_text="The user's id across the developer's apps.")
    display_name = serializers.CharField(allow_blank=True)
    avatar_url = serializers.CharField(allow_blank=True)
    username = serializers.CharField(
        allow_null=True, help_text="The TikTok handle, with the `user.info.profile` scope."
    )
    scopes = serializers.ListField(
        child=serializers.CharField(), help_text="The scopes granted at the last sign-in."
    )
    deauthorized = serializers.BooleanField(
        help_text="TikTok said the user removed this app (its webhook); cleared by the next "
        "sign-in with TikTok."
    )

    class Meta:
        ref_name = "TikTokProfile"


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(
        allow_blank=True, help_text="A pseudo-address for users created by TikTok sign-in."
    )
    provider = serializers.ChoiceField(choices=["tiktok", "local"])
    confirmed = serializers.BooleanField()
    blocked = serializers.BooleanField()
    role = serializers.ChoiceField(choices=list(ROLES), help_text="Decided by the server.")
    createdAt = serializers.DateTimeField(allow_null=True, help_text="When the user joined.")
    updatedAt = serializers.DateTimeField(
        allow_null=True, help_text="The TikTok link's last update."
    )
    tiktok = TikTokProfileSerializer(
        allow_null=True,
        help_text="The TikTok profile; every user-info field TikTok returned is included. "
        "Null for a user without a TikTok link.",
    )

    class Meta:
        ref_name = "User"


class TokenPairSerializer(serializers.Serializer):
    jwt = serializers.CharField(help_text="The access JWT: `Authorization: Bearer <jwt>`.")
    refresh = serializers.CharField(help_text="A single-use refresh token.")


class ConnectResponseSerializer(TokenPairSerializer):
    user = UserSerializer()


class WebhookEventSerializer(serializers.Serializer):
    """TikTok's webhook body; this server acts on ``authorization.removed``."""

    client_key = serializers.CharField(help_text="The app the event is for.")
    event = serializers.CharField(help_text="`authorization.removed`; others are ignored.")
    create_time = serializers.IntegerField(min_value=0, help_text="Unix seconds.")
    user_openid = serializers.CharField()
    content = serializers.CharField(
        help_text='A JSON string; for authorization.removed `{"reason": n}`.'
    )


class WebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    result = serializers.ChoiceField(
        choices=["applied", "duplicate", "ignored"],
        help_text="`ignored` also for a signed body that is not an event of this app.",
    )
