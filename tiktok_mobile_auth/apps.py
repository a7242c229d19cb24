from django.apps import AppConfig


class TikTokMobileAuthConfig(AppConfig):
    name = "tiktok_mobile_auth"
    label = "tiktok_mobile_auth"
    verbose_name = "TikTok mobile sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Only wiring here: importing these modules registers the system checks.
        from tiktok_mobile_auth import checks  # noqa: F401
        from tiktok_mobile_auth.cms import (
            login_button,  # noqa: F401
            receivers,
        )

        receivers.connect()
