"""System checks: every misconfiguration that can be seen without the database.

Two checks are registered with Django; each runs a list of small named checks, one per
family of misconfiguration, in the order their messages are reported. Missing credentials
are warnings, not errors: a second configuration source (the Wagtail admin panel) may supply
them at run time, and an error would block ``migrate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import checks

from tiktok_mobile_auth import url_rules
from tiktok_mobile_auth.conf import DEFAULTS, ROLES, TikTokConfig, get_config, setting_label
from tiktok_mobile_auth.proxies import parse_networks
from tiktok_mobile_auth.storage import records

Messages = list[checks.CheckMessage]
Check = Callable[[TikTokConfig], Messages]


def _either(values: tuple[str, ...]) -> str:
    """``'a', 'b' or 'c'``: the accepted values of a setting, for a hint."""
    quoted = [repr(value) for value in values]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]


def _run(named_checks: tuple[Check, ...]) -> Messages:
    config = get_config(offline=True)
    if not config.enabled:
        return []
    return [message for check in named_checks for message in check(config)]


# ---- the configuration: credentials, URLs, proxies, role, the panel's cache ------------------

_REQUIRED = {
    "CLIENT_KEY": "tiktok_mobile_auth.W001",
    "CLIENT_SECRET": "tiktok_mobile_auth.W002",
    "REDIRECT_APP_URL": "tiktok_mobile_auth.W003",
    "CALLBACK_URL": "tiktok_mobile_auth.W004",
}


def missing_settings(config: TikTokConfig) -> Messages:
    return [
        checks.Warning(
            f"TikTok sign-in is enabled but {setting_label(key)} is not set.",
            hint=f"Set {setting_label(key)} or the value in Settings → TikTok sign-in "
            "(ignore this warning if you did), or disable the plugin (TIKTOK_ENABLED=false).",
            id=check_id,
        )
        for key, check_id in _REQUIRED.items()
        if not getattr(config, key.lower())
    ]


def relative_urls(config: TikTokConfig) -> Messages:
    keys = ("REDIRECT_APP_URL", "CALLBACK_URL", "API_BASE_URL", "AUTH_BASE_URL")
    return [
        checks.Error(
            f"{setting_label(key)} must be an absolute URL, got {value!r}.",
            hint="Use the full URL, e.g. https://cms.example.com/api/tiktok-auth-mobile/callback.",
            id="tiktok_mobile_auth.E001",
        )
        for key in keys
        if (value := getattr(config, key.lower())) and not url_rules.is_absolute(value)
    ]


def callback_url(config: TikTokConfig) -> Messages:
    url = config.callback_url
    if not (url and url_rules.is_absolute(url)):
        return []  # unset (W004) or relative (E001)
    messages: Messages = []
    if not url_rules.callback_scheme_allowed(url, debug=settings.DEBUG):
        messages.append(
            checks.Warning(
                f"{setting_label('CALLBACK_URL')} is not https (TikTok needs https).",
                hint="Register and set the https URL of /api/tiktok-auth-mobile/callback.",
                id="tiktok_mobile_auth.W005",
            )
        )
    if url_rules.has_query_or_fragment(url):
        messages.append(
            checks.Error(
                f"{setting_label('CALLBACK_URL')} has a query or fragment.",
                hint="Register a static URL without '?' or '#'.",
                id="tiktok_mobile_auth.E002",
            )
        )
    return messages


def app_link_scheme(config: TikTokConfig) -> Messages:
    link = config.redirect_app_url
    if url_rules.app_link_allowed(link, allow_custom_scheme=config.allow_custom_scheme):
        return []
    return [
        checks.Error(
            f"{setting_label('REDIRECT_APP_URL')} uses the custom scheme "
            f"'{url_rules.custom_scheme(link)}://'.",
            hint="Any app can claim a custom scheme: use a universal link / App Link "
            f"(https), or allow it explicitly with {setting_label('ALLOW_CUSTOM_SCHEME')}.",
            id="tiktok_mobile_auth.E005",
        )
    ]


def trusted_proxies(config: TikTokConfig) -> Messages:
    _networks, invalid = parse_networks(config.trusted_proxies)
    if not invalid:
        return []
    return [
        checks.Error(
            f"{setting_label('TRUSTED_PROXIES')} has entries that are not an IP address "
            f"or network: {', '.join(invalid)}.",
            hint="Use addresses or CIDRs, e.g. 10.0.0.0/8,192.168.1.10.",
            id="tiktok_mobile_auth.E006",
        )
    ]


def default_role(config: TikTokConfig) -> Messages:
    if config.default_role in ROLES:
        return []
    return [
        checks.Error(
            f"{setting_label('DEFAULT_ROLE')} is {config.default_role!r}.",
            hint=f"Use {_either(ROLES)}.",
            id="tiktok_mobile_auth.E003",
        )
    ]


def panel_cache(config: TikTokConfig) -> Messages:
    """The admin panel's values are shared through the default cache: a per-process cache
    would leave other workers on stale values after a save."""
    from tiktok_mobile_auth.cms.panel import PANEL_SOURCE
    from tiktok_mobile_auth.conf import source_paths

    if PANEL_SOURCE not in source_paths() or not records.default_cache_is_per_process():
        return []
    backend = records.default_cache_backend()
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


CONFIGURATION_CHECKS: tuple[Check, ...] = (
    missing_settings,
    relative_urls,
    callback_url,
    app_link_scheme,
    trusted_proxies,
    default_role,
    panel_cache,
)


@checks.register(checks.Tags.security, "tiktok_mobile_auth")
def check_configuration(app_configs: Any = None, **kwargs: Any) -> Messages:
    return _run(CONFIGURATION_CHECKS)


# ---- the sign-in policy: state, tokens, throttling, where records live -----------------------


def app_state(config: TikTokConfig) -> Messages:
    if not config.allow_app_state:
        return []
    return [
        checks.Warning(
            f"{setting_label('ALLOW_APP_STATE')} is on: the callback accepts a state it "
            "did not issue, without CSRF protection or PKCE.",
            hint="Only for apps ported from the Strapi plugin that start the TikTok flow "
            "themselves; new apps should open /api/tiktok-auth-mobile/authorize.",
            id="tiktok_mobile_auth.W006",
        )
    ]


def access_token_policy(config: TikTokConfig) -> Messages:
    from tiktok_mobile_auth.signin.minted_tokens import POLICIES, POLICY_ANY

    label = setting_label("ACCESS_TOKEN_POLICY")
    if config.access_token_policy == POLICY_ANY:
        return [
            checks.Warning(
                f"{label} is 'any': connect accepts TikTok access tokens obtained by other apps.",
                hint=f"Use {DEFAULTS['ACCESS_TOKEN_POLICY']!r} (the default), or have apps "
                "send the code and verifier.",
                id="tiktok_mobile_auth.W007",
            )
        ]
    if config.access_token_policy not in POLICIES:
        return [
            checks.Error(
                f"{label} is {config.access_token_policy!r}.",
                hint=f"Use {_either(POLICIES)}. Anything else is treated as "
                f"{DEFAULTS['ACCESS_TOKEN_POLICY']!r}.",
                id="tiktok_mobile_auth.E007",
            )
        ]
    return []


def throttle_rates(config: TikTokConfig) -> Messages:
    from tiktok_mobile_auth.api.throttles import parse_rate

    messages: Messages = []
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
    return messages


def record_storage(config: TikTokConfig) -> Messages:
    if config.storage not in records.STORAGES:
        return [
            checks.Error(
                f"TIKTOK_MOBILE_AUTH['STORAGE'] is {config.storage!r}.",
                hint=f"Use {_either(records.STORAGES)}. Anything else is treated as "
                f"{DEFAULTS['STORAGE']!r}.",
                id="tiktok_mobile_auth.E009",
            )
        ]
    if config.storage == "cache" and records.default_cache_is_per_process():
        return [
            checks.Warning(
                "TIKTOK_MOBILE_AUTH['STORAGE'] is 'cache' but the default cache is "
                "per-process: a callback served by another worker will not find its login "
                "attempt.",
                hint="Use 'auto' or 'database', or a shared cache such as Redis.",
                id="tiktok_mobile_auth.W008",
            )
        ]
    return []


def token_storage(config: TikTokConfig) -> Messages:
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


SIGN_IN_POLICY_CHECKS: tuple[Check, ...] = (
    app_state,
    access_token_policy,
    throttle_rates,
    record_storage,
    token_storage,
)


@checks.register(checks.Tags.security, "tiktok_mobile_auth")
def check_sign_in_policy(app_configs: Any = None, **kwargs: Any) -> Messages:
    """The state, token and throttling policies (attempts.py, minted.py, api/throttles.py)."""
    return _run(SIGN_IN_POLICY_CHECKS)
