"""The link between a Django user and a TikTok identity."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TikTok account"
        verbose_name_plural = "TikTok accounts"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.display_name or self.username or self.union_id
