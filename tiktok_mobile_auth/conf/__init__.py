"""The plugin's configuration: defaults in one place, read at use.

Everything lives in one Django setting, ``TIKTOK_MOBILE_AUTH`` (a dict). Values are read on
every call, never copied at import time, so ``override_settings`` and per-request changes work.

- :mod:`.defaults`: every key's default (:data:`DEFAULTS`) and its operator-facing name;
- :mod:`.sources`: where values come from (``CONFIG_SOURCES``) and their precedence;
- here: the effective configuration of a request (:class:`TikTokConfig`, :func:`get_config`),
  its values normalised.

This module is the public import path: ``tiktok_mobile_auth.conf.django_settings_source``
(the default first entry of ``CONFIG_SOURCES``) keeps working.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from tiktok_mobile_auth.conf.defaults import (
    BASIC_SCOPE,
    DEFAULTS,
    ENV_NAMES,
    ROLE_EDITOR,
    ROLE_MEMBER,
    ROLES,
    setting_label,
)
from tiktok_mobile_auth.conf.sources import (
    SECRET_KEYS,
    describe,
    django_settings_source,
    raw_values,
    source_paths,
    values_by_source,
)

__all__ = [
    "BASIC_SCOPE",
    "DEFAULTS",
    "ENV_NAMES",
    "ROLES",
    "ROLE_EDITOR",
    "ROLE_MEMBER",
    "SECRET_KEYS",
    "TikTokConfig",
    "describe",
    "django_settings_source",
    "get_config",
    "one_config_per_request",
    "raw_values",
    "setting_label",
    "source_paths",
    "values_by_source",
]


@dataclass(frozen=True)
class TikTokConfig:
    """The effective configuration for one request, built only by :func:`get_config` (every
    value normalised; the defaults are :data:`DEFAULTS`, never repeated here)."""

    enabled: bool
    client_key: str
    client_secret: str
    redirect_app_url: str
    callback_url: str
    app_redirect_uris: tuple[str, ...]
    api_base_url: str
    auth_base_url: str
    scopes: tuple[str, ...]
    default_role: str
    allow_registration: bool
    email_domain: str
    member_group: str
    editor_group: str
    timeout: tuple[float, float]
    max_response_bytes: int
    adapter: str
    allow_custom_scheme: bool
    trusted_proxies: tuple[str, ...]
    allow_app_state: bool
    access_token_policy: str
    login_attempt_ttl: int
    storage: str
    throttle_rates: Mapping[str, str | None] = field(hash=False)
    max_request_bytes: int
    store_tokens: bool
    refresh_reuse_grace: int

    def missing(self, *keys: str) -> list[str]:
        """Of the given upper-case keys, those whose value is empty, as operator labels."""
        return [setting_label(key) for key in keys if not getattr(self, key.lower())]

    def __repr__(self) -> str:  # never print the secret, e.g. in a traceback or a shell
        return f"TikTokConfig(client_key={self.client_key!r}, enabled={self.enabled!r}, ...)"


def _items(value: Any) -> list[str]:
    """A list setting given as a list or a comma-separated string, blanks dropped."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def _timeout(value: Any) -> tuple[float, float]:
    # One number means the same limit for connecting and for reading.
    connect, read = (value, value) if isinstance(value, int | float) else value
    return float(connect), float(read)


def _scopes(value: Any) -> tuple[str, ...]:
    # user.info.basic is what sign-in needs; it is always requested.
    return tuple(dict.fromkeys([BASIC_SCOPE, *_items(value)]))


# The configuration pinned for the request being served (see one_config_per_request).
_pinned: ContextVar[TikTokConfig | None] = ContextVar("tiktok_mobile_auth_config", default=None)


def one_config_per_request(view: Callable[..., Any]) -> Callable[..., Any]:
    """Read the configuration once for the whole request ``view`` serves.

    Every helper a request goes through (throttle, client IP, flows, records) calls
    :func:`get_config`; pinned, they share one read of every source (the admin panel's is a
    cache round trip) and one consistent view of it, instead of five.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _pinned.set(_read_config())
        try:
            return view(*args, **kwargs)
        finally:
            _pinned.reset(token)

    return wrapper


def get_config(*, offline: bool = False) -> TikTokConfig:
    """Return the effective configuration: the one pinned for the current request, else
    read now from every source.

    ``offline=True`` reads only sources that need no database (for system checks).
    """
    pinned = _pinned.get()
    if pinned is not None and not offline:
        return pinned
    return _read_config(offline=offline)


def _read_config(*, offline: bool = False) -> TikTokConfig:
    v = raw_values(offline=offline)
    return TikTokConfig(
        enabled=bool(v["ENABLED"]),
        client_key=str(v["CLIENT_KEY"]).strip(),
        client_secret=str(v["CLIENT_SECRET"]).strip(),
        redirect_app_url=str(v["REDIRECT_APP_URL"]).strip(),
        callback_url=str(v["CALLBACK_URL"]).strip(),
        app_redirect_uris=tuple(_items(v["APP_REDIRECT_URIS"])),
        api_base_url=str(v["API_BASE_URL"]).rstrip("/"),
        auth_base_url=str(v["AUTH_BASE_URL"]).rstrip("/"),
        scopes=_scopes(v["SCOPES"]),
        default_role=str(v["DEFAULT_ROLE"]).strip().lower(),
        allow_registration=bool(v["ALLOW_REGISTRATION"]),
        email_domain=str(v["EMAIL_DOMAIN"]).strip().lower(),
        member_group=str(v["MEMBER_GROUP"]),
        editor_group=str(v["EDITOR_GROUP"]),
        timeout=_timeout(v["TIMEOUT"]),
        max_response_bytes=int(v["MAX_RESPONSE_BYTES"]),
        adapter=str(v["ADAPTER"]),
        allow_custom_scheme=bool(v["ALLOW_CUSTOM_SCHEME"]),
        trusted_proxies=tuple(_items(v["TRUSTED_PROXIES"])),
        allow_app_state=bool(v["ALLOW_APP_STATE"]),
        access_token_policy=str(v["ACCESS_TOKEN_POLICY"]).strip().lower(),
        login_attempt_ttl=int(v["LOGIN_ATTEMPT_TTL"]),
        storage=str(v["STORAGE"]).strip().lower(),
        throttle_rates={**DEFAULTS["THROTTLE_RATES"], **(v["THROTTLE_RATES"] or {})},
        max_request_bytes=int(v["MAX_REQUEST_BYTES"]),
        store_tokens=bool(v["STORE_TOKENS"]),
        refresh_reuse_grace=max(0, int(v["REFRESH_REUSE_GRACE"])),
    )
