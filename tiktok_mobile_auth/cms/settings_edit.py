"""The admin panel's form for :class:`~tiktok_mobile_auth.models.TikTokSettings`.

The model sits in the foundation, below the cms layer, so it cannot name its admin form as
``base_form_class``. Wagtail's settings view asks the model for an ``edit_handler`` first:
this module gives it one, the model's own panels with :class:`.forms.TikTokSettingsForm`.
``wagtail_hooks`` calls :func:`attach`, which Wagtail imports before any admin view runs.
"""

from __future__ import annotations

from wagtail.admin.panels import ObjectList

from tiktok_mobile_auth.cms.forms import TikTokSettingsForm
from tiktok_mobile_auth.models import TikTokSettings


def attach() -> None:
    """Give the settings model its edit handler (idempotent)."""
    TikTokSettings.edit_handler = ObjectList(
        TikTokSettings.panels, base_form_class=TikTokSettingsForm
    )
