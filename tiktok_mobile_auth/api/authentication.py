"""JWT authentication for the plugin's endpoints (``me``, ``disconnect``).

The user comes with its TikTok account and whether it is an editor, in one query
(:func:`account_lookup.users_with_account`): ``me`` then reads nothing more.

SimpleJWT's ``get_user`` reads the user alone, through the model's ``objects``, so its
steps are repeated here on that query, with SimpleJWT's settings, messages and codes: the
user id claim, ``user_not_found``, ``CHECK_USER_IS_ACTIVE`` and ``CHECK_REVOKE_TOKEN``
(tests/api/test_me.py compares each with SimpleJWT's own answer). One difference, on
purpose: SimpleJWT answers a blocked (inactive) user's still-valid access token with 401
``user_inactive``; apps are told "blocked" the same way everywhere here: 403
``account_blocked``, as connect and refresh do.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.exceptions import AccountBlocked
from tiktok_mobile_auth.signin import account_lookup


class PluginJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        """The token's user, its ``.tiktok_account`` loaded and its role known.

        Raises SimpleJWT's ``InvalidToken`` / ``AuthenticationFailed`` (401), or
        :class:`AccountBlocked` (403) for an inactive user.
        """
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as err:
            raise InvalidToken(_("Token contained no recognizable user identification")) from err
        users = account_lookup.users_with_account(get_config().editor_group)
        try:
            user = users.get(**{api_settings.USER_ID_FIELD: user_id})
        except users.model.DoesNotExist as err:
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from err
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AccountBlocked()
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user
