"""The floor: the least a TikTok sign-in server must do, to measure the site against.

One TikTok user-info call through a pooled ``requests.Session`` (the same adapter settings
as ``tiktok_mobile_auth.tiktok``), then an access + refresh JWT pair with the same claims,
algorithm and so size as SimpleJWT's, in a plain WSGI app served by the same
``gunicorn.conf.py``. No Django, no database: whatever the site costs above this is the
framework, the ORM and the database.

``gunicorn -c gunicorn.conf.py bench.floor:application`` with ``BENCH_TIKTOK_URL`` set.
"""

from __future__ import annotations

import json
import os
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import jwt
import requests

USER_INFO_URL = os.environ.get("BENCH_TIKTOK_URL", "http://127.0.0.1:8765") + "/v2/user/info/"
FIELDS = "open_id,union_id,display_name,avatar_url"
SECRET = os.environ.get("DJANGO_SECRET_KEY") or uuid.uuid4().hex
TIMEOUT = (3.05, 10.0)

_session = requests.Session()
_session.trust_env = False  # as the plugin's session: environment proxies read once, not per call
_adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
_session.mount("http://", _adapter)
_session.mount("https://", _adapter)


# What fetch_user raises when TikTok's answer is unusable: the floors answer 502.
FETCH_ERRORS = (requests.RequestException, ValueError, KeyError, TypeError)


def fetch_user(session: requests.Session, access_token: str) -> dict[str, Any]:
    """TikTok's user-info call, as the plugin makes it; the ``user`` object of the answer."""
    response = session.get(
        USER_INFO_URL,
        params={"fields": FIELDS},
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT,
    )
    return response.json()["data"]["user"]


def pseudo_user_id(user: dict[str, Any]) -> str:
    """A user id of the size of the site's, with no user table to look it up in."""
    return str(zlib.crc32(str(user.get("union_id")).encode()) % 100_000)


def _token(kind: str, user_id: str, lifetime: int) -> str:
    now = int(time.time())
    claims = {"token_type": kind, "exp": now + lifetime, "iat": now, "jti": uuid.uuid4().hex}
    return jwt.encode({**claims, "user_id": user_id}, SECRET, algorithm="HS256")


def _reply(
    start_response: Callable[..., Any], status: str, payload: dict[str, Any]
) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """POST {"access_token"} -> {"jwt", "refresh", "user"}; anything else is a 400."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        access_token = json.loads(environ["wsgi.input"].read(length))["access_token"]
    except (ValueError, KeyError, TypeError):
        return _reply(start_response, "400 Bad Request", {"error": "access_token required"})
    try:
        user = fetch_user(_session, access_token)
    except FETCH_ERRORS:
        return _reply(start_response, "502 Bad Gateway", {"error": "tiktok"})
    user_id = pseudo_user_id(user)
    pair = {"jwt": _token("access", user_id, 900), "refresh": _token("refresh", user_id, 2592000)}
    return _reply(start_response, "200 OK", {**pair, "user": user})
