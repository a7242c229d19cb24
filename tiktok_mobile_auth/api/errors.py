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

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth import exceptions as domain
from tiktok_mobile_auth import tiktok

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

# The TikTok client's errors -> our code (its status and meaning: error_codes). Most specific
# class first. The domain's errors carry their own code (exceptions.CodedError).
TIKTOK_ERROR_CODES: list[tuple[type[tiktok.TikTokError], str]] = [
    (tiktok.TikTokTokenInvalid, codes.TIKTOK_TOKEN_INVALID),
    (tiktok.TikTokScopeError, codes.TIKTOK_SCOPE_MISSING),
    (tiktok.TikTokOAuthError, codes.TIKTOK_CODE_INVALID),
    (tiktok.TikTokUnavailable, codes.TIKTOK_UNAVAILABLE),
    (tiktok.TikTokBadResponse, codes.TIKTOK_BAD_RESPONSE),
    (tiktok.TikTokError, codes.TIKTOK_ERROR),
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

# What Django raises while a view reads a hostile request (QueryDict, the multipart parser,
# request.body). RequestDataTooBig is a SuspiciousOperation too: checked first, as a 413.
REFUSED_INPUT: tuple[type[Exception], ...] = (
    SuspiciousOperation,
    BadRequest,
    MultiPartParserError,
    UnreadablePostError,
)


class PluginDisabled(drf.NotFound):
    default_detail = codes.message_of(codes.PLUGIN_DISABLED)
    default_code = codes.PLUGIN_DISABLED


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


def _json_error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse(envelope(status, message, code), status=status)


def error_response(code: str, message: str | None = None) -> JsonResponse:
    """The envelope of ``code`` as a plain Django response, for the non-DRF views: its status
    and (unless ``message`` is given) its message from the catalogue (:mod:`.error_codes`)."""
    return _json_error(codes.status_of(code), message or codes.message_of(code), code)


def _log_outage(exc: Exception) -> None:
    # The driver's message names the server and the failure, never a query's values.
    logger.error("TikTok sign-in: storage unavailable: %s: %s", type(exc).__name__, exc)


def refused_input(exc: Exception) -> tuple[int, str, str]:
    """(status, message, code) for one of :data:`REFUSED_INPUT`: 413 for a body too large,
    else 400. Logged by class name only: the message could quote the client's input."""
    logger.warning(
        "TikTok sign-in: refused a request Django could not read: %s", type(exc).__name__
    )
    code = codes.PAYLOAD_TOO_LARGE if isinstance(exc, RequestDataTooBig) else codes.INVALID_REQUEST
    return codes.status_of(code), codes.message_of(code), code


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
            response = error_response(codes.SERVICE_UNAVAILABLE)
            response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
            return response
        except REFUSED_INPUT as exc:
            return _json_error(*refused_input(exc))

    return wrapper


def _describe(exc: Exception) -> tuple[int, str, str, dict[str, Any]] | None:
    """(status, message, code, extra details) for a domain or TikTok error, else None (a
    domain error whose code is never answered as JSON included: a bug if it gets here)."""
    if isinstance(exc, tiktok.TikTokError):
        return _describe_tiktok(exc)
    if isinstance(exc, domain.CodedError) and exc.status is not None:
        return exc.status, str(exc), exc.code, {}
    return None


def _describe_tiktok(exc: tiktok.TikTokError) -> tuple[int, str, str, dict[str, Any]]:
    logger.warning(
        "TikTok call failed: %s (%s, HTTP %s, log_id=%s)",
        type(exc).__name__,
        exc.code,
        exc.http_status,
        exc.log_id,
    )
    code = next(code for cls, code in TIKTOK_ERROR_CODES if isinstance(exc, cls))
    extra = {"tiktok_error": exc.code} if exc.code != code else {}
    return codes.status_of(code), exc.description, code, extra


def _describe_drf(exc: drf.APIException) -> tuple[str, str, dict[str, Any]]:
    detail = exc.detail
    if isinstance(exc, drf.ValidationError):
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        first_field, messages = next(iter(errors.items()))
        first = messages[0] if isinstance(messages, list) and messages else messages
        message = f"{first_field}: {first}" if first_field != "non_field_errors" else str(first)
        return message, codes.INVALID_REQUEST, {"errors": errors}
    if isinstance(detail, dict):  # SimpleJWT: {"detail", "code", "messages"}
        return str(detail.get("detail", "")), str(detail.get("code", exc.default_code)), {}
    drf_code = exc.get_codes()
    return str(detail), drf_code if isinstance(drf_code, str) else exc.default_code, {}


def _catalogued(code: str) -> tuple[int, str, str, dict[str, Any]]:
    """(status, message, code, no extra details) of ``code``, all from the catalogue."""
    return codes.status_of(code), codes.message_of(code), code, {}


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
        status, message, code, extra = _catalogued(codes.SERVICE_UNAVAILABLE)
        headers["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
        message, code, extra = _describe_drf(exc)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, Http404):
        status, message, code, extra = _catalogued(codes.NOT_FOUND)
    elif isinstance(exc, REFUSED_INPUT):
        status, message, code = refused_input(exc)
        extra = {}
    else:
        # A bug, not an input: log it with its traceback, and still answer in the envelope.
        logger.exception("Unexpected error in a TikTok sign-in endpoint")
        status, message, code, extra = _catalogued(codes.INTERNAL_ERROR)
    return Response(envelope(status, message, code, **extra), status=status, headers=headers)
