"""The error side of the OpenAPI document: which ``details.code`` each operation can answer,
and the envelope, description and example of each.

A code's status, message and meaning come from the catalogue
(:mod:`tiktok_mobile_auth.error_codes`); this module only says which operation answers which
code (:data:`OPERATION_ERRORS`, checked against the live server by
tests/integration/test_schemathesis.py) and, where the default message would make a poor
example, what a real answer looks like (:data:`EXAMPLES`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_field,
)
from rest_framework import serializers

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth.api.errors import STATUS_NAMES, envelope
from tiktok_mobile_auth.conf import DEFAULTS

_COMMON = (codes.PLUGIN_DISABLED, codes.THROTTLED, codes.SERVICE_UNAVAILABLE)
_BODY = (
    codes.INVALID_REQUEST,
    codes.PARSE_ERROR,
    codes.PAYLOAD_TOO_LARGE,
    codes.UNSUPPORTED_MEDIA_TYPE,
)
_BEARER = (
    codes.NOT_AUTHENTICATED,
    codes.TOKEN_NOT_VALID,
    codes.BAD_AUTHORIZATION_HEADER,
    codes.USER_NOT_FOUND,
    codes.PASSWORD_CHANGED,
    codes.ACCOUNT_BLOCKED,
)
OPERATION_ERRORS: dict[str, tuple[str, ...]] = {
    "connect": (
        *_BODY,
        *_COMMON,
        codes.REDIRECT_URI_NOT_ALLOWED,
        codes.TIKTOK_TOKEN_INVALID,
        codes.TIKTOK_SCOPE_MISSING,
        codes.TIKTOK_CODE_INVALID,
        codes.TIKTOK_TOKEN_NOT_ISSUED_HERE,
        codes.ACCOUNT_BLOCKED,
        codes.REGISTRATION_CLOSED,
        codes.EMAIL_TAKEN,
        codes.SIGN_IN_INTERRUPTED,
        codes.TIKTOK_UNION_ID_MISSING,
        codes.TIKTOK_IDENTITY_MISMATCH,
        codes.TIKTOK_BAD_RESPONSE,
        codes.TIKTOK_ERROR,
        codes.TIKTOK_UNAVAILABLE,
        codes.SERVER_MISCONFIGURED,
    ),
    "me": (*_COMMON, *_BEARER),
    "refreshToken": (*_BODY, *_COMMON, codes.REFRESH_TOKEN_INVALID, codes.ACCOUNT_BLOCKED),
    "logout": (*_BODY, *_COMMON, codes.REFRESH_TOKEN_INVALID),
    "disconnect": (*_COMMON, codes.PAYLOAD_TOO_LARGE, *_BEARER, codes.NOT_LINKED),
    "webhook": (
        *_COMMON,
        codes.INVALID_REQUEST,  # signed, but not the documented event
        codes.PAYLOAD_TOO_LARGE,
        codes.WEBHOOK_SIGNATURE_INVALID,
        codes.WEBHOOK_SIGNATURE_EXPIRED,
        codes.SERVER_MISCONFIGURED,
    ),
    # invalid_request: a query string with more fields than Django accepts.
    "authorize": (*_COMMON, codes.INVALID_REQUEST, codes.SERVER_MISCONFIGURED),
    "callback": (*_COMMON, codes.INVALID_REQUEST, codes.SERVER_MISCONFIGURED),
}

# code -> (message, extra details) of a real answer, where the default message is not one.
EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    codes.INVALID_REQUEST: (
        "refresh: This field is required.",
        {"errors": {"refresh": ["This field is required."]}},
    ),
    codes.PARSE_ERROR: ("JSON parse error - Expecting value: line 1 column 1 (char 0)", {}),
    codes.TIKTOK_TOKEN_INVALID: (
        "Access token is invalid, please refresh token and retry",
        {"tiktok_error": "access_token_invalid"},
    ),
    codes.TIKTOK_SCOPE_MISSING: (
        "The user did not authorize the scope required for completing this request.",
        {"tiktok_error": "scope_not_authorized"},
    ),
    codes.TIKTOK_CODE_INVALID: (
        "Authorization code is expired.",
        {"tiktok_error": "invalid_grant"},
    ),
    codes.PAYLOAD_TOO_LARGE: (
        f"The request body is too large (at most {DEFAULTS['MAX_REQUEST_BYTES']} bytes).",
        {},
    ),
    codes.UNSUPPORTED_MEDIA_TYPE: ('Unsupported media type "text/plain" in request.', {}),
    codes.THROTTLED: ("Request was throttled. Expected available in 12 seconds.", {}),
    codes.TIKTOK_BAD_RESPONSE: ("TikTok's reply has no error status.", {}),
    codes.TIKTOK_ERROR: ("Something went wrong.", {"tiktok_error": "internal_error"}),
    codes.TIKTOK_UNAVAILABLE: ("TikTok did not answer in time.", {}),
    codes.SERVER_MISCONFIGURED: (
        "TikTok sign-in is not configured on this server: set TIKTOK_APP_REDIRECT_URIS.",
        {},
    ),
}

# code -> (HTTP status, an example message, extra details of the example), every code an
# operation documents.
ERROR_CODES: dict[str, tuple[int, str, dict[str, Any]]] = {
    code: (codes.status_of(code), *EXAMPLES.get(code, (codes.message_of(code), {})))
    for code in sorted({code for listed in OPERATION_ERRORS.values() for code in listed})
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
_RETRY_AFTER = {429: codes.THROTTLED, 503: codes.SERVICE_UNAVAILABLE}


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
    operation_id: str, examples: dict[str, tuple[str, dict[str, Any]]] | None = None
) -> dict[int, OpenApiResponse]:
    """One response per status among the codes of ``operation_id``: the envelope, the codes
    and an example each (``examples``: code -> (message, details) where the catalogue's
    example does not fit this operation)."""
    examples = examples or {}
    by_status: dict[int, list[str]] = {}
    for code in OPERATION_ERRORS[operation_id]:
        by_status.setdefault(ERROR_CODES[code][0], []).append(code)
    return {
        status: OpenApiResponse(
            ErrorEnvelopeSerializer,
            description=f"{STATUS_NAMES[status]}. `details.code`:\n\n"
            + "\n".join(f"- `{code}`: {codes.CATALOGUE[code].meaning}" for code in listed),
            examples=[_example(code, *examples.get(code, ())) for code in listed],
        )
        for status, listed in sorted(by_status.items())
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


def retry_after_headers(operation_id: str) -> list[OpenApiParameter]:
    """Retry-After on the 429 and 503 answers of ``operation_id`` (on a 503 from TikTok,
    passed on when TikTok sent one)."""
    listed = OPERATION_ERRORS[operation_id]
    return [_header(status) for status, code in _RETRY_AFTER.items() if code in listed]


def _header(status: int) -> OpenApiParameter:
    spec = RESPONSE_HEADERS[status]
    return OpenApiParameter(
        spec["name"],
        spec["type"],
        OpenApiParameter.HEADER,
        required=spec["required"],
        description=spec["description"],
        response=[status],
    )
