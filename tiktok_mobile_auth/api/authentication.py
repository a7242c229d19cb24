"""JWT authentication for the plugin's endpoints.

SimpleJWT answers a blocked (inactive) user's still-valid access token with 401
``user_inactive``; apps are told "blocked" the same way everywhere here: 403
``account_blocked``, as connect and refresh do.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from tiktok_mobile_auth.exceptions import AccountBlocked


class PluginJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        try:
            return super().get_user(validated_token)
        except AuthenticationFailed as err:
            # SimpleJWT's errors carry their code as a value: {"detail": ..., "code": ...}
            detail = err.detail
            code = detail.get("code") if isinstance(detail, dict) else err.get_codes()
            if code == "user_inactive":
                raise AccountBlocked() from err
            raise
