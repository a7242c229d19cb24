"""Sign-up policy in one overridable class (the django-allauth pattern).

Point ``TIKTOK_MOBILE_AUTH['ADAPTER']`` at a subclass to decide who may sign up, which role
a new user gets, or how a user is populated, without touching views or the transaction.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser

from tiktok_mobile_auth.conf import TikTokConfig
from tiktok_mobile_auth.tiktok import TikTokProfile

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


class DefaultAccountAdapter:
    def __init__(self, config: TikTokConfig) -> None:
        self.config = config

    def is_open_for_signup(self, profile: TikTokProfile) -> bool:
        """Whether an unknown TikTok user may get a new account."""
        return self.config.allow_registration

    def role_for_new_user(self, profile: TikTokProfile) -> str:
        """The role (``member`` or ``editor``) of a new user: the server's choice alone."""
        return self.config.default_role

    def username_base(self, profile: TikTokProfile) -> str:
        """The preferred username: the TikTok handle when granted, else the display name."""
        for candidate in (profile.username, profile.display_name):
            cleaned = _USERNAME_UNSAFE.sub("", (candidate or "").replace(" ", "_")).strip("._-")
            if cleaned:
                return cleaned[:120]
        return "tiktok_user"

    def populate_user(self, user: AbstractBaseUser, profile: TikTokProfile) -> None:
        """Fill a new user's fields from the profile (the password is already unusable)."""
        if hasattr(user, "first_name"):
            user.first_name = profile.display_name[:150]
