"""Login attempts of the server-started flow: GET authorize → TikTok → GET callback.

``GET authorize`` starts an attempt: a random ``state`` (``secrets.token_urlsafe(32)``) for
TikTok, the PKCE verifier whose challenge goes to TikTok, and the app's own ``state`` (echoed
back to the app at the end, never sent to TikTok). The callback then *consumes* it:

- only a state this server issued is accepted (CSRF / login-fixation defence);
- once: :func:`consume` is atomic, so of two callbacks racing with one state exactly one
  gets the attempt (database: one conditional ``UPDATE``, whose row count says who won;
  cache: ``cache.add`` of a "used" marker, which is ``SET NX`` on Redis);
- within ``LOGIN_ATTEMPT_TTL`` seconds (10 minutes by default);
- by the browser that started it (login CSRF defence, :mod:`.browser_binding`): the attempt
  keeps the SHA-256 of that browser's cookie nonce, and another browser gets
  :class:`BrowserMismatch` *without* spending it (the binding is part of the atomic step).
  An attempt stored without a hash is not bound.

Only a SHA-256 of our state is stored, and the PKCE verifier is encrypted (:mod:`.crypto`).
Spent attempts are kept for an hour after they expire, so a late replay is still told apart
from a state never issued (which matters in the ``ALLOW_APP_STATE`` compatibility mode, where
unknown states are let through, unbound: no browser started them here); the database rows
are then deleted by a later :func:`start`, cache entries expire by themselves.
Where attempts live is decided by :mod:`.storage`.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.exceptions import BrowserMismatch, SpentState, UnknownState
from tiktok_mobile_auth.models import LoginAttempt
from tiktok_mobile_auth.storage import crypto, records

KEEP_SPENT = timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    """What the callback needs: the app's state to echo, and the PKCE verifier (None in the
    compatibility mode, where the app, not this server, started the flow)."""

    app_state: str | None
    code_verifier: str | None = field(default=None, repr=False)
    purpose: str = "app"  # or "admin": the Wagtail admin sign-in (admin_login.py)


@dataclass(frozen=True)
class _New:
    """A new attempt as the stores write it (hashes only, the verifier still in clear)."""

    state_hash: str
    app_state: str
    code_verifier: str = field(repr=False)
    expires_at: datetime
    purpose: str
    browser_hash: str


@sensitive_variables("code_verifier", "state")
def start(
    app_state: str | None,
    code_verifier: str,
    config: TikTokConfig,
    *,
    purpose: str = "app",
    browser_hash: str = "",
) -> str:
    """Record a new attempt, bound to the browser whose nonce hashes to ``browser_hash``
    (empty: not bound), and return the ``state`` to send to TikTok."""
    state = secrets.token_urlsafe(32)
    expires_at = records.now() + timedelta(seconds=config.login_attempt_ttl)
    store = _CacheStore() if records.uses_cache(config) else _DatabaseStore()
    store.create(
        _New(
            records.digest(state), app_state or "", code_verifier, expires_at, purpose, browser_hash
        )
    )
    return state


@sensitive_variables("state")
def consume(state: str | None, config: TikTokConfig, *, browser_hash: str | None = None) -> Attempt:
    """Spend the attempt behind ``state`` for the browser whose nonce hashes to
    ``browser_hash`` (None: the request had no valid cookie) and return it.

    Raises :class:`UnknownState` (missing, or never issued here), :class:`SpentState`
    (already used, or expired) or :class:`BrowserMismatch` (bound to another browser; the
    attempt stays unspent for its own browser).
    """
    if not state:
        raise UnknownState()
    store = _CacheStore() if records.uses_cache(config) else _DatabaseStore()
    return store.consume(records.digest(state), browser_hash or "")


def _foreign(bound_to: str, presented: str) -> bool:
    """True when the attempt is bound and ``presented`` is not its browser's hash."""
    return bool(bound_to) and not hmac.compare_digest(bound_to, presented)


def past_keeping(now: datetime) -> QuerySet[LoginAttempt]:
    """The stored attempts no callback needs any more at ``now``: expired, and spent or not,
    :data:`KEEP_SPENT` ago (deleted here by :func:`start`, and by ``tiktok_auth_cleanup``)."""
    return LoginAttempt.objects.filter(expires_at__lt=now - KEEP_SPENT)


class _DatabaseStore:
    def create(self, new: _New) -> None:
        past_keeping(records.now()).delete()
        LoginAttempt.objects.create(
            state_hash=new.state_hash,
            purpose=new.purpose,
            app_state=new.app_state,
            code_verifier_encrypted=crypto.encrypt(new.code_verifier),
            browser_hash=new.browser_hash,
            expires_at=new.expires_at,
        )

    def consume(self, state_hash: str, browser_hash: str) -> Attempt:
        now = records.now()
        rows = LoginAttempt.objects.filter(state_hash=state_hash)
        # The browser is part of the one conditional UPDATE: a foreign browser cannot spend it.
        own_browser = Q(browser_hash="") | Q(browser_hash=browser_hash)
        won = rows.filter(own_browser, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not won:
            raise self._why_not(rows.first(), browser_hash, now)
        row = rows.get()
        verifier = crypto.decrypt(row.code_verifier_encrypted)
        return Attempt(row.app_state or None, verifier, row.purpose)

    @staticmethod
    def _why_not(row: LoginAttempt | None, browser_hash: str, now: datetime) -> Exception:
        # The same order as the cache store: expired, then another browser's, then used.
        if row is None:
            return UnknownState()
        if row.expires_at > now and _foreign(row.browser_hash, browser_hash):
            return BrowserMismatch(row.purpose)
        return SpentState()


class _CacheStore:
    @staticmethod
    def _key(state_hash: str) -> str:
        return f"{records.CACHE_PREFIX}attempt:{state_hash}"

    def create(self, new: _New) -> None:
        timeout = (new.expires_at - records.now() + KEEP_SPENT).total_seconds()
        value = {
            "purpose": new.purpose,
            "app_state": new.app_state,
            "code_verifier": crypto.encrypt(new.code_verifier),
            "browser_hash": new.browser_hash,
            "expires_at": new.expires_at.timestamp(),
        }
        cache.set(self._key(new.state_hash), value, timeout)

    def consume(self, state_hash: str, browser_hash: str) -> Attempt:
        key = self._key(state_hash)
        value = cache.get(key)
        if value is None:
            raise UnknownState()
        remaining = value["expires_at"] - records.now().timestamp()
        # Checked before the "used" marker is taken: a foreign browser must not spend it.
        if remaining > 0 and _foreign(value.get("browser_hash", ""), browser_hash):
            raise BrowserMismatch(value["purpose"])
        # add() only succeeds for the first caller (SET NX on Redis): that one wins. The
        # marker lives as long as the attempt itself.
        marker_timeout = remaining + KEEP_SPENT.total_seconds()
        if marker_timeout <= 0 or not cache.add(f"{key}:used", 1, marker_timeout):
            raise SpentState()
        if remaining <= 0:
            raise SpentState()
        verifier = crypto.decrypt(value["code_verifier"])
        return Attempt(value["app_state"] or None, verifier, value["purpose"])
