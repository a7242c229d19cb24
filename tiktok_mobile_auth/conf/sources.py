"""Where configuration values come from, and their precedence.

``CONFIG_SOURCES`` lists the sources in order of precedence (dotted paths to callables
returning a dict of the keys they set); the first source that sets a key to a non-empty value
wins, then the defaults. The Django settings dict is the first source; the Wagtail admin
panel can be appended without any view changing, because views only ever call
:func:`tiktok_mobile_auth.conf.get_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from tiktok_mobile_auth.conf.defaults import DEFAULTS, setting_label


def django_settings_source() -> Mapping[str, Any]:
    """The ``TIKTOK_MOBILE_AUTH`` dict from Django settings (the first, strongest source)."""
    return getattr(settings, "TIKTOK_MOBILE_AUTH", {}) or {}


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
