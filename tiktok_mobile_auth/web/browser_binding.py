"""Bind each server-started sign-in to the browser that started it (login CSRF defence).

Without it, an attacker could start a sign-in, consent with their own TikTok account and send
the callback URL (with its still unspent ``state``) to a victim, whose browser would then be
signed in as the attacker: in the Wagtail admin, or in the app the callback redirects to.

The start views (GET authorize, the admin sign-in) give the browser a random *nonce* in a
signed cookie and store its SHA-256 in the login attempt (``LoginAttempt.browser_hash``); the
callback spends an attempt only for the browser presenting that nonce (:mod:`.attempts`).

- The nonce is per browser, not per attempt: a start view reuses the one the browser already
  has, so two sign-ins running in two tabs of one browser both finish.
- The cookie is ``HttpOnly``, ``SameSite=Lax`` (TikTok sends the browser back with a
  top-level cross-site GET, which Lax lets through), ``Secure`` on HTTPS, and scoped to the
  deepest path that holds both the start view and the callback (``/api/tiktok-auth-mobile/``
  as mounted by the demo site): the start views must see it to reuse it, nothing else needs
  it. It lives as long as a login attempt (``LOGIN_ATTEMPT_TTL``) and is signed with
  ``SECRET_KEY``: a tampered or stale cookie counts as none.
- It is not cleared after a sign-in: it names a browser, not an attempt, and another tab may
  still be on its way back from TikTok.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.storage import records

COOKIE_NAME = "tiktok_auth_browser"
SALT = "tiktok_mobile_auth.web.browser_binding"


def nonce_for(request: HttpRequest, config: TikTokConfig) -> str:
    """The nonce of the browser behind ``request``: the one its cookie holds, else a new one."""
    return presented_nonce(request, config) or secrets.token_urlsafe(32)


def digest(nonce: str) -> str:
    """What the login attempt stores: the hex SHA-256 of the nonce."""
    return records.digest(nonce)


def presented_nonce(request: HttpRequest, config: TikTokConfig) -> str | None:
    """The nonce in the request's cookie when its signature holds and it is not older than a
    login attempt lives, else None."""
    nonce = request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=SALT, max_age=config.login_attempt_ttl
    )
    return nonce or None


def presented_hash(request: HttpRequest, config: TikTokConfig) -> str | None:
    """The SHA-256 of the request's valid nonce (to compare with an attempt's), else None."""
    nonce = presented_nonce(request, config)
    return digest(nonce) if nonce else None


def remember(
    response: HttpResponse, request: HttpRequest, nonce: str, config: TikTokConfig
) -> None:
    """Set (or refresh) the browser's cookie on the start view's ``response``."""
    response.set_signed_cookie(
        COOKIE_NAME,
        nonce,
        salt=SALT,
        max_age=config.login_attempt_ttl,
        path=cookie_path(request.path, config.callback_url),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def cookie_path(start_path: str, callback_url: str) -> str:
    """The deepest directory holding both the start view's path and the callback's, so the
    browser sends the cookie to both (a proxy that mounts them apart widens it, down to /)."""
    callback_path = urlsplit(callback_url).path or "/"
    common = os.path.commonprefix([start_path, callback_path])
    return common[: common.rfind("/") + 1] or "/"
