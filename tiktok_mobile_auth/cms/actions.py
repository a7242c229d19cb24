"""Audit-logged admin actions on the plugin's models.

Saving the settings panel is logged in Wagtail's audit log as
``tiktok_mobile_auth.settings.edit`` with the names of the changed fields (never a value:
the client secret shows as "client_secret" changed, nothing more). Managing a TikTok user
is logged as ``tiktok_mobile_auth.account.edit`` with the new role / blocked values.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from wagtail.actions.delete import DeleteAction
from wagtail.actions.edit import EditAction
from wagtail.log_actions import LogFormatter, log

SETTINGS_EDIT = "tiktok_mobile_auth.settings.edit"
ACCOUNT_EDIT = "tiktok_mobile_auth.account.edit"


class FieldLoggingEditAction(EditAction):
    """An edit logged as ``log_name`` with the changed field names, plus the new values of
    the fields in ``logged_values`` (never anything secret)."""

    log_name = ""
    logged_values: tuple[str, ...] = ()

    def __init__(self, instance: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs["log_action"] = None  # replaced by the entry below, which names the fields
        super().__init__(instance, user, **kwargs)

    def execute(self, skip_permission_checks: bool = False) -> Any:
        changed = sorted(self.form.changed_data) if self.form is not None else []
        values = {f: self.form.cleaned_data[f] for f in changed if f in self.logged_values}
        instance = super().execute(skip_permission_checks=skip_permission_checks)
        log(
            instance=instance,
            action=self.log_name,
            user=self.user,
            data={"fields": changed, "values": values},
            content_changed=bool(changed),
        )
        return instance


class EditTikTokSettingsAction(FieldLoggingEditAction):
    log_name = SETTINGS_EDIT


class ManageTikTokAccountAction(FieldLoggingEditAction):
    log_name = ACCOUNT_EDIT
    logged_values = ("role", "blocked")


class SettingsEditFormatter(LogFormatter):
    label = "Edit TikTok sign-in settings"

    def format_message(self, log_entry: Any) -> str:
        fields = (log_entry.data or {}).get("fields") or []
        if not fields:
            return "Saved the TikTok sign-in settings (no change)"
        return "Changed the TikTok sign-in settings: " + ", ".join(fields)


class AccountEditFormatter(LogFormatter):
    label = "Manage a TikTok user"

    def format_message(self, log_entry: Any) -> str:
        values = (log_entry.data or {}).get("values") or {}
        parts = []
        if "blocked" in values:
            parts.append("blocked the user" if values["blocked"] else "unblocked the user")
        if "role" in values:
            parts.append(f"set the role to {values['role']}")
        return ("TikTok user: " + ", ".join(parts)) if parts else "TikTok user saved (no change)"


class UnlinkTikTokAccountAction(DeleteAction):
    """The admin's "unlink" (delete view) does what a user's own disconnect does: revoke
    the stored grant at TikTok (best effort), then remove the link, spend every refresh
    token of the user and release the pseudo-email; the Django user stays. Logged as
    Wagtail's ``wagtail.delete``."""

    def execute(self, skip_permission_checks: bool = False) -> Any:
        from tiktok_mobile_auth.conf import get_config
        from tiktok_mobile_auth.signin import accounts
        from tiktok_mobile_auth.signin.disconnect import revoke_at_tiktok

        self.check(skip_permission_checks=skip_permission_checks)
        config = get_config()
        revoke_at_tiktok(self.instance, config)
        user, union_id = self.instance.user, self.instance.union_id
        with transaction.atomic():
            accounts.lock_link(self.instance)
            result = super().execute(skip_permission_checks=True)
            accounts.after_unlink(user, union_id, config)
        return result
