"""A tiny client for the fake TikTok's ``/_fake/`` control endpoints (stdlib ``urllib`` only).

Tests use it to seed users, mint codes and tokens, inject faults and read what the code
under test actually sent to "TikTok".
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class FakeTikTokControlError(RuntimeError):
    """A control call failed; ``status`` is the HTTP status (0 when nothing answered)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class FakeTikTokControl:
    """Drive a running fake TikTok at ``base_url`` (e.g. ``http://127.0.0.1:8765``)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def reset(self) -> None:
        """Back to the start-up app, the seeded users; no codes, tokens, faults or log."""
        self._call("POST", "reset", {})

    def add_user(self, **fields: Any) -> dict[str, Any]:
        """Create or replace a user (``open_id`` required, any other field optional)."""
        return self._call("POST", "users", fields)

    def set_app(self, client_key: str, client_secret: str) -> None:
        """Register or replace an app; it becomes the default for minted codes and tokens."""
        self._call("POST", "apps", {"client_key": client_key, "client_secret": client_secret})

    def configure(
        self,
        access_expires_in: int | None = None,
        refresh_expires_in: int | None = None,
        code_ttl: int | None = None,
    ) -> None:
        """Change token and code lifetimes (seconds) until the next reset."""
        self._call(
            "POST",
            "config",
            _present(
                access_expires_in=access_expires_in,
                refresh_expires_in=refresh_expires_in,
                code_ttl=code_ttl,
            ),
        )

    def mint_code(
        self,
        open_id: str,
        scope: str = "user.info.basic",
        redirect_uri: str | None = None,
        code_challenge: str | None = None,
        client_key: str | None = None,
        code: str | None = None,
        expires_in: float | None = None,
    ) -> str:
        """An authorization code as if ``open_id`` had consented; ``code`` picks its value."""
        body = _present(
            open_id=open_id,
            scope=scope,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            client_key=client_key,
            code=code,
            expires_in=expires_in,
        )
        return self._call("POST", "codes", body)["code"]

    def mint_grant(
        self,
        open_id: str,
        scope: str = "user.info.basic",
        expires_in: float | None = None,
        client_key: str | None = None,
    ) -> dict[str, Any]:
        """A token pair without a code: the token endpoint's success body."""
        body = _present(open_id=open_id, scope=scope, expires_in=expires_in, client_key=client_key)
        return self._call("POST", "tokens", body)

    def mint_token(
        self, open_id: str, scope: str = "user.info.basic", expires_in: float | None = None
    ) -> str:
        """An access token for ``open_id`` (``expires_in=0`` gives an expired one)."""
        return self.mint_grant(open_id, scope, expires_in)["access_token"]

    def fault(self, endpoint: str, kind: str, count: int = 1, **extra: Any) -> None:
        """Make the next ``count`` requests to ``endpoint`` misbehave as ``kind``."""
        self._call("POST", "faults", {"endpoint": endpoint, "kind": kind, "count": count, **extra})

    def send_webhook(
        self,
        url: str,
        user_openid: str,
        event: str = "authorization.removed",
        reason: int = 1,
        **extra: Any,
    ) -> dict[str, Any]:
        """Have the fake sign an event and POST it to ``url`` (a loopback URL); returns
        ``{"status", "body", "sent", "signature"}``. ``extra``: ``client_key``,
        ``create_time``, ``timestamp``, ``secret`` (see testing/webhooks.py)."""
        body = {"url": url, "user_openid": user_openid, "event": event, "reason": reason}
        return self._call("POST", "webhooks", {**body, **extra})

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """The requests the fake received, oldest first (optionally one endpoint's)."""
        query = f"?{urllib.parse.urlencode({'endpoint': endpoint})}" if endpoint else ""
        return self._call("GET", f"requests{query}")["requests"]

    def _call(self, method: str, name: str, payload: dict[str, Any] | None = None) -> Any:
        """One JSON round trip; raises :class:`FakeTikTokControlError` on any failure."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/_fake/{name}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            raise FakeTikTokControlError(
                f"fake TikTok /_fake/{name}: HTTP {err.code} {detail}", err.code
            ) from err
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise FakeTikTokControlError(f"fake TikTok /_fake/{name}: {err}") from err


def _present(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were actually given (None means "use the default")."""
    return {key: value for key, value in values.items() if value is not None}
