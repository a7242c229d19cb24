"""Signal receivers, connected in AppConfig.ready().

Sign-ins and refusals are recorded by the sign-in itself (sessions.py), in its transaction,
not by a receiver: a record then exists exactly when the sign-in happened.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from tiktok_mobile_auth.cms.panel import forget_cached_values


def connect() -> None:
    from tiktok_mobile_auth.models import TikTokSettings

    for signal in (post_save, post_delete):
        signal.connect(
            forget_cached_values,
            sender=TikTokSettings,
            dispatch_uid=f"tiktok_mobile_auth.forget_panel_cache.{signal is post_save}",
        )
