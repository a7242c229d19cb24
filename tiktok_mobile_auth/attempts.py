"""Login attempts of the server-started flow: GET authorize → TikTok → GET callback.

``GET authorize`` starts an attempt: a random ``state`` (``secrets.token_urlsafe(32)``) for
TikTok, the PKCE verifier whose challenge goes to TikTok, and the app's own ``state`` (echoed
back to the app at the end, never sent to TikTok). The callback then *consumes* it:

- only a state this server issued is accepted (CSRF / login-fixation defence);
- once: :func:`consume` is atomic, so of two callbacks racing with one state exactly one
  gets the attempt (database: one conditional ``UPDATE``, whose row count says who won;
  cache: ``cache.add`` of a "used" marker, which is ``SET NX`` on Redis);
- within ``LOGIN_ATTEMPT_TTL`` seconds (10 minutes by default).

Only a SHA-256 of our state is stored, and the PKCE verifier is encrypted (:mod:`.crypto`). Spent attempts are kept for an hour after they
expire, so a late replay is still told apart from a state never issued (which matters in
the ``ALLOW_APP_STATE`` compatibility mode, where unknown states are let through); the
database rows are then deleted by a later :func:`start`, cache entries expire by themselves.
Where attempts live is decided by :mod:`.storage`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from . import crypto, storage
from .conf import TikTokConfig
from .exceptions import SpentState, UnknownState
from .models import LoginAttempt

KEEP_SPENT = timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    """What the callback needs: the app's state to echo, and the PKCE verifier (None in the
    compatibility mode, where the app, not this server, started the flow)."""

    app_state: str | None
    code_verifier: str | None = field(default=None, repr=False)
    purpose: str = "app"  # or "admin": the Wagtail admin sign-in (admin_login.py)


@sensitive_variables("code_verifier", "state")
def start(
    app_state: str | None, code_verifier: str, config: TikTokConfig, *, purpose: str = "app"
) -> str:
    """Record a new attempt and return the ``state`` to send to TikTok."""
    state = secrets.token_urlsafe(32)
    expires_at = storage.now() + timedelta(seconds=config.login_attempt_ttl)
    store = _CacheStore() if storage.uses_cache(config) else _DatabaseStore()
    store.create(storage.digest(state), app_state or "", code_verifier, expires_at, purpose)
    return state


@sensitive_variables("state")
def consume(state: str | None, config: TikTokConfig) -> Attempt:
    """Spend the attempt behind ``state`` and return it.

    Raises :class:`UnknownState` (missing, or never issued here) or :class:`SpentState`
    (already used, or expired).
    """
    if not state:
        raise UnknownState()
    store = _CacheStore() if storage.uses_cache(config) else _DatabaseStore()
    return store.consume(storage.digest(state))


class _DatabaseStore:
    def create(
        self, state_hash: str, app_state: str, verifier: str, expires_at: Any, purpose: str
    ) -> None:
        LoginAttempt.objects.filter(expires_at__lt=storage.now() - KEEP_SPENT).delete()
        LoginAttempt.objects.create(
            state_hash=state_hash,
            purpose=purpose,
            app_state=app_state,
            code_verifier_encrypted=crypto.encrypt(verifier),
            expires_at=expires_at,
        )

    def consume(self, state_hash: str) -> Attempt:
        now = storage.now()
        rows = LoginAttempt.objects.filter(state_hash=state_hash)
        won = rows.filter(used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not won:
            raise SpentState() if rows.exists() else UnknownState()
        row = rows.get()
        verifier = crypto.decrypt(row.code_verifier_encrypted)
        return Attempt(row.app_state or None, verifier, row.purpose)


class _CacheStore:
    @staticmethod
    def _key(state_hash: str) -> str:
        return f"{storage.CACHE_PREFIX}attempt:{state_hash}"

    def create(
        self, state_hash: str, app_state: str, verifier: str, expires_at: Any, purpose: str
    ) -> None:
        timeout = (expires_at - storage.now() + KEEP_SPENT).total_seconds()
        value = {
            "purpose": purpose,
            "app_state": app_state,
            "code_verifier": crypto.encrypt(verifier),
            "expires_at": expires_at.timestamp(),
        }
        cache.set(self._key(state_hash), value, timeout)

    def consume(self, state_hash: str) -> Attempt:
        key = self._key(state_hash)
        value = cache.get(key)
        if value is None:
            raise UnknownState()
        remaining = value["expires_at"] - storage.now().timestamp()
        # add() only succeeds for the first caller (SET NX on Redis): that one wins. The
        # marker lives as long as the attempt itself.
        marker_timeout = remaining + KEEP_SPENT.total_seconds()
        if marker_timeout <= 0 or not cache.add(f"{key}:used", 1, marker_timeout):
            raise SpentState()
        if remaining <= 0:
            raise SpentState()
        verifier = crypto.decrypt(value["code_verifier"])
        return Attempt(value["app_state"] or None, verifier, value["purpose"])
