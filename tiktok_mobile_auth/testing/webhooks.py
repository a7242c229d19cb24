"""The fake TikTok sends webhooks: ``POST /_fake/webhooks`` signs an event as TikTok does and
POSTs it to a URL, so an integration test can have "TikTok" call the site under test.

Control body: ``{"url", "user_openid", "event" (default "authorization.removed"), "reason"
(default 1), "client_key" (default: the default app), "create_time" and "timestamp"
(defaults: now), "secret" (default: that app's secret; another one forges a bad
signature)}``. The answer: ``{"status", "body", "sent", "signature"}`` (the site's HTTP
status and body, the event sent, the ``TikTok-Signature`` header). Only loopback URLs are
called, as the fake only ever listens on loopback itself.

The event: ``{"client_key", "event", "create_time", "user_openid", "content"}`` with
``content`` a JSON *string* (``{"reason": n}``); the header ``TikTok-Signature:
t=<unix seconds>,s=<hex HMAC-SHA256 keyed with the client secret over "<t>.<raw body>">``.
Standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from tiktok_mobile_auth.testing.state import State

AUTHORIZATION_REMOVED = "authorization.removed"
TIMEOUT = 10.0


def signature(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The ``TikTok-Signature`` header value for ``raw_body`` sent at ``timestamp``."""
    message = f"{timestamp}.".encode() + raw_body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={digest}"


def _require_loopback(url: str) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https") or not loopback:
        raise ValueError("url must be an http(s) URL on a loopback address")


def send(state: State, body: dict[str, Any]) -> dict[str, Any]:
    """Sign and POST one event as described in the module docstring."""
    url = str(body.get("url") or "")
    _require_loopback(url)
    user_openid = body.get("user_openid")
    if not isinstance(user_openid, str) or not user_openid:
        raise ValueError("user_openid (a non-empty string) is required")
    client_key = str(body.get("client_key") or state.default_client_key)
    now = int(state.clock())
    event = {
        "client_key": client_key,
        "event": str(body.get("event") or AUTHORIZATION_REMOVED),
        "create_time": int(body.get("create_time") or now),
        "user_openid": user_openid,
        "content": json.dumps({"reason": int(body.get("reason", 1))}),
    }
    raw = json.dumps(event).encode()
    secret = str(body.get("secret") or state.secret_of(client_key))
    header = signature(secret, int(body.get("timestamp") or now), raw)
    request = urllib.request.Request(
        url,
        data=raw,
        method="POST",
        headers={"Content-Type": "application/json", "TikTok-Signature": header},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status, text = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as err:
        raise ValueError(f"could not deliver the webhook: {err}") from err
    return {"status": status, "body": text, "sent": event, "signature": header}
