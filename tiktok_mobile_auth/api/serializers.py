"""Request validation and the ``user`` object of every response."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import serializers

from tiktok_mobile_auth.models import TikTokAccount

# TikTok tokens and our JWTs are printable ASCII without spaces; anything else (control
# characters, unicode look-alikes, whitespace) is refused with 400 before any network call.
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
MAX_TOKEN_LENGTH = 4096


class TokenField(serializers.CharField):
    """A string token: no coercion of numbers or lists, no trimming, printable ASCII only."""

    default_error_messages = {
        "not_a_string": "Must be a string.",
        "bad_characters": "Contains characters that no token has.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_TOKEN_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        if data and not _TOKEN_CHARS.fullmatch(data):
            self.fail("bad_characters")
        return super().to_internal_value(data)


class VerifierField(serializers.RegexField):
    """A PKCE verifier. TikTok's Android SDK makes 32-character verifiers, below RFC 7636's
    43: accept 32-128 characters of [A-Za-z0-9-._~]. A JSON number is not a verifier."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages", {"invalid": "Must be 32 to 128 characters of A-Z a-z 0-9 - . _ ~"}
        )
        super().__init__(r"^[A-Za-z0-9\-._~]{32,128}$", **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# Each connect field's class and constraints, once: the serializer and the OpenAPI document's
# two connect bodies (api/openapi/components.py) both make their fields with connect_field(),
# so a length or a pattern cannot drift between what is checked and what is documented.
_CONNECT_FIELDS: dict[str, tuple[type[serializers.Field], dict[str, Any]]] = {
    "access_token": (TokenField, {}),
    "code": (TokenField, {"max_length": 1024}),
    "code_verifier": (VerifierField, {}),
    "redirect_uri": (TokenField, {"max_length": 512}),
}


def connect_field(name: str, **kwargs: Any) -> serializers.Field:
    """A new ``name`` field of the connect body, with ``kwargs`` (``required``, ``help_text``)."""
    field_class, constraints = _CONNECT_FIELDS[name]
    return field_class(**{**constraints, **kwargs})


class ConnectSerializer(serializers.Serializer):
    """Either ``access_token`` (the Strapi plugin's body) or, better, the native SDK's
    ``code`` + ``code_verifier`` (+ ``redirect_uri``, checked against an allow-list)."""

    access_token = connect_field("access_token", required=False)
    code = connect_field("code", required=False)
    code_verifier = connect_field("code_verifier", required=False)
    redirect_uri = connect_field("redirect_uri", required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_token, has_code = "access_token" in attrs, "code" in attrs
        if has_token == has_code:
            raise serializers.ValidationError(
                {"access_token": "Send either access_token, or code with code_verifier."}
            )
        if has_code and "code_verifier" not in attrs:
            raise serializers.ValidationError({"code_verifier": "Required with code."})
        return attrs


class RefreshSerializer(serializers.Serializer):
    refresh = TokenField()


def user_payload(
    user: AbstractBaseUser, account: TikTokAccount | None, role: str
) -> dict[str, Any]:
    """The ``user`` object: the Strapi plugin's fields, plus the role and the TikTok profile."""
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": getattr(user, "email", ""),
        "provider": "tiktok" if account else "local",
        "confirmed": True,
        "blocked": not user.is_active,
        "role": role,
        "createdAt": _iso(getattr(user, "date_joined", None)),
        "updatedAt": _iso(account.updated_at if account else None),
        "tiktok": _tiktok_payload(account) if account else None,
    }


def _tiktok_payload(account: TikTokAccount) -> dict[str, Any]:
    return {
        **account.profile,
        "open_id": account.open_id,
        "union_id": account.union_id,
        "display_name": account.display_name,
        "avatar_url": account.avatar_url,
        "username": account.username or None,
        "scopes": [s for s in account.scopes.split(",") if s],
        # TikTok said the user removed this app (webhooks.py); cleared by the next sign-in.
        "deauthorized": account.deauthorized_at is not None,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
