"""Wagtail admin wiring: the settings panel's audit-logged save."""

from __future__ import annotations

from typing import Any

from wagtail import hooks
from wagtail.actions.registry import action_registry

from .admin_actions import SETTINGS_EDIT, EditTikTokSettingsAction, SettingsEditFormatter
from .models import TikTokSettings

action_registry.register(TikTokSettings, EditTikTokSettingsAction)


@hooks.register("register_log_actions")
def register_log_actions(actions: Any) -> None:
    actions.register_action(SETTINGS_EDIT)(SettingsEditFormatter)
