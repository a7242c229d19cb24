"""The plugin's configuration: defaults in one place, read at use.

Everything lives in one Django setting, ``TIKTOK_MOBILE_AUTH`` (a dict). Values are read on
every call, never copied at import time, so ``override_settings`` and per-request changes work.

Credentials and URLs may come from more than one *source*. ``CONFIG_SOURCES`` lists them
in order of precedence (dotted paths to callables returning a dict of the keys they set);
the first source that sets a key to a non-empty value wins, then the defaults. The Django
settings dict is the first source; the Wagtail admin panel can be appended without any
view changing, because views only ever call :func:`get_config`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

ROLE_MEMBER = "member"
ROLE_EDITOR = "editor"
ROLES = (ROLE_MEMBER, ROLE_EDITOR)
BASIC_SCOPE = "user.info.basic"

DEFAULTS: dict[str, Any] = {
    "ENABLED": True,
    "CLIENT_KEY": "",
    "CLIENT_SECRET": "",
    # The app's universal link / App Link that the callback redirects to.
    "REDIRECT_APP_URL": "",
    # Our callback's exact public URL, registered at TikTok and sent as redirect_uri.
    "CALLBACK_URL": "",
    # Redirect URIs the native SDKs may use for the code flow of POST connect (an allow-list:
    # the request names one, the server only accepts those listed here).
    "APP_REDIRECT_URIS": [],
    "API_BASE_URL": "https://open.tiktokapis.com",
    "AUTH_BASE_URL": "https://www.tiktok.com",
    "SCOPES": [BASIC_SCOPE],
    "DEFAULT_ROLE": ROLE_MEMBER,
    "ALLOW_REGISTRATION": True,
    "EMAIL_DOMAIN": "tiktok.com",
    "MEMBER_GROUP": "Members",
    "EDITOR_GROUP": "Editors",
    # (connect, read) seconds for every call to TikTok, or one number for both.
    "TIMEOUT": (3.05, 10.0),
    # Replies larger than this are refused rather than parsed.
    "MAX_RESPONSE_BYTES": 1_000_000,
    "ADAPTER": "tiktok_mobile_auth.signin.adapter.DefaultAccountAdapter",
    # Precedence order. The Wagtail admin panel comes after the Django settings: a value set
    # in the environment / settings wins and is shown read-only in the panel.
    "CONFIG_SOURCES": [
        "tiktok_mobile_auth.conf.django_settings_source",
        "tiktok_mobile_auth.cms.panel.panel_source",
    ],
    # Allow a custom-scheme app link (myapp://...). Any app can claim a custom scheme; a
    # universal link / App Link (https) cannot be hijacked, so it is off by default.
    "ALLOW_CUSTOM_SCHEME": False,
    # Fernet keys for secrets stored by the admin panel (see crypto.py); first one encrypts.
    "ENCRYPTION_KEYS": [],
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For is believed when finding the
    # client's IP (client_ip.py); empty: REMOTE_ADDR is the client.
    "TRUSTED_PROXIES": [],
    # The callback accepts only a state that GET authorize issued. True also lets through a
    # state the app made itself (the Strapi plugin's apps start the TikTok flow themselves):
    # weaker, no CSRF protection or PKCE on the callback; system check W006.
    "ALLOW_APP_STATE": False,
    # "minted": connect's access_token must be one our callback or code exchange obtained
    # (minted.py). "any": any live TikTok token, as the Strapi plugin (weaker, W007).
    "ACCESS_TOKEN_POLICY": "minted",
    # Seconds a login attempt (authorize → callback) stays usable.
    "LOGIN_ATTEMPT_TTL": 600,
    # Where login attempts and minted-token hashes live: "auto", "database" or "cache"
    # (storage.py).
    "STORAGE": "auto",
    # Requests per client IP, per scope ("off" disables one); a partial dict keeps the other
    # defaults. Generous on purpose: mobile carriers put thousands of subscribers behind one
    # IPv4 address (CGNAT), so a limit must not trip on a crowd of real users. A user signs
    # in rarely (connect / authorize / callback: 120/min = 2/s per IP), refreshes about
    # every 15 minutes while the app is open (300/min ≈ 4,500 active users per IP) and reads
    # "me" more often (600/min). They still stop one machine from hammering TikTok's quota
    # (user info: 600/min per app) or our database.
    "THROTTLE_RATES": {
        "authorize": "120/min",
        "callback": "120/min",
        "connect": "120/min",
        "refresh": "300/min",
        "logout": "300/min",
        "me": "600/min",
        # Disconnecting is rare; the webhook is TikTok's servers (a few IPs, bursts of
        # deliveries, retried for 72 h when refused), so its limit is high.
        "disconnect": "120/min",
        "webhook": "1200/min",
    },
    # Larger request bodies get 413 before they are read; every valid body is far smaller.
    "MAX_REQUEST_BYTES": 16 * 1024,
    # Keep each account's TikTok access and refresh tokens, encrypted, refreshed before
    # they expire, revoked at disconnect (tiktok_tokens.py). Off: nothing is kept.
    "STORE_TOKENS": False,
    # Seconds after a refresh during which the refresh token it replaced may be presented
    # once more without revoking the session (tokens.py): for an app whose refresh answer was
    # lost. 0, the default: any reuse of a replaced refresh token ends the session.
    "REFRESH_REUSE_GRACE": 0,
    # Days the sign-in events (the admin's account page) are kept before ``manage.py
    # tiktok_auth_cleanup`` deletes them; 0 keeps them forever (docs/deployment.md).
    "SIGN_IN_EVENT_RETENTION_DAYS": 365,
}

# The environment variable that cms_site (and the README) maps to each key; error messages
# and system checks name these so an operator knows exactly what to set.
ENV_NAMES: dict[str, str] = {
    "ENABLED": "TIKTOK_ENABLED",
    "CLIENT_KEY": "TIKTOK_CLIENT_KEY",
    "CLIENT_SECRET": "TIKTOK_CLIENT_SECRET",
    "REDIRECT_APP_URL": "TIKTOK_REDIRECT_APP_URL",
    "CALLBACK_URL": "TIKTOK_CALLBACK_URL",
    "APP_REDIRECT_URIS": "TIKTOK_APP_REDIRECT_URIS",
    "API_BASE_URL": "TIKTOK_API_BASE_URL",
    "AUTH_BASE_URL": "TIKTOK_AUTH_BASE_URL",
    "DEFAULT_ROLE": "TIKTOK_DEFAULT_ROLE",
    "ALLOW_REGISTRATION": "TIKTOK_ALLOW_REGISTRATION",
    "SCOPES": "TIKTOK_SCOPES",
    "ALLOW_CUSTOM_SCHEME": "TIKTOK_ALLOW_CUSTOM_SCHEME",
    "ENCRYPTION_KEYS": "TIKTOK_ENCRYPTION_KEYS",
    "TRUSTED_PROXIES": "TIKTOK_TRUSTED_PROXIES",
    "ALLOW_APP_STATE": "TIKTOK_ALLOW_APP_STATE",
    "ACCESS_TOKEN_POLICY": "TIKTOK_ACCESS_TOKEN_POLICY",
    "STORE_TOKENS": "TIKTOK_STORE_TOKENS",
    "REFRESH_REUSE_GRACE": "TIKTOK_REFRESH_REUSE_GRACE",
    # One variable per scope: TIKTOK_THROTTLE_CONNECT, TIKTOK_THROTTLE_ME ...
    "THROTTLE_RATES": "TIKTOK_THROTTLE_<SCOPE>",
}


def django_settings_source() -> Mapping[str, Any]:
    """The ``TIKTOK_MOBILE_AUTH`` dict from Django settings (the first, strongest source)."""
    return getattr(settings, "TIKTOK_MOBILE_AUTH", {}) or {}


def setting_label(key: str) -> str:
    """How to name a key to an operator.

    e.g. ``TIKTOK_CLIENT_KEY (TIKTOK_MOBILE_AUTH['CLIENT_KEY'])``.
    """
    env = ENV_NAMES.get(key)
    return f"{env} (TIKTOK_MOBILE_AUTH['{key}'])" if env else f"TIKTOK_MOBILE_AUTH['{key}']"


@dataclass(frozen=True)
class TikTokConfig:
    """The effective configuration for one request."""

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
    allow_app_state: bool = False
    access_token_policy: str = "minted"  # noqa: S105 (a policy name, not a secret)
    login_attempt_ttl: int = 600
    storage: str = "auto"
    throttle_rates: Mapping[str, str | None] = field(default_factory=dict, hash=False)
    max_request_bytes: int = 16 * 1024
    store_tokens: bool = False
    refresh_reuse_grace: int = 0

    def missing(self, *keys: str) -> list[str]:
        """Of the given upper-case keys, those whose value is empty, as operator labels."""
        return [setting_label(key) for key in keys if not getattr(self, key.lower())]

    def __repr__(self) -> str:  # never print the secret, e.g. in a traceback or a shell
        return f"TikTokConfig(client_key={self.client_key!r}, enabled={self.enabled!r}, ...)"


def source_paths() -> list[str]:
    """The dotted paths of the configuration sources, strongest first."""
    return list(django_settings_source().get("CONFIG_SOURCES", DEFAULTS["CONFIG_SOURCES"]))


def values_by_source(*, offline: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """(source path, the keys it sets to a non-empty value), strongest first.

    ``offline`` leaves out sources that need the database (marked ``uses_database``), for
    system checks, which must not touch it.
    """
    found = []
    for path in source_paths():
        source = import_string(path)
        if offline and getattr(source, "uses_database", False):
            continue
        values = {k: v for k, v in source().items() if k in DEFAULTS and _is_set(v)}
        found.append((path, values))
    return found


def raw_values(*, offline: bool = False) -> dict[str, Any]:
    """Merge the sources over the defaults: earlier sources win, empty values do not count."""
    values = dict(DEFAULTS)
    for _path, source_values in reversed(values_by_source(offline=offline)):
        values.update(source_values)
    return values


def _is_set(value: Any) -> bool:
    # A blank string (e.g. ``TIKTOK_CLIENT_KEY=" "``) counts as empty: get_config strips it
    # to "", so letting it win would hide a value set in a later source.
    return value is not None and not (isinstance(value, str) and not value.strip())


def _items(value: Any) -> list[str]:
    """A list setting given as a list or a comma-separated string, blanks dropped."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


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
    timeout = v["TIMEOUT"]
    # One number means the same limit for connecting and for reading.
    connect_timeout, read_timeout = (
        (timeout, timeout) if isinstance(timeout, int | float) else timeout
    )
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
        timeout=(float(connect_timeout), float(read_timeout)),
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


SECRET_KEYS = frozenset({"CLIENT_SECRET", "ENCRYPTION_KEYS"})


def describe(*, offline: bool = False) -> list[tuple[str, str, str]]:
    """(key, value as shown to an operator, where it comes from) for every key, secrets
    masked: what ``manage.py tiktok_auth_check`` prints."""
    found = values_by_source(offline=offline)
    rows = []
    for key, default in DEFAULTS.items():
        if key == "CONFIG_SOURCES":
            continue
        source, value = "default", default
        for path, values in found:
            if key in values:
                source, value = _source_label(path, key), values[key]
                break
        if key in SECRET_KEYS:
            shown = f"set ({len(value)} items)" if isinstance(value, list | tuple) else "set"
            shown = shown if value else "not set"
        else:
            shown = repr(value)
        rows.append((key, shown, source))
    return rows


def _source_label(path: str, key: str) -> str:
    if path.endswith(".django_settings_source"):
        return f"environment / settings: {setting_label(key)}"
    if path.endswith(".panel_source"):
        return "Wagtail admin: Settings → TikTok sign-in"
    return path
