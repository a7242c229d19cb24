"""System checks: every misconfiguration that can be seen without the database.

Missing credentials are warnings, not errors: a second configuration source (the Wagtail
admin panel) may supply them at run time, and an error would block ``migrate``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from .client_ip import parse_networks
from .conf import ROLES, get_config, setting_label


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
                    hint=f"Set {setting_label(key)}, or disable the plugin (TIKTOK_ENABLED=false).",
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
    if "rest_framework_simplejwt.token_blacklist" not in settings.INSTALLED_APPS:
        messages.append(
            checks.Error(
                "rest_framework_simplejwt.token_blacklist is not installed.",
                hint="Add it to INSTALLED_APPS: refresh tokens are single-use and logout "
                "blacklists them.",
                id="tiktok_mobile_auth.E004",
            )
        )
    return messages
