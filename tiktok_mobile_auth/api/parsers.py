"""Request bodies: a size limit checked before anything is read, and a JSON parser that
turns every malformed body into a 400.

- ``MAX_REQUEST_BYTES`` (16 KiB by default): every valid body of the plugin is well under
  1 KiB. A larger declared ``Content-Length`` gets 413 (``payload_too_large``) before the
  body is read or parsed. (A body without ``Content-Length`` is read as empty by Django's
  WSGI handler, so it cannot get around the limit.)
- Deeply nested JSON (``[[[[...``) makes Python's decoder raise ``RecursionError``, which
  DRF's parser does not catch (a 500); here it is a parse error (400) like any other.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers, status
from rest_framework.request import Request

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth.conf import TikTokConfig


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = codes.message_of(codes.PAYLOAD_TOO_LARGE)
    default_code = codes.PAYLOAD_TOO_LARGE


def check_body_size(request: Request, config: TikTokConfig) -> None:
    """Raise :class:`PayloadTooLarge` when the declared body exceeds the limit."""
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0  # Django reads an unparseable Content-Length as 0 bytes too
    if size > config.max_request_bytes:
        raise PayloadTooLarge(
            f"The request body is too large (at most {config.max_request_bytes} bytes)."
        )


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as err:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from err
