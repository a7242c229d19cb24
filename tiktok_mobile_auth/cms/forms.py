"""The admin panel's form: a write-only secret, read-only overridden fields, URL rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from wagtail.admin.forms import WagtailAdminModelForm

from tiktok_mobile_auth import url_rules
from tiktok_mobile_auth.cms.panel import FIELD_KEYS, keys_set_above_panel
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.storage import crypto


class TikTokSettingsForm(WagtailAdminModelForm):
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        secret_set = bool(self.instance.client_secret_encrypted)
        self.fields["client_secret"].help_text = (
            "A secret is saved (it is never shown). Leave blank to keep it."
            if secret_set
            else "Not set yet."
        )
        self.overridden = keys_set_above_panel()
        effective = get_config()
        for name, key in FIELD_KEYS.items():
            if key in self.overridden and name in self.fields:
                field = self.fields[name]
                field.disabled = True
                field.help_text = (
                    f"Set by {self.overridden[key]} in the environment / Django settings, "
                    "which wins over this panel."
                )
                if name != "client_secret":
                    self.initial[name] = _effective_value(name, effective)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, key in FIELD_KEYS.items():
            if key in self.overridden and name in cleaned and name != "client_secret":
                # Shown read-only with the effective value; keep what the panel had stored.
                cleaned[name] = getattr(self.instance, name)
        self._check_urls(cleaned)
        return cleaned

    def _check_urls(self, cleaned: dict[str, Any]) -> None:
        app_link = cleaned.get("redirect_app_url") or ""
        if app_link and not self.fields["redirect_app_url"].disabled:
            self._check_app_link(app_link, bool(cleaned.get("allow_custom_scheme")))
        callback = cleaned.get("callback_url") or ""
        if callback and not self.fields["callback_url"].disabled:
            self._check_callback(callback)

    def _check_app_link(self, app_link: str, allow_custom_scheme: bool) -> None:
        if not url_rules.is_absolute(app_link):
            self.add_error(
                "redirect_app_url", "Enter an absolute URL, e.g. https://app.example.com/tiktok."
            )
        elif not url_rules.app_link_allowed(app_link, allow_custom_scheme=allow_custom_scheme):
            self.add_error(
                "redirect_app_url",
                f"'{url_rules.custom_scheme(app_link)}://' is a custom scheme: tick 'allow a "
                "custom-scheme app link' to use it, or use a universal link / App Link (https).",
            )

    def _check_callback(self, callback: str) -> None:
        if not url_rules.is_absolute(callback):
            self.add_error("callback_url", "Enter the absolute URL registered at TikTok.")
        elif url_rules.has_query_or_fragment(callback):
            self.add_error("callback_url", "TikTok refuses a redirect URI with '?' or '#'.")
        elif not url_rules.callback_scheme_allowed(callback, debug=settings.DEBUG):
            self.add_error(
                "callback_url",
                "TikTok only redirects to https (plain http is accepted for localhost in DEBUG).",
            )

    def save(self, commit: bool = True) -> Any:
        secret = self.cleaned_data.get("client_secret")
        if secret and not self.fields["client_secret"].disabled:
            self.instance.client_secret_encrypted = crypto.encrypt(secret)
        return super().save(commit=commit)


def _effective_value(name: str, config: Any) -> Any:
    if name == "request_profile_scope":
        return "user.info.profile" in config.scopes
    if name == "request_stats_scope":
        return "user.info.stats" in config.scopes
    return getattr(config, name)
