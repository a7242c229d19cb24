"""Wagtail admin wiring: audit-logged saves, the TikTok users viewset and its policy."""

from __future__ import annotations

from typing import Any

from wagtail import hooks
from wagtail.actions.registry import action_registry
from wagtail.permissions import register_permission_policy

from tiktok_mobile_auth.cms import settings_edit
from tiktok_mobile_auth.cms.actions import (
    ACCOUNT_EDIT,
    SETTINGS_EDIT,
    AccountEditFormatter,
    EditTikTokSettingsAction,
    ManageTikTokAccountAction,
    SettingsEditFormatter,
    UnlinkTikTokAccountAction,
)
from tiktok_mobile_auth.cms.views import AccountPermissionPolicy, tiktok_account_viewset
from tiktok_mobile_auth.models import TikTokAccount, TikTokSettings

settings_edit.attach()

action_registry.register(TikTokSettings, EditTikTokSettingsAction)
action_registry.register(TikTokAccount, ManageTikTokAccountAction)
action_registry.register(TikTokAccount, UnlinkTikTokAccountAction)
register_permission_policy(TikTokAccount, AccountPermissionPolicy(TikTokAccount))


@hooks.register("register_admin_viewset")
def register_viewsets() -> Any:
    return tiktok_account_viewset


@hooks.register("register_log_actions")
def register_log_actions(actions: Any) -> None:
    actions.register_action(SETTINGS_EDIT)(SettingsEditFormatter)
    actions.register_action(ACCOUNT_EDIT)(AccountEditFormatter)
