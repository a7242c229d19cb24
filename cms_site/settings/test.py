"""Test settings: fast hashing, a local-memory cache unless REDIS_URL is set."""

from .base import *  # noqa: F403
from .base import REDIS_URL

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TIKTOK_MOBILE_AUTH = {
    # Settings only: most tests need no database for the configuration. Tests of the admin
    # panel (tests/cms/test_panel.py) drop this key to get the default sources back.
    "CONFIG_SOURCES": ["tiktok_mobile_auth.conf.django_settings_source"],
    "ENABLED": True,
    "CLIENT_KEY": "test-client-key",
    "CLIENT_SECRET": "test-client-secret",
    "REDIRECT_APP_URL": "https://app.example.com/tiktok/done",
    "CALLBACK_URL": "https://cms.example.com/api/tiktok-auth-mobile/callback",
    "APP_REDIRECT_URIS": [
        "https://app.example.com/tiktok/android",
        "https://app.example.com/tiktok/ios",
    ],
    "API_BASE_URL": "https://open.tiktokapis.test",
    "AUTH_BASE_URL": "https://www.tiktok.test",
}
