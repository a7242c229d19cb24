"""The error envelope, kept from the Strapi plugin so apps can switch backends:

    {"data": null, "error": {"status": 401, "name": "UnauthorizedError",
                             "message": "human text", "details": {"code": "tiktok_token_invalid"}}}

Statuses are truthful (unlike Strapi's blanket 400). Every error our views raise, ours,
TikTok's or DRF's, is turned into this shape here and only here.

When the database or the cache cannot be reached (refused, timed out, the pool exhausted, a
dropped connection), every endpoint answers 503 ``service_unavailable`` with ``Retry-After``
instead of a 500: a sign-in needs both (the cache for the throttle, the admin panel's values
and login attempts; the database for accounts and tokens), and an app can retry. No user is
half-created: a new user and its TikTok account are written in one transaction.

Input that Django itself refuses while a view reads it is the client's fault, never a 500:
more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields in a form body or a query string
(``TooManyFieldsSent``), too many files, a broken multipart body, any other
``SuspiciousOperation`` or ``BadRequest``, a body the client stopped sending: 400
``invalid_request``; a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 ``payload_too_large``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions as drf
from rest_framework.response import Response

from tiktok_mobile_auth import exceptions as domain
from tiktok_mobile_auth import tiktok
from tiktok_mobile_auth.signin.jwt_tokens import RefreshRefused

logger = logging.getLogger("tiktok_mobile_auth")

STATUS_NAMES = {
    400: "ValidationError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    406: "NotAcceptableError",
    409: "ConflictError",
    413: "PayloadTooLargeError",
    415: "UnsupportedMediaTypeError",
    429: "RateLimitError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
}

# Domain and TikTok errors -> (HTTP status, stable code). Most specific class first.
ERROR_STATUSES: list[tuple[type[Exception], int, str | None]] = [
    (domain.NotConfigured, 503, None),
    (domain.MissingUnionId, 502, None),
    (domain.RegistrationClosed, 403, None),
    (domain.AccountBlocked, 403, None),
    (domain.EmailConflict, 409, None),
    (domain.SignInInterrupted, 409, None),
    (domain.RedirectUriNotAllowed, 400, None),
    (domain.IdentityMismatch, 502, None),
    (domain.TokenNotIssuedHere, 401, None),
    (domain.NotLinked, 404, None),
    (domain.WebhookRefused, 401, None),  # also WebhookExpired, with its own code
    (domain.WebhookMalformed, 400, None),
    (RefreshRefused, 401, None),
    (tiktok.TikTokTokenInvalid, 401, "tiktok_token_invalid"),
    (tiktok.TikTokScopeError, 401, "tiktok_scope_missing"),
    (tiktok.TikTokOAuthError, 401, "tiktok_code_invalid"),
    (tiktok.TikTokUnavailable, 503, "tiktok_unavailable"),
    (tiktok.TikTokBadResponse, 502, "tiktok_bad_response"),
    (tiktok.TikTokError, 502, "tiktok_error"),
]


def _storage_errors() -> tuple[type[Exception], ...]:
    """The errors that mean the database or the cache is out of reach. Other database
    errors (integrity, programming) are bugs and stay 500s."""
    errors: list[type[Exception]] = [OperationalError, InterfaceError]
    with contextlib.suppress(ImportError):  # redis-py: Django's and django-redis's backends
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    with contextlib.suppress(ImportError):  # django-redis wraps redis-py's in its own
        from django_redis.exceptions import ConnectionInterrupted

        errors.append(ConnectionInterrupted)
    return tuple(errors)


STORAGE_ERRORS = _storage_errors()
OUTAGE_RETRY_AFTER = 5  # seconds: about a restart or failover of PostgreSQL or Redis
OUTAGE_MESSAGE = "TikTok sign-in is temporarily unavailable. Please try again shortly."

# What Django raises while a view reads a hostile request (QueryDict, the multipart parser,
# request.body). RequestDataTooBig is a SuspiciousOperation too: checked first, as a 413.
REFUSED_INPUT: tuple[type[Exception], ...] = (
    SuspiciousOperation,
    BadRequest,
    MultiPartParserError,
    UnreadablePostError,
)
TOO_LARGE_MESSAGE = "The request body is too large."
REFUSED_MESSAGE = "The request could not be read (too many fields, or a malformed body)."


class PluginDisabled(drf.NotFound):
    default_detail = "TikTok sign-in is disabled on this server."
    default_code = "plugin_disabled"


def envelope(status: int, message: str, code: str, **details: Any) -> dict[str, Any]:
    return {
        "data": None,
        "error": {
            "status": status,
            "name": STATUS_NAMES.get(status, "ApplicationError"),
            "message": message,
            "details": {"code": code, **details},
        },
    }


def json_error(status: int, message: str, code: str) -> JsonResponse:
    """The envelope as a plain Django response, for the non-DRF callback view."""
    return JsonResponse(envelope(status, message, code), status=status)


def _log_outage(exc: Exception) -> None:
    # The driver's message names the server and the failure, never a query's values.
    logger.error("TikTok sign-in: storage unavailable: %s: %s", type(exc).__name__, exc)


def refused_input(exc: Exception) -> tuple[int, str, str]:
    """(status, message, code) for one of :data:`REFUSED_INPUT`: 413 for a body too large,
    else 400. Logged by class name only: the message could quote the client's input."""
    logger.warning(
        "TikTok sign-in: refused a request Django could not read: %s", type(exc).__name__
    )
    if isinstance(exc, RequestDataTooBig):
        return 413, TOO_LARGE_MESSAGE, "payload_too_large"
    return 400, REFUSED_MESSAGE, "invalid_request"


def answers_outages(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``view`` to answer in the envelope what would otherwise end in Django's 500
    page (or its HTML 400 page), for work outside DRF's exception handling (reading the
    configuration, the plain Django views): 503 ``service_unavailable`` when the database or
    cache is out of reach, and 400 / 413 for input Django refuses (:func:`refused_input`)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except STORAGE_ERRORS as exc:
            _log_outage(exc)
            response = json_error(503, OUTAGE_MESSAGE, "service_unavailable")
            response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
            return response
        except REFUSED_INPUT as exc:
            return json_error(*refused_input(exc))

    return wrapper


def _describe(exc: Exception) -> tuple[int, str, str, dict[str, Any]] | None:
    """(status, message, code, extra details) for a domain or TikTok error, else None."""
    for cls, status, code in ERROR_STATUSES:
        if isinstance(exc, cls):
            if isinstance(exc, tiktok.TikTokError):
                logger.warning(
                    "TikTok call failed: %s (%s, HTTP %s, log_id=%s)",
                    type(exc).__name__,
                    exc.code,
                    exc.http_status,
                    exc.log_id,
                )
                extra = {"tiktok_error": exc.code} if exc.code != code else {}
                return status, exc.description, code or exc.code, extra
            return status, str(exc), code or getattr(exc, "code", "error"), {}
    return None


def _describe_drf(exc: drf.APIException) -> tuple[str, str, dict[str, Any]]:
    detail = exc.detail
    if isinstance(exc, drf.ValidationError):
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        first_field, messages = next(iter(errors.items()))
        first = messages[0] if isinstance(messages, list) and messages else messages
        message = f"{first_field}: {first}" if first_field != "non_field_errors" else str(first)
        return message, "invalid_request", {"errors": errors}
    if isinstance(detail, dict):  # SimpleJWT: {"detail", "code", "messages"}
        return str(detail.get("detail", "")), str(detail.get("code", exc.default_code)), {}
    codes = exc.get_codes()
    return str(detail), codes if isinstance(codes, str) else exc.default_code, {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF exception handler of the plugin's views: everything becomes the envelope."""
    headers: dict[str, str] = {}
    described = _describe(exc)
    if described is not None:
        status, message, code, extra = described
        retry_after = getattr(exc, "retry_after", None)
        if status == 503 and retry_after:
            headers["Retry-After"] = str(retry_after)
    elif isinstance(exc, STORAGE_ERRORS):
        _log_outage(exc)
        status, message, code, extra = 503, OUTAGE_MESSAGE, "service_unavailable", {}
        headers["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
        message, code, extra = _describe_drf(exc)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, Http404):
        status, message, code, extra = 404, "Not found.", "not_found", {}
    elif isinstance(exc, REFUSED_INPUT):
        status, message, code = refused_input(exc)
        extra = {}
    else:
        # A bug, not an input: log it with its traceback, and still answer in the envelope.
        logger.exception("Unexpected error in a TikTok sign-in endpoint")
        status, message, code, extra = 500, "Internal server error.", "internal_error", {}
    return Response(envelope(status, message, code, **extra), status=status, headers=headers)
