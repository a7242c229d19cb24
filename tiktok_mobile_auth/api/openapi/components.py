"""The parts of the OpenAPI document: request and success bodies.

The connect bodies' fields are made by the serializer's own ``connect_field``, so a length or
a pattern cannot drift from what the server checks. The error envelope and the codes of each
operation are in :mod:`.error_responses`.
"""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers

from tiktok_mobile_auth.api.serializers import RefreshSerializer, connect_field
from tiktok_mobile_auth.conf import ROLES

# ---- request bodies: the connect serializer's own fields (connect_field) ------------------


CONNECT_WITH_CODE = inline_serializer(
    "ConnectWithCode",
    {
        "code": connect_field(
            "code",
            required=True,
            help_text="The authorization code the TikTok SDK returned.",
        ),
        "code_verifier": connect_field(
            "code_verifier",
            required=True,
            help_text="The PKCE verifier the code was made with (32 to 128 characters; "
            "TikTok's Android SDK makes 32).",
        ),
        "redirect_uri": connect_field(
            "redirect_uri",
            required=False,
            help_text="The redirect URI the SDK used: one of the server's allowed URIs. "
            "May be left out when the server allows exactly one.",
        ),
    },
)
CONNECT_WITH_ACCESS_TOKEN = inline_serializer(
    "ConnectWithAccessToken",
    {
        "access_token": connect_field(
            "access_token",
            required=True,
            help_text="A TikTok access token, by default only one this server's callback "
            "obtained (the `access_token` of the app-link redirect).",
        )
    },
)
CONNECT_REQUEST = PolymorphicProxySerializer(
    component_name="Connect",
    serializers=[CONNECT_WITH_CODE, CONNECT_WITH_ACCESS_TOKEN],
    resource_type_field_name=None,
)
REFRESH_REQUEST = RefreshSerializer


# ---- success bodies ------------------------------------------------------------------------


class TikTokProfileSerializer(serializers.Serializer):
    open_id = serializers.CharField(help_text="The user's id in this TikTok app.")
    union_id = serializers.CharField(help_text="The user's id across the developer's apps.")
    display_name = serializers.CharField(allow_blank=True)
    avatar_url = serializers.CharField(allow_blank=True)
    username = serializers.CharField(
        allow_null=True, help_text="The TikTok handle, with the `user.info.profile` scope."
    )
    scopes = serializers.ListField(
        child=serializers.CharField(), help_text="The scopes granted at the last sign-in."
    )
    deauthorized = serializers.BooleanField(
        help_text="TikTok said the user removed this app (its webhook); cleared by the next "
        "sign-in with TikTok."
    )

    class Meta:
        ref_name = "TikTokProfile"


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(
        allow_blank=True, help_text="A pseudo-address for users created by TikTok sign-in."
    )
    provider = serializers.ChoiceField(choices=["tiktok", "local"])
    confirmed = serializers.BooleanField()
    blocked = serializers.BooleanField()
    role = serializers.ChoiceField(choices=list(ROLES), help_text="Decided by the server.")
    createdAt = serializers.DateTimeField(allow_null=True, help_text="When the user joined.")
    updatedAt = serializers.DateTimeField(
        allow_null=True, help_text="The TikTok link's last update."
    )
    tiktok = TikTokProfileSerializer(
        allow_null=True,
        help_text="The TikTok profile; every user-info field TikTok returned is included. "
        "Null for a user without a TikTok link.",
    )

    class Meta:
        ref_name = "User"


class TokenPairSerializer(serializers.Serializer):
    jwt = serializers.CharField(help_text="The access JWT: `Authorization: Bearer <jwt>`.")
    refresh = serializers.CharField(help_text="A single-use refresh token.")


class ConnectResponseSerializer(TokenPairSerializer):
    user = UserSerializer()


class WebhookEventSerializer(serializers.Serializer):
    """TikTok's webhook body; this server acts on ``authorization.removed``."""

    client_key = serializers.CharField(help_text="The app the event is for.")
    event = serializers.CharField(help_text="`authorization.removed`; others are ignored.")
    create_time = serializers.IntegerField(min_value=0, help_text="Unix seconds.")
    user_openid = serializers.CharField()
    content = serializers.CharField(
        help_text='A JSON string; for authorization.removed `{"reason": n}`.'
    )


class WebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    result = serializers.ChoiceField(
        choices=["applied", "duplicate", "ignored"],
        help_text="`ignored` also for a signed body that is not an event of this app.",
    )
