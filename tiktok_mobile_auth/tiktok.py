"""The TikTok API client: the only module that talks HTTP to TikTok.

One pooled ``requests.Session`` per process, explicit (connect, read) timeouts on every
call, both the HTTP status and TikTok's body-level error checked, typed results out. Errors
form a small hierarchy carrying the HTTP status, TikTok's error code and its ``log_id``
(which TikTok support asks for); nothing here ever logs a token, a code or the secret.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from django.views.decorators.debug import sensitive_variables

from . import __version__
from .conf import TikTokConfig
from .round_trips import release_idle_pooled_connections

logger = logging.getLogger(__name__)

TOKEN_PATH = "/v2/oauth/token/"  # noqa: S105 (a URL path, not a secret)
REVOKE_PATH = "/v2/oauth/revoke/"
USER_INFO_PATH = "/v2/user/info/"
# A 429 from user info is retried once when TikTok asks for at most this many seconds; the
# token exchange (a code is single-use), the refresh (TikTok rotates the refresh token) and
# the revoke are never retried.
MAX_RETRY_AFTER = 2

# Fields per scope, as documented for /v2/user/info/ (scope split of 2024-02-29).
BASIC_FIELDS = ("open_id", "union_id", "display_name", "avatar_url")
PROFILE_FIELDS = ("username", "bio_description", "profile_deep_link", "is_verified")
STATS_FIELDS = ("follower_count", "following_count", "likes_count", "video_count")
FIELDS_BY_SCOPE = {
    "user.info.basic": BASIC_FIELDS,
    "user.info.profile": PROFILE_FIELDS,
    "user.info.stats": STATS_FIELDS,
}
_SCOPE_ERRORS = {"scope_not_authorized", "scope_permission_missed"}


class TikTokError(Exception):
    """TikTok could not give us what we asked for.

    ``code`` is TikTok's error code (or ours for transport faults), ``description`` its
    human text, ``log_id`` TikTok's request id, ``http_status`` the status it answered.
    """

    default_code = "tiktok_error"

    def __init__(
        self,
        description: str,
        *,
        code: str | None = None,
        log_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.code = code or self.default_code
        self.log_id = log_id
        self.http_status = http_status


class TikTokUnavailable(TikTokError):
    """TikTok could not be reached, timed out, or answered 5xx / 429."""

    default_code = "tiktok_unavailable"

    def __init__(self, description: str, *, retry_after: int | None = None, **kwargs: Any):
        super().__init__(description, **kwargs)
        self.retry_after = retry_after


class TikTokBadResponse(TikTokError):
    """TikTok answered something we cannot read: not JSON, the wrong shape, too large."""

    default_code = "tiktok_bad_response"


class TikTokOAuthError(TikTokError):
    """The token endpoint refused the request (``invalid_grant``, ``invalid_client`` ...)."""


class TikTokTokenInvalid(TikTokError):
    """The access token is invalid, expired or revoked (``access_token_invalid``)."""


class TikTokScopeError(TikTokError):
    """The token lacks a scope needed for the requested fields."""


@dataclass(frozen=True)
class TokenGrant:
    """A successful token exchange. Lifetimes are TikTok's, in seconds from now."""

    access_token: str = field(repr=False)
    open_id: str
    scopes: tuple[str, ...]
    expires_in: int
    refresh_token: str = field(default="", repr=False)
    refresh_expires_in: int = 0


@dataclass(frozen=True)
class TikTokProfile:
    """A TikTok user as /v2/user/info/ described them. ``union_id`` may be missing."""

    open_id: str
    union_id: str | None
    display_name: str
    avatar_url: str
    username: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def fields_for_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The user-info fields that the given scopes allow us to ask for."""
    wanted = set(scopes) | {"user.info.basic"}
    return tuple(f for scope, fields in FIELDS_BY_SCOPE.items() if scope in wanted for f in fields)


_sleep = time.sleep  # replaced in tests
_session_lock = threading.Lock()
_session: requests.Session | None = None


def _get_session() -> requests.Session:
    """One pooled, keep-alive session per process (requests.Session is thread-safe for this)."""
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                session = requests.Session()
                adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                session.headers["User-Agent"] = f"tiktok-mobile-auth/{__version__}"
                # requests reads the proxy and CA bundle variables from the environment
                # again for every request: half a millisecond of CPU per TikTok call with
                # a production-sized environment (make bench, docs/PERFORMANCE.md). They
                # are read once instead: here, and per base URL in _environ_proxies().
                session.trust_env = False
                session.verify = (
                    os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
                )
                _session = session
    return _session


@functools.lru_cache(maxsize=16)
def _environ_proxies(base_url: str) -> dict[str, str]:
    """HTTP(S)_PROXY / ALL_PROXY for TikTok's base URL unless NO_PROXY excludes it, read
    from the environment once per process (the session no longer reads it per request)."""
    return requests.utils.get_environ_proxies(base_url)


class TikTokClient:
    """Calls TikTok with the credentials and endpoints of one :class:`TikTokConfig`."""

    def __init__(self, config: TikTokConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or _get_session()

    @sensitive_variables("code", "code_verifier", "form")
    def exchange_code(
        self, code: str, *, redirect_uri: str, code_verifier: str | None = None
    ) -> TokenGrant:
        """Exchange an authorization code for tokens.

        Raises :class:`TikTokOAuthError` when TikTok refuses (also when it says so in an
        HTTP 200 body), :class:`TikTokUnavailable` or :class:`TikTokBadResponse`.
        """
        form = {
            "client_key": self.config.client_key,
            "client_secret": self.config.client_secret,
            "code": code,  # sent as received: the form encoder encodes it once
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        status, body = self._call(
            "POST", TOKEN_PATH, data=form, headers={"Cache-Control": "no-cache"}
        )
        return _parse_grant(status, body)

    @sensitive_variables("refresh_token", "form")
    def refresh(self, refresh_token: str) -> TokenGrant:
        """A new token pair for ``refresh_token`` (``grant_type=refresh_token``).

        TikTok rotates refresh tokens: the one sent stops working once this succeeds, so the
        caller must store the returned pair. Never retried: a lost reply may already have
        spent the old token. Raises :class:`TikTokOAuthError` (``invalid_grant``: revoked or
        expired), :class:`TikTokUnavailable` or :class:`TikTokBadResponse`.
        """
        form = {
            "client_key": self.config.client_key,
            "client_secret": self.config.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        status, body = self._call(
            "POST", TOKEN_PATH, data=form, headers={"Cache-Control": "no-cache"}
        )
        return _parse_grant(status, body, what="refresh token")

    @sensitive_variables("access_token", "form")
    def revoke(self, access_token: str) -> None:
        """Revoke the user's grant: our app leaves their TikTok "Manage app permissions".

        Success is an empty body or ``{}``. Raises :class:`TikTokOAuthError` when TikTok
        refuses (an expired or unknown token: refresh first), :class:`TikTokUnavailable`
        or :class:`TikTokBadResponse`.
        """
        form = {
            "client_key": self.config.client_key,
            "client_secret": self.config.client_secret,
            "token": access_token,
        }
        status, body = self._call("POST", REVOKE_PATH, data=form, empty_ok=True)
        refused = _oauth_refusal(status, body, what="revocation")
        if refused is not None:
            raise refused

    @sensitive_variables("access_token", "request")
    def get_user_info(self, access_token: str, *, fields: Iterable[str]) -> TikTokProfile:
        """Fetch the user behind ``access_token``.

        A 429 whose ``Retry-After`` is at most :data:`MAX_RETRY_AFTER` seconds is retried
        once, after that wait (the GET is idempotent). Raises :class:`TikTokTokenInvalid`,
        :class:`TikTokScopeError`, :class:`TikTokError` for other API errors,
        :class:`TikTokUnavailable` or :class:`TikTokBadResponse`.
        """
        request = {
            "params": {"fields": ",".join(fields)},
            "headers": {"Authorization": f"Bearer {access_token}"},
        }
        try:
            status, body = self._call("GET", USER_INFO_PATH, **request)
        except TikTokUnavailable as err:
            wait = err.retry_after
            if err.http_status != 429 or wait is None or wait > MAX_RETRY_AFTER:
                raise
            logger.info("TikTok user info: 429, retrying in %s s (log_id=%s)", wait, err.log_id)
            _sleep(wait)
            status, body = self._call("GET", USER_INFO_PATH, **request)
        error = body.get("error")
        if status >= 400 or not isinstance(error, dict) or error.get("code") != "ok":
            raise _api_error(status, body)
        data = body.get("data")
        user = data.get("user") if isinstance(data, dict) else None
        if not isinstance(user, dict) or not _is_text(user.get("open_id")):
            raise TikTokBadResponse("TikTok's user info has no user.", log_id=_log_id(body))
        return _profile(user)

    def ping(self) -> int:
        """Reach the API base with an unauthenticated user-info call; return the HTTP status.

        A JSON 401 means TikTok (or the fake) is there and answering. Raises
        :class:`TikTokUnavailable` or :class:`TikTokBadResponse` otherwise.
        """
        status, _body = self._call("GET", USER_INFO_PATH, params={"fields": "open_id"})
        return status

    # -- transport -----------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, empty_ok: bool = False, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        """Send one request; return (HTTP status, JSON object) for 2xx-4xx, or raise.

        Transport faults, 429 and 5xx raise :class:`TikTokUnavailable`; a reply that is not a
        JSON object raises :class:`TikTokBadResponse` (``empty_ok``: an empty 2xx body reads
        as ``{}``). The caller reads the body's error.
        """
        base_url = self.config.api_base_url
        release_idle_pooled_connections()  # not held while TikTok answers
        try:
            response = self.session.request(
                method,
                base_url + path,
                timeout=self.config.timeout,
                stream=True,
                proxies=_environ_proxies(base_url),
                **kwargs,
            )
            with response:
                raw = self._read_limited(response)
        except requests.Timeout as err:
            raise TikTokUnavailable("TikTok did not answer in time.") from err
        except requests.RequestException as err:
            raise TikTokUnavailable(f"TikTok could not be reached ({type(err).__name__}).") from err
        status = response.status_code
        body = _parse_json_object(raw)
        if body is None and empty_ok and status < 300 and not raw.strip():
            body = {}
        if status == 429 or status >= 500:
            raise TikTokUnavailable(
                f"TikTok answered HTTP {status}.",
                code=_error_code(body) or "tiktok_unavailable",
                log_id=_log_id(body),
                http_status=status,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if body is None:
            raise TikTokBadResponse(
                f"TikTok answered HTTP {status} with no JSON object.", http_status=status
            )
        return status, body

    def _read_limited(self, response: requests.Response) -> bytes:
        limit = self.config.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > limit:
                raise TikTokBadResponse(
                    f"TikTok's reply is larger than {limit} bytes.",
                    http_status=response.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _oauth_refusal(status: int, body: dict[str, Any], *, what: str) -> TikTokOAuthError | None:
    """The error of an ``/v2/oauth/*`` reply (also one in an HTTP 200 body), else None."""
    error = body.get("error")
    if error in (None, "", {}) and status < 400:
        return None
    code = error if isinstance(error, str) and error else "invalid_request"
    description = body.get("error_description")
    return TikTokOAuthError(
        str(description) if _is_text(description) else f"TikTok refused the {what} ({code}).",
        code=code,
        log_id=_log_id(body),
        http_status=status,
    )


def _parse_grant(status: int, body: dict[str, Any], *, what: str = "code") -> TokenGrant:
    refused = _oauth_refusal(status, body, what=what)
    if refused is not None:
        raise refused
    token, open_id = body.get("access_token"), body.get("open_id")
    if not _is_text(token) or not _is_text(open_id):
        raise TikTokBadResponse("TikTok's token reply has no access token.", log_id=_log_id(body))
    return TokenGrant(
        access_token=token,
        open_id=open_id,
        scopes=parse_scopes(body.get("scope")),
        expires_in=_int(body.get("expires_in")),
        refresh_token=body.get("refresh_token") if _is_text(body.get("refresh_token")) else "",
        refresh_expires_in=_int(body.get("refresh_expires_in")),
    )


def _api_error(status: int, body: dict[str, Any]) -> TikTokError:
    error = body.get("error")
    if not isinstance(error, dict) or not _is_text(error.get("code")):
        return TikTokBadResponse("TikTok's reply has no error status.", http_status=status)
    code, message = error["code"], str(error.get("message") or error["code"])
    kwargs = {"code": code, "log_id": _log_id(body), "http_status": status}
    if code == "access_token_invalid":
        return TikTokTokenInvalid(message, **kwargs)
    if code in _SCOPE_ERRORS:
        return TikTokScopeError(message, **kwargs)
    return TikTokError(message, **kwargs)


def parse_scopes(value: Any) -> tuple[str, ...]:
    """Split TikTok's comma-separated scope list into exact items."""
    if not isinstance(value, str):
        return ()
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _profile(user: dict[str, Any]) -> TikTokProfile:
    known = {k: v for k, v in user.items() if k in _ALL_FIELDS}
    return TikTokProfile(
        open_id=user["open_id"],
        union_id=user["union_id"] if _is_text(user.get("union_id")) else None,
        display_name=_text(user.get("display_name")),
        avatar_url=_text(user.get("avatar_url")),
        username=user["username"] if _is_text(user.get("username")) else None,
        fields=known,
    )


_ALL_FIELDS = frozenset(f for fields in FIELDS_BY_SCOPE.values() for f in fields) | {
    "avatar_url_100",
    "avatar_large_url",
}


def _parse_json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return None
    return value if isinstance(value, dict) else None


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _log_id(body: dict[str, Any] | None) -> str | None:
    if not body:
        return None
    error = body.get("error")
    value = error.get("log_id") if isinstance(error, dict) else body.get("log_id")
    return value if _is_text(value) else None


def _error_code(body: dict[str, Any] | None) -> str | None:
    error = (body or {}).get("error")
    value = error.get("code") if isinstance(error, dict) else error
    return value if _is_text(value) else None


def _retry_after(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None
