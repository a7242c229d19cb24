"""The plugin's models: the TikTok identity link, the admin panel's settings, sign-in events."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from tiktok_mobile_auth.conf import DEFAULTS, ROLE_EDITOR, ROLE_MEMBER

# TikTok's reason codes of the authorization.removed webhook event.
DEAUTHORIZATION_REASONS = [
    (0, "Unknown"),
    (1, "Disconnected by the user in TikTok"),
    (2, "TikTok account deleted"),
    (3, "Age changed"),
    (4, "TikTok account banned"),
    (5, "Revoked by this site"),
]


class TikTokAccount(models.Model):
    """One TikTok identity, linked one-to-one to the Django user it signs in as.

    ``union_id`` is the key: TikTok gives the same one to a person in every app of the same
    developer, so the iOS and Android builds (or two client keys) reach the same user. The
    profile columns are a snapshot refreshed at every sign-in; ``profile`` keeps every field
    TikTok returned.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tiktok_account"
    )
    union_id = models.CharField(max_length=255, unique=True)
    open_id = models.CharField(max_length=255, db_index=True)
    display_name = models.CharField(max_length=255, blank=True)
    username = models.CharField("TikTok username", max_length=255, blank=True)
    avatar_url = models.TextField(blank=True)
    profile = models.JSONField(default=dict, blank=True)
    scopes = models.CharField("granted scopes", max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by TikTok's authorization.removed webhook (webhooks.py): when TikTok says the user
    # removed this app, and its reason code; cleared by the next sign-in with TikTok.
    deauthorized_at = models.DateTimeField(null=True, blank=True)
    deauthorized_reason = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=DEAUTHORIZATION_REASONS
    )

    class Meta:
        verbose_name = "TikTok account"
        verbose_name_plural = "TikTok accounts"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.display_name or self.username or self.union_id


@register_setting(icon="key")
class TikTokSettings(BaseGenericSetting):
    """ "Settings → TikTok sign-in" in the Wagtail admin: the second configuration source.

    A value set in the environment / Django settings wins over the one stored here (the form
    shows it read-only, with the reason). The client secret is stored encrypted
    (:mod:`tiktok_mobile_auth.storage.crypto`) and is write-only in the form.
    """

    enabled = models.BooleanField("enable TikTok sign-in", default=DEFAULTS["ENABLED"])
    client_key = models.CharField(max_length=255, blank=True)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    redirect_app_url = models.CharField(
        "app link",
        max_length=2048,
        blank=True,
        help_text="The app's universal link / App Link the callback redirects to, "
        "e.g. https://app.example.com/tiktok.",
    )
    allow_custom_scheme = models.BooleanField(
        "allow a custom-scheme app link",
        default=DEFAULTS["ALLOW_CUSTOM_SCHEME"],
        help_text="Allow an app link such as myapp://tiktok. Any app can claim a custom "
        "scheme, so a universal link / App Link (https) is safer.",
    )
    callback_url = models.CharField(
        "callback URL",
        max_length=511,
        blank=True,
        help_text="The exact https URL of /api/tiktok-auth-mobile/callback on this site, "
        "as registered at TikTok.",
    )
    request_profile_scope = models.BooleanField(
        "request user.info.profile",
        default=False,
        help_text="The @handle, bio and verified badge (needs TikTok's approval).",
    )
    request_stats_scope = models.BooleanField(
        "request user.info.stats",
        default=False,
        help_text="Follower, following, like and video counts (needs TikTok's approval).",
    )
    default_role = models.CharField(
        "role of new users",
        max_length=16,
        choices=[(ROLE_MEMBER, "Member (no admin access)"), (ROLE_EDITOR, "Editor")],
        default=DEFAULTS["DEFAULT_ROLE"],
    )
    allow_registration = models.BooleanField(
        "allow new users",
        default=DEFAULTS["ALLOW_REGISTRATION"],
        help_text="When off, unknown TikTok users are refused; existing ones still sign in.",
    )

    # The admin form (cms/forms.py: the secret write-only, values set elsewhere read-only) is
    # bound to these panels by the cms layer, which models may not import (cms/settings_edit.py).
    panels = [
        FieldPanel("enabled"),
        MultiFieldPanel(
            [FieldPanel("client_key"), FieldPanel("client_secret")],
            heading="TikTok app credentials",
        ),
        MultiFieldPanel(
            [
                FieldPanel("callback_url"),
                FieldPanel("redirect_app_url"),
                FieldPanel("allow_custom_scheme"),
            ],
            heading="URLs",
        ),
        MultiFieldPanel(
            [FieldPanel("request_profile_scope"), FieldPanel("request_stats_scope")],
            heading="Scopes (user.info.basic is always requested)",
        ),
        MultiFieldPanel(
            [FieldPanel("default_role"), FieldPanel("allow_registration")],
            heading="New users",
        ),
    ]

    class Meta:
        verbose_name = "TikTok sign-in"

    def __str__(self) -> str:
        return "TikTok sign-in settings"


class LoginAttempt(models.Model):
    """One server-started sign-in (GET authorize → TikTok → GET callback), single-use.

    Only a SHA-256 of the ``state`` sent to TikTok is kept. ``app_state`` is the app's own
    state, handed back to it at the end. Used when the default cache is not Redis (see
    :mod:`tiktok_mobile_auth.storage.records`); expired rows are deleted by the next attempt.
    """

    state_hash = models.CharField(max_length=64, unique=True)
    # "app": the mobile flow, ending at the app link; "admin": the Wagtail admin sign-in,
    # whose app_state is the same-site path to return to.
    purpose = models.CharField(max_length=16, default="app")
    app_state = models.CharField(max_length=512, blank=True)
    # The PKCE verifier, encrypted at rest (crypto.py): a database dump holds no usable one.
    code_verifier_encrypted = models.TextField()
    # SHA-256 of the binding nonce in the cookie of the browser that started the attempt
    # (browser_binding.py); the callback refuses any other browser. Empty: not bound.
    browser_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TikTok login attempt"

    def __str__(self) -> str:
        return f"login attempt {self.pk}"


class MintedToken(models.Model):
    """A TikTok access token that this server obtained itself (callback or code exchange).

    Only its SHA-256 is kept, with the ``open_id`` TikTok issued it for and its expiry, so
    ``connect`` can refuse tokens obtained elsewhere (``ACCESS_TOKEN_POLICY = "minted"``).
    """

    token_hash = models.CharField(max_length=64, unique=True)
    open_id = models.CharField(max_length=255)
    # The scopes the user granted, comma-separated, as TikTok's token reply said: connect
    # asks user info for those fields and records them on the account.
    scopes = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    # With STORE_TOKENS: the callback's whole grant, encrypted, until connect claims it for
    # the account it signs in (tiktok_tokens.py); empty otherwise.
    grant_encrypted = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "TikTok access token obtained here"

    def __str__(self) -> str:
        return f"minted token {self.pk}"


class SignInEvent(models.Model):
    """One sign-in or refused sign-in of a TikTok identity, for the admin's account page.

    ``union_id`` is kept even when no account exists (registration closed, email taken) or
    after the account is unlinked. ``ip_address`` honours only trusted proxies
    (:mod:`tiktok_mobile_auth.proxies`).
    """

    SUCCESS = "success"
    FAILURE = "failure"

    account = models.ForeignKey(
        TikTokAccount,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sign_in_events",
    )
    union_id = models.CharField(max_length=255, blank=True, db_index=True)
    outcome = models.CharField(
        max_length=16, choices=[(SUCCESS, "Signed in"), (FAILURE, "Refused")]
    )
    code = models.CharField(max_length=64, blank=True)
    flow = models.CharField(max_length=32, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "TikTok sign-in"
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.union_id} at {self.created_at:%Y-%m-%d %H:%M}"


class TikTokTokens(models.Model):
    """The TikTok tokens of one account (only with ``STORE_TOKENS``), encrypted at rest.

    Expiries are TikTok's ``expires_in`` / ``refresh_expires_in`` counted from when the
    grant was received; ``obtained_at`` is when the user last authorized this app (a code
    exchange), not moved by refreshes. See :mod:`tiktok_mobile_auth.signin.tiktok_token_store`.
    """

    account = models.OneToOneField(
        TikTokAccount, on_delete=models.CASCADE, primary_key=True, related_name="tiktok_tokens"
    )
    open_id = models.CharField(max_length=255, db_index=True)
    scopes = models.CharField(max_length=512, blank=True)
    access_token_encrypted = models.TextField()
    access_expires_at = models.DateTimeField()
    refresh_token_encrypted = models.TextField(blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    obtained_at = models.DateTimeField()
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TikTok tokens"
        verbose_name_plural = "TikTok tokens"

    def __str__(self) -> str:
        return f"TikTok tokens of account {self.account_id}"


class RateCounter(models.Model):
    """One throttle window's request count for one client and scope (api/throttles.py),
    used when the default cache is not Redis. A row per window, incremented by one atomic
    upsert, so concurrent requests in every worker process are all counted."""

    key = models.CharField(max_length=255, primary_key=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "TikTok throttle counter"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class RefreshTokenFamily(models.Model):
    """One sign-in's chain of refresh tokens (RFC 9700 section 4.14.2), for rotation with
    reuse detection (tokens.py).

    Only the ``jti`` of the one refresh token that may be used next is stored, never a token:
    a refresh token carries its family's id, and refreshing replaces ``current_jti``. A token
    of the family presented after it was replaced is a reuse: the whole family is revoked.
    Logout, blocking and disconnect revoke families too.
    """

    # Chosen here, not by the database: the first refresh token carries it, so the row can be
    # inserted without reading an id back (in one round trip with the sign-in's record).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tiktok_token_families"
    )
    current_jti = models.CharField(max_length=64)
    # The token replaced last, and when: within REFRESH_REUSE_GRACE seconds of the rotation a
    # retried refresh with it is not taken for a theft (off by default).
    previous_jti = models.CharField(max_length=64, blank=True, default="")
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        verbose_name = "TikTok sign-in session"
        indexes = [models.Index(fields=["user", "revoked_at"], name="tma_family_user_revoked")]

    def __str__(self) -> str:
        return f"refresh token family {self.pk}"
