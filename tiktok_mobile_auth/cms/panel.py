"""The Wagtail admin panel as a configuration source.

Read on every request from the shared cache (one cache read, no SQL), refilled from the
database on a miss and dropped whenever the settings are saved, so a change made in the
panel takes effect on the next request in every worker process, with no restart. The
cached copy holds the client secret still encrypted; it is decrypted only at use.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, ProgrammingError

from tiktok_mobile_auth.conf import BASIC_SCOPE, setting_label, values_by_source
from tiktok_mobile_auth.storage import crypto

logger = logging.getLogger(__name__)

CACHE_KEY = "tiktok_mobile_auth:panel:v1"
CACHE_SECONDS = 3600  # a safety net only: saving the settings drops the entry at once
PANEL_SOURCE = "tiktok_mobile_auth.cms.panel.panel_source"

# Form field -> the configuration key it sets.
FIELD_KEYS = {
    "enabled": "ENABLED",
    "client_key": "CLIENT_KEY",
    "client_secret": "CLIENT_SECRET",
    "redirect_app_url": "REDIRECT_APP_URL",
    "allow_custom_scheme": "ALLOW_CUSTOM_SCHEME",
    "callback_url": "CALLBACK_URL",
    "request_profile_scope": "SCOPES",
    "request_stats_scope": "SCOPES",
    "default_role": "DEFAULT_ROLE",
    "allow_registration": "ALLOW_REGISTRATION",
}


def _stored_values() -> dict[str, Any]:
    from tiktok_mobile_auth.models import TikTokSettings  # models import this module's neighbours

    row = TikTokSettings.objects.first()
    if row is None:
        return {}
    scopes = [BASIC_SCOPE]
    scopes += ["user.info.profile"] if row.request_profile_scope else []
    scopes += ["user.info.stats"] if row.request_stats_scope else []
    return {
        "ENABLED": row.enabled,
        "CLIENT_KEY": row.client_key,
        "CLIENT_SECRET_ENCRYPTED": row.client_secret_encrypted,
        "REDIRECT_APP_URL": row.redirect_app_url,
        "ALLOW_CUSTOM_SCHEME": row.allow_custom_scheme,
        "CALLBACK_URL": row.callback_url,
        "SCOPES": scopes,
        "DEFAULT_ROLE": row.default_role,
        "ALLOW_REGISTRATION": row.allow_registration,
    }


def panel_source() -> dict[str, Any]:
    """The values saved in "Settings → TikTok sign-in" (empty before anything is saved)."""
    values = cache.get(CACHE_KEY)
    if values is None:
        try:
            values = _stored_values()
        except DatabaseError as err:
            if not _not_migrated(err):
                raise  # an outage: answered 503, not a configuration without the panel
            return {}  # not migrated yet: the panel simply has nothing to say
        cache.set(CACHE_KEY, values, CACHE_SECONDS)
    values = dict(values)
    encrypted = values.pop("CLIENT_SECRET_ENCRYPTED", "")
    if encrypted:
        try:
            values["CLIENT_SECRET"] = crypto.decrypt(encrypted)
        except crypto.DecryptionFailed:
            logger.error(
                "The client secret saved in the admin panel cannot be decrypted with the "
                "configured %s; enter it again.",
                setting_label("ENCRYPTION_KEYS"),
            )
    return values


def _not_migrated(err: DatabaseError) -> bool:
    # PostgreSQL reports a missing table as a ProgrammingError; SQLite as an OperationalError,
    # the class of its outages too, so its message tells them apart.
    return isinstance(err, ProgrammingError) or "no such table" in str(err)


panel_source.uses_database = True  # type: ignore[attr-defined]


def forget_cached_values(**_kwargs: Any) -> None:
    """Drop the cached panel values (connected to the settings model's post_save)."""
    cache.delete(CACHE_KEY)


def keys_set_above_panel() -> dict[str, str]:
    """Configuration keys that a stronger source than the panel sets, with that source's
    operator-facing name (e.g. ``TIKTOK_CLIENT_KEY (TIKTOK_MOBILE_AUTH['CLIENT_KEY'])``)."""
    found: dict[str, str] = {}
    for path, values in values_by_source():
        if path == PANEL_SOURCE:
            break
        for key in values:
            found.setdefault(key, setting_label(key))
    return found
