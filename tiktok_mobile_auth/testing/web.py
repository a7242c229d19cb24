"""Request/response plumbing for the fake's WSGI app: parsing, JSON and TikTok error bodies.

Standard library only: the fake must run without Django.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tiktok_mobile_auth.testing.model import new_log_id

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_BODY = 1_000_000  # nothing TikTok accepts is this big; keeps a stray upload bounded


def is_form(content_type: str) -> bool:
    """Whether a Content-Type header names a URL-encoded form (parameters ignored)."""
    return content_type.split(";")[0].strip().lower() == FORM_TYPE


@dataclass
class Request:
    """The parts of a request the fake looks at."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    content_type: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    """Status, body and headers, turned into WSGI calls by :class:`FakeTikTokApp`."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """A JSON reply."""
    return Response(status, json.dumps(payload).encode("utf-8"), headers=list(headers))


def oauth_error(status: int, error: str, description: str) -> Response:
    """The flat error body of TikTok's ``/v2/oauth/*`` endpoints."""
    body = {"error": error, "error_description": description, "log_id": new_log_id()}
    return json_response(status, body)


def api_error(status: int, code: str, message: str) -> Response:
    """The ``{data, error}`` envelope of TikTok's Open API endpoints."""
    error = {"code": code, "message": message, "log_id": new_log_id()}
    return json_response(status, {"data": {}, "error": error})


def parse_request(environ: dict[str, Any]) -> Request:
    """Read method, path, query, form body and the headers the request log keeps."""
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    content_type = environ.get("CONTENT_TYPE") or ""
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    wanted = {
        "Authorization": environ.get("HTTP_AUTHORIZATION"),
        "Content-Type": environ.get("CONTENT_TYPE") or None,
        "User-Agent": environ.get("HTTP_USER_AGENT"),
    }
    return Request(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=environ.get("PATH_INFO") or "/",
        query=dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
        form=form if is_form(content_type) else {},
        content_type=content_type,
        headers={name: value for name, value in wanted.items() if value is not None},
        body=body,
    )
