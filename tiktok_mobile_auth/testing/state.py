"""In-memory state of the fake TikTok: apps, users, codes, tokens, faults and a request log.

Everything lives in one :class:`State` behind one lock, so the threaded server stays
consistent. TikTok's OAuth and user-info rules live here too (as methods that raise
:class:`~.model.OAuthError` / :class:`~.model.ApiError`), which keeps ``app.py`` a thin HTTP
layer. Standard library only: the fake must run without Django.
"""

from __future__ import annotations

import copy
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from tiktok_mobile_auth.testing import synthetic
from tiktok_mobile_auth.testing.faults import FaultsAndLog
from tiktok_mobile_auth.testing.model import (
    ACCESS_TOKEN_INVALID,
    DEFAULT_CLIENT_KEY,
    DEFAULT_CLIENT_SECRET,
    MALFORMED,
    REQUEST_LOG_LIMIT,
    SCOPE_OF_FIELD,
    ApiError,
    Code,
    Grant,
    OAuthError,
    default_users,
    pkce_matches,
)


class State(FaultsAndLog):
    """The fake's whole world. Public methods take the lock; ``_`` helpers expect it held."""

    def __init__(
        self,
        client_key: str = DEFAULT_CLIENT_KEY,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        *,
        access_expires_in: int = 86400,
        refresh_expires_in: int = 31536000,
        code_ttl: int = 600,
        clock: Callable[[], float] = time.time,
        synthesize_users: bool = False,
    ) -> None:
        self._lock = threading.Lock()
        self.synthesize_users = synthesize_users  # see synthetic.py (load tests only)
        self._initial_app = (client_key, client_secret)
        self._initial_config = (access_expires_in, refresh_expires_in, code_ttl)
        self.clock = clock  # tests may swap it to move time forward
        self.reset()

    def reset(self) -> None:
        """Restore the initial app, the seeded users and the lifetimes; drop everything else."""
        with self._lock:
            self.default_client_key = self._initial_app[0]
            self._apps = {self._initial_app[0]: self._initial_app[1]}
            self._users = {user["open_id"]: user for user in default_users()}
            self.access_expires_in, self.refresh_expires_in, self.code_ttl = self._initial_config
            self._codes: dict[str, Code] = {}
            self._by_access: dict[str, Grant] = {}
            self._by_refresh: dict[str, Grant] = {}
            self._faults = []
            self._log = deque(maxlen=REQUEST_LOG_LIMIT)
            self._codes_minted = 0

    def configure(
        self,
        access_expires_in: int | None = None,
        refresh_expires_in: int | None = None,
        code_ttl: int | None = None,
    ) -> None:
        """Change token/code lifetimes (seconds) until the next :meth:`reset`."""
        with self._lock:
            if access_expires_in is not None:
                self.access_expires_in = int(access_expires_in)
            if refresh_expires_in is not None:
                self.refresh_expires_in = int(refresh_expires_in)
            if code_ttl is not None:
                self.code_ttl = int(code_ttl)

    # -- apps and users ------------------------------------------------------------

    def set_app(self, client_key: str, client_secret: str) -> None:
        """Register (or replace) an app and make it the default for minted codes/tokens."""
        if not client_key or not client_secret:
            raise ValueError("client_key and client_secret are required")
        with self._lock:
            self._apps[client_key] = client_secret
            self.default_client_key = client_key

    def secret_of(self, client_key: str) -> str:
        """The client secret of a registered app (what TikTok signs webhooks with)."""
        with self._lock:
            if client_key not in self._apps:
                raise ValueError(f"unknown client_key {client_key!r}")
            return self._apps[client_key]

    def is_registered(self, client_key: str) -> bool:
        """Whether ``client_key`` belongs to a registered app."""
        with self._lock:
            return client_key in self._apps

    def put_user(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace a user; any field but ``open_id`` may be missing."""
        open_id = fields.get("open_id")
        if not isinstance(open_id, str) or not open_id:
            raise ValueError("open_id (a non-empty string) is required")
        with self._lock:
            self._users[open_id] = copy.deepcopy(dict(fields))
            return copy.deepcopy(self._users[open_id])

    def users(self) -> list[dict[str, Any]]:
        """All users, in the order they were added."""
        with self._lock:
            return copy.deepcopy(list(self._users.values()))

    # -- codes and tokens ------------------------------------------------------------

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
        """Issue a single-use code as if ``open_id`` had consented; return it."""
        with self._lock:
            self._require_user(open_id)
            self._codes_minted += 1
            value = code or self._new_code_value()
            ttl = self.code_ttl if expires_in is None else expires_in
            self._codes[value] = Code(
                open_id=open_id,
                client_key=client_key or self.default_client_key,
                scope=scope,
                redirect_uri=redirect_uri or None,
                code_challenge=code_challenge or None,
                expires_at=self.clock() + float(ttl),
            )
            return value

    def mint_token(
        self,
        open_id: str,
        scope: str = "user.info.basic",
        expires_in: float | None = None,
        client_key: str | None = None,
    ) -> dict[str, Any]:
        """Issue a token pair without a code; return the token-endpoint success body."""
        with self._lock:
            self._require_user(open_id)
            grant = self._issue(open_id, client_key or self.default_client_key, scope, expires_in)
            return self._grant_body(grant)

    def exchange_code(self, form: Mapping[str, str]) -> dict[str, Any]:
        """``grant_type=authorization_code``: check everything, consume the code, issue tokens."""
        with self._lock:
            client_key = self._check_client(form)
            if not form.get("code"):
                raise OAuthError("invalid_request", MALFORMED)
            code = self._codes.get(form["code"]) or self._synthetic_code(form["code"])
            if code is None:
                raise OAuthError("invalid_grant", "Authorization code is invalid.")
            if code.used:
                raise OAuthError("invalid_grant", "Authorization code has been used.")
            code.used = True  # single use: the first attempt past the client check burns it
            if self.clock() >= code.expires_at:
                raise OAuthError("invalid_grant", "Authorization code is expired.")
            if code.client_key != client_key:
                raise OAuthError(
                    "invalid_grant", "Authorization code was issued to another client."
                )
            if code.redirect_uri is not None and form.get("redirect_uri") != code.redirect_uri:
                # TikTok's own doc example answers this with invalid_request, not invalid_grant.
                raise OAuthError(
                    "invalid_request",
                    "Redirect_uri is not matched with the uri when requesting code.",
                )
            if code.code_challenge and not pkce_matches(
                form.get("code_verifier", ""), code.code_challenge
            ):
                raise OAuthError("invalid_request", "Code verifier or code challenge is invalid.")
            return self._grant_body(self._issue(code.open_id, client_key, code.scope))

    def refresh(self, form: Mapping[str, str]) -> dict[str, Any]:
        """``grant_type=refresh_token``: rotate, so the old refresh token stops working."""
        with self._lock:
            client_key = self._check_client(form)
            if not form.get("refresh_token"):
                raise OAuthError("invalid_request", MALFORMED)
            old = self._by_refresh.get(form["refresh_token"])
            if old is None or self.clock() >= old.refresh_expires_at:
                raise OAuthError("invalid_grant", "Refresh token is invalid or expired.")
            if old.client_key != client_key:
                raise OAuthError("invalid_grant", "Refresh token was issued to another client.")
            del self._by_refresh[old.refresh_token]
            new = self._issue(old.open_id, client_key, old.scope)
            new.refresh_expires_at = old.refresh_expires_at  # refresh_expires_in counts down
            return self._grant_body(new)

    def revoke(self, form: Mapping[str, str]) -> None:
        """Disconnect the app: drop every token pair of that user for that client."""
        with self._lock:
            client_key = self._check_client(form)
            grant = self._by_access.get(form.get("token") or "")
            if grant is None or self.clock() >= grant.access_expires_at:
                raise OAuthError("invalid_request", "Access token is invalid or expired.")
            if grant.client_key != client_key:
                raise OAuthError("invalid_request", "Token was issued to another client.")
            for other in list(self._by_access.values()):
                if (other.open_id, other.client_key) == (grant.open_id, client_key):
                    self._by_access.pop(other.access_token, None)
                    self._by_refresh.pop(other.refresh_token, None)

    def user_info(self, access_token: str | None, fields_param: str | None) -> dict[str, Any]:
        """The requested fields the token's user has; raises :class:`ApiError`."""
        with self._lock:
            grant = self._by_access.get(access_token or "") or self._synthetic_grant(access_token)
            if grant is None or self.clock() >= grant.access_expires_at:
                raise ApiError(401, "access_token_invalid", ACCESS_TOKEN_INVALID)
            user = self._users.get(grant.open_id) or self._synthetic_user(grant.open_id)
            if user is None:
                raise ApiError(401, "access_token_invalid", ACCESS_TOKEN_INVALID)
            fields = [name.strip() for name in (fields_param or "").split(",") if name.strip()]
            if not fields:
                raise ApiError(400, "invalid_params", "The request parameter fields is missing.")
            unknown = [name for name in fields if name not in SCOPE_OF_FIELD]
            if unknown:
                raise ApiError(400, "invalid_params", f"Invalid fields: {','.join(unknown)}")
            granted = {scope.strip() for scope in grant.scope.split(",")}
            if {SCOPE_OF_FIELD[name] for name in fields} - granted:
                raise ApiError(
                    401,
                    "scope_not_authorized",
                    "The user did not authorize the scope required for completing this request.",
                )
            return {name: copy.deepcopy(user[name]) for name in fields if name in user}

    # -- helpers (lock held) -----------------------------------------------------------

    def _require_user(self, open_id: str) -> None:
        if open_id not in self._users:
            raise ValueError(f"unknown user {open_id!r}")

    def _synthetic_grant(self, access_token: str | None) -> Grant | None:
        if not self.synthesize_users:
            return None
        return synthetic.grant(access_token, self.default_client_key, self.clock())

    def _synthetic_user(self, open_id: str) -> dict[str, Any] | None:
        return synthetic.user(open_id) if self.synthesize_users else None

    def _synthetic_code(self, value: str) -> Code | None:
        code = synthetic.code(value, self.default_client_key, self.clock())
        if code is None or not self.synthesize_users:
            return None
        self._codes[value] = code  # stored, so it is single-use like any other code
        return code

    def _check_client(self, form: Mapping[str, str]) -> str:
        client_key = form.get("client_key") or ""
        secret = self._apps.get(client_key)
        if secret is None or not hmac.compare_digest(secret, form.get("client_secret") or ""):
            raise OAuthError("invalid_client", "Client key or secret is invalid.")
        return client_key

    def _new_code_value(self) -> str:
        # Real codes often carry '*' and '!' (e.g. "...*0!1234.va"); every third one here
        # does too, so clients that double-encode or fail to decode get caught.
        if self._codes_minted % 3 == 0:
            return f"fake-code.{secrets.token_urlsafe(18)}*0!{secrets.randbelow(9000) + 1000}.va"
        return f"fake-code.{secrets.token_urlsafe(24)}"

    def _issue(
        self, open_id: str, client_key: str, scope: str, expires_in: float | None = None
    ) -> Grant:
        now = self.clock()
        ttl = self.access_expires_in if expires_in is None else expires_in
        grant = Grant(
            access_token=f"act.{secrets.token_urlsafe(32)}",
            refresh_token=f"rft.{secrets.token_urlsafe(32)}",
            open_id=open_id,
            client_key=client_key,
            scope=scope,
            access_expires_at=now + float(ttl),
            refresh_expires_at=now + self.refresh_expires_in,
        )
        self._by_access[grant.access_token] = grant
        self._by_refresh[grant.refresh_token] = grant
        return grant

    def _grant_body(self, grant: Grant) -> dict[str, Any]:
        now = self.clock()
        return {
            "access_token": grant.access_token,
            "expires_in": max(0, round(grant.access_expires_at - now)),
            "open_id": grant.open_id,
            "refresh_expires_in": max(0, round(grant.refresh_expires_at - now)),
            "refresh_token": grant.refresh_token,
            "scope": grant.scope,
            "token_type": "Bearer",
        }
