"""The TikTok API client: the only module that talks HTTP to TikTok.

One pooled ``requests.Session`` per process, explicit (connect, read) timeouts on every
call, both the HTTP status and TikTok's body-level error checked, typed results out. Errors
form a small hierarchy carrying the HTTP status, TikTok's error code and its ``log_id``
(which TikTok support asks for); nothing here ever logs a token, a code or the secret.

The client knows nothing of the database: whoever builds it may pass ``before_call``, run
before every request to TikTok (the sign-in layer gives back idle pooled database
connections there, :mod:`tiktok_mobile_auth.signin.tiktok_calls`).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

import requests
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth import __version__
from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.tiktok import replies
from tiktok_mobile_auth.tiktok.errors import TikTokBadResponse, TikTokUnavailable
from tiktok_mobile_auth.tiktok.types import TikTokProfile, TokenGrant

logger = logging.getLogger(__name__)

AUTHORIZE_PATH = "/v2/auth/authorize/"
TOKEN_PATH = "/v2/oauth/token/"  # noqa: S105 (a URL path, not a secret)
REVOKE_PATH = "/v2/oauth/revoke/"
USER_INFO_PATH = "/v2/user/info/"
# A 429 from user info is retried once when TikTok asks for at most this many seconds; the
# token exchange (a code is single-use), the refresh (TikTok rotates the refresh token) and
# the revoke are never retried.
MAX_RETRY_AFTER = 2
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
                # requests would read the proxy and CA bundle variables from the
                # environment again for every request (its cost: docs/PERFORMANCE.md).
                # They are read once instead: here, and per base URL in _environ_proxies().
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

    def __init__(
        self,
        config: TikTokConfig,
        session: requests.Session | None = None,
        *,
        before_call: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.session = session or _get_session()
        self.before_call = before_call

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
        return replies.parse_grant(status, body)

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
        return replies.parse_grant(status, body, what="refresh token")

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
        refused = replies.oauth_refusal(status, body, what="revocation")
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
            raise replies.api_error(status, body)
        data = body.get("data")
        user = data.get("user") if isinstance(data, dict) else None
        if not isinstance(user, dict) or not replies.is_text(user.get("open_id")):
            raise TikTokBadResponse("TikTok's user info has no user.", log_id=replies.log_id(body))
        return replies.parse_profile(user)

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
        if self.before_call is not None:
            self.before_call()
        response, raw = self._send(method, path, **kwargs)
        status = response.status_code
        body = replies.parse_json_object(raw)
        if body is None and empty_ok and status < 300 and not raw.strip():
            body = {}
        if status == 429 or status >= 500:
            raise TikTokUnavailable(
                f"TikTok answered HTTP {status}.",
                code=replies.error_code(body) or "tiktok_unavailable",
                log_id=replies.log_id(body),
                http_status=status,
                retry_after=replies.retry_after(response.headers.get("Retry-After")),
            )
        if body is None:
            raise TikTokBadResponse(
                f"TikTok answered HTTP {status} with no JSON object.", http_status=status
            )
        return status, body

    def _send(self, method: str, path: str, **kwargs: Any) -> tuple[requests.Response, bytes]:
        """The response and its body (at most ``max_response_bytes``); transport faults and
        timeouts raise :class:`TikTokUnavailable`."""
        base_url = self.config.api_base_url
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
                return response, self._read_limited(response)
        except requests.Timeout as err:
            raise TikTokUnavailable("TikTok did not answer in time.") from err
        except requests.RequestException as err:
            raise TikTokUnavailable(f"TikTok could not be reached ({type(err).__name__}).") from err

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


def authorize_url(config: TikTokConfig, *, state: str, challenge: str) -> str:
    """TikTok's consent page URL for our client key, scopes and callback."""
    query = urlencode(
        {
            "client_key": config.client_key,
            "scope": ",".join(config.scopes),
            "response_type": "code",
            "redirect_uri": config.callback_url,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{config.auth_base_url}{AUTHORIZE_PATH}?{query}"
