"""System checks: every misconfiguration that can be seen without the database.

Missing credentials are warnings, not errors: a second configuration source (the Wagtail
admin panel) may supply them at run time, and an error would block ``migrate``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from tiktok_mobile_auth.conf import ROLES, get_config, setting_label
from tiktok_mobile_auth.proxies import parse_networks


def _absolute(url: str) -> bool:
    """``scheme://host...``; a custom app scheme (``myapp://auth``) counts, ``host:port/x`` not."""
    parts = urlsplit(url)
    return "://" in url and bool(parts.scheme and parts.netloc)


def _is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in ("localhost", "127.0.0.1", "::1")


@checks.register(checks.Tags.security, "tiktok_mobile_auth")
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    config = get_config(offline=True)
    if not config.enabled:
        return []
    messages: list[checks.CheckMessage] = []
    required = {
        "CLIENT_KEY": "tiktok_mobile_auth.W001",
        "CLIENT_SECRET": "tiktok_mobile_auth.W002",
        "REDIRECT_APP_URL": "tiktok_mobile_auth.W003",
        "CALLBACK_URL": "tiktok_mobile_auth.W004",
    }
    for key, check_id in required.items():
        if not getattr(config, key.lower()):
            messages.append(
                checks.Warning(
                    f"TikTok sign-in is enabled but {setting_label(key)} is not set.",
                    hint=f"Set {setting_label(key)} or the value in Settings → TikTok sign-in "
                    "(ignore this warning if you did), or disable the plugin "
                    "(TIKTOK_ENABLED=false).",
                    id=check_id,
                )
            )
    for key, value in (
        ("REDIRECT_APP_URL", config.redirect_app_url),
        ("CALLBACK_URL", config.callback_url),
        ("API_BASE_URL", config.api_base_url),
        ("AUTH_BASE_URL", config.auth_base_url),
    ):
        if value and not _absolute(value):
            messages.append(
                checks.Error(
                    f"{setting_label(key)} must be an absolute URL, got {value!r}.",
                    hint="Use the full URL, e.g. https://cms.example.com/api/tiktok-auth-mobile/callback.",
                    id="tiktok_mobile_auth.E001",
                )
            )
    if config.callback_url and _absolute(config.callback_url):
        parts = urlsplit(config.callback_url)
        if parts.scheme != "https" and not (settings.DEBUG and _is_loopback(config.callback_url)):
            messages.append(
                checks.Warning(
                    f"{setting_label('CALLBACK_URL')} is not https (TikTok needs https).",
                    hint="Register and set the https URL of /api/tiktok-auth-mobile/callback.",
                    id="tiktok_mobile_auth.W005",
                )
            )
        if parts.query or parts.fragment:
            messages.append(
                checks.Error(
                    f"{setting_label('CALLBACK_URL')} has a query or fragment.",
                    hint="Register a static URL without '?' or '#'.",
                    id="tiktok_mobile_auth.E002",
                )
            )
    app_scheme = urlsplit(config.redirect_app_url).scheme
    if app_scheme and app_scheme not in ("http", "https") and not config.allow_custom_scheme:
        messages.append(
            checks.Error(
                f"{setting_label('REDIRECT_APP_URL')} uses the custom scheme '{app_scheme}://'.",
                hint="Any app can claim a custom scheme: use a universal link / App Link "
                f"(https), or allow it explicitly with {setting_label('ALLOW_CUSTOM_SCHEME')}.",
                id="tiktok_mobile_auth.E005",
            )
        )
    _networks, invalid = parse_networks(config.trusted_proxies)
    if invalid:
        messages.append(
            checks.Error(
                f"{setting_label('TRUSTED_PROXIES')} has entries that are not an IP address "
                f"or network: {', '.join(invalid)}.",
                hint="Use addresses or CIDRs, e.g. 10.0.0.0/8,192.168.1.10.",
                id="tiktok_mobile_auth.E006",
            )
        )
    if config.default_role not in ROLES:
        messages.append(
            checks.Error(
                f"{setting_label('DEFAULT_ROLE')} is {config.default_role!r}.",
                hint="Use 'member' or 'editor'.",
                id="tiktok_mobile_auth.E003",
            )
        )
    messages += _check_panel_cache()
    return messages


_PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def _check_panel_cache() -> list[checks.CheckMessage]:
    """The admin panel's values are shared through the default cache: a per-process cache
    would leave other workers on stale values after a save."""
    from tiktok_mobile_auth.cms.panel import PANEL_SOURCE
    from tiktok_mobile_auth.conf import source_paths

    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if PANEL_SOURCE not in source_paths() or backend not in _PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is not shared between "
            "processes, so a change in Settings → TikTok sign-in reaches other worker "
            "processes only when their cached copy expires (up to an hour).",
            hint="Use a shared cache (Redis, Memcached, the database or the file cache) "
            "when running more than one process.",
            id="tiktok_mobile_auth.W010",
        )
    ]


@checks.register(checks.Tags.security, "tiktok_mobile_auth")
def check_sign_in_policy(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The state, token and throttling policies (attempts.py, minted.py, api/throttles.py)."""
    from tiktok_mobile_auth.api.throttles import parse_rate
    from tiktok_mobile_auth.signin.minted_tokens import POLICIES, POLICY_ANY
    from tiktok_mobile_auth.storage.records import STORAGES

    config = get_config(offline=True)
    if not config.enabled:
        return []
    messages: list[checks.CheckMessage] = []
    if config.allow_app_state:
        messages.append(
            checks.Warning(
                f"{setting_label('ALLOW_APP_STATE')} is on: the callback accepts a state it "
                "did not issue, without CSRF protection or PKCE.",
                hint="Only for apps ported from the Strapi plugin that start the TikTok flow "
                "themselves; new apps should open /api/tiktok-auth-mobile/authorize.",
                id="tiktok_mobile_auth.W006",
            )
        )
    if config.access_token_policy == POLICY_ANY:
        messages.append(
            checks.Warning(
                f"{setting_label('ACCESS_TOKEN_POLICY')} is 'any': connect accepts TikTok "
                "access tokens obtained by other apps.",
                hint="Use 'minted' (the default), or have apps send the code and verifier.",
                id="tiktok_mobile_auth.W007",
            )
        )
    elif config.access_token_policy not in POLICIES:
        messages.append(
            checks.Error(
                f"{setting_label('ACCESS_TOKEN_POLICY')} is {config.access_token_policy!r}.",
                hint="Use 'minted' or 'any'. Anything else is treated as 'minted'.",
                id="tiktok_mobile_auth.E007",
            )
        )
    for scope, rate in config.throttle_rates.items():
        try:
            parse_rate(rate)
        except ValueError:
            messages.append(
                checks.Error(
                    f"The throttle rate {rate!r} of {scope!r} is not a rate "
                    "(the default is used instead).",
                    hint=f"Set TIKTOK_THROTTLE_{scope.upper()} (TIKTOK_MOBILE_AUTH"
                    f"['THROTTLE_RATES']['{scope}']) to e.g. '120/min', or 'off'.",
                    id="tiktok_mobile_auth.E008",
                )
            )
    if config.storage not in STORAGES:
        messages.append(
            checks.Error(
                f"TIKTOK_MOBILE_AUTH['STORAGE'] is {config.storage!r}.",
                hint="Use 'auto', 'database' or 'cache'. Anything else is treated as 'auto'.",
                id="tiktok_mobile_auth.E009",
            )
        )
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if config.storage == "cache" and backend in _PER_PROCESS_CACHES:
        messages.append(
            checks.Warning(
                "TIKTOK_MOBILE_AUTH['STORAGE'] is 'cache' but the default cache is "
                "per-process: a callback served by another worker will not find its login "
                "attempt.",
                hint="Use 'auto' or 'database', or a shared cache such as Redis.",
                id="tiktok_mobile_auth.W008",
            )
        )
    messages += _check_token_storage(config)
    return messages


def _check_token_storage(config: Any) -> list[checks.CheckMessage]:
    """STORE_TOKENS keeps users' TikTok tokens: they deserve keys of their own."""
    from tiktok_mobile_auth.storage.crypto import has_dedicated_keys

    if not config.store_tokens or has_dedicated_keys():
        return []
    return [
        checks.Warning(
            f"{setting_label('STORE_TOKENS')} is on but {setting_label('ENCRYPTION_KEYS')} "
            "is not set: users' TikTok tokens are encrypted with a key derived from "
            "SECRET_KEY, so a leaked SECRET_KEY exposes them and rotating it makes them "
            "unreadable.",
            hint="Set TIKTOK_ENCRYPTION_KEYS to a Fernet key of its own (see crypto.py).",
            id="tiktok_mobile_auth.W011",
        )
    ]
