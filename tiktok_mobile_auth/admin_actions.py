"""Audit-logged admin actions on the plugin's models.

Saving the settings panel is logged in Wagtail's audit log as
``tiktok_mobile_auth.settings.edit`` with the names of the changed fields (never a value:
the client secret shows as "client_secret" changed, nothing more).
"""

from __future__ import annotations

from typing import Any

from wagtail.actions.edit import EditAction
from wagtail.log_actions import LogFormatter, log

SETTINGS_EDIT = "tiktok_mobile_auth.settings.edit"


class EditTikTokSettingsAction(EditAction):
    def __init__(self, instance: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs["log_action"] = None  # replaced by the entry below, which names the fields
        super().__init__(instance, user, **kwargs)

    def execute(self, skip_permission_checks: bool = False) -> Any:
        changed = sorted(self.form.changed_data) if self.form is not None else []
        instance = super().execute(skip_permission_checks=skip_permission_checks)
        log(
            instance=instance,
            action=SETTINGS_EDIT,
            user=self.user,
            data={"fields": changed},
            content_changed=bool(changed),
        )
        return instance


class SettingsEditFormatter(LogFormatter):
    label = "Edit TikTok sign-in settings"

    def format_message(self, log_entry: Any) -> str:
        fields = (log_entry.data or {}).get("fields") or []
        if not fields:
            return "Saved the TikTok sign-in settings (no change)"
        return "Changed the TikTok sign-in settings: " + ", ".join(fields)
