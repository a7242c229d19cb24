"""Synthetic users for load tests: TikTok users that exist as soon as a token or code names one.

With ``State(synthesize_users=True)`` (``--synthesize-users`` on the command line) the access
token ``act.synth.<name>`` is valid for the user ``fake-open-synth-<name>``, and
``synth-code.<name>`` is a fresh, single-use authorization code of that user, with no control
call first. A benchmark can then bring a new TikTok user with every request (first sign-ins)
and make codes on the fly. Off by default: the tests keep TikTok's real rules.
Standard library only: the fake must run without Django.
"""

from __future__ import annotations

from typing import Any

from tiktok_mobile_auth.testing.model import Code, Grant, _seed_user

TOKEN_PREFIX = "act.synth."
CODE_PREFIX = "synth-code."
OPEN_ID_PREFIX = "fake-open-synth-"
SCOPE = "user.info.basic"
LIFETIME = 86400.0


def _name(value: str | None, prefix: str) -> str | None:
    if not value or not value.startswith(prefix) or len(value) > len(prefix) + 200:
        return None
    return value[len(prefix) :] or None


def user(open_id: str) -> dict[str, Any] | None:
    """The synthetic user behind ``open_id``, or None when it is not a synthetic open_id."""
    name = _name(open_id, OPEN_ID_PREFIX)
    if name is None:
        return None
    return _seed_user(f"synth-{name}", f"Synth {name}", f"synth.{name}")


def grant(access_token: str | None, client_key: str, now: float) -> Grant | None:
    """A grant for ``act.synth.<name>`` (not stored: the token itself names the user)."""
    name = _name(access_token, TOKEN_PREFIX)
    if name is None or access_token is None:
        return None
    return Grant(
        access_token=access_token,
        refresh_token="",
        open_id=OPEN_ID_PREFIX + name,
        client_key=client_key,
        scope=SCOPE,
        access_expires_at=now + LIFETIME,
        refresh_expires_at=now + LIFETIME,
    )


def code(value: str | None, client_key: str, now: float) -> Code | None:
    """An unused code for ``synth-code.<name>``, bound to no redirect_uri and no PKCE."""
    name = _name(value, CODE_PREFIX)
    if name is None:
        return None
    return Code(
        open_id=OPEN_ID_PREFIX + name,
        client_key=client_key,
        scope=SCOPE,
        redirect_uri=None,
        code_challenge=None,
        expires_at=now + LIFETIME,
    )
