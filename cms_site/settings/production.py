"""Production: refuses to start without a secret key or with an insecure TikTok endpoint."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, TIKTOK_MOBILE_AUTH, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Production settings refuse to start without it "
        "(it signs sessions and the JWTs given to mobile apps)."
    )

# The bundled fake TikTok is for development and tests only: production must talk to
# TikTok over https.
for _key in ("API_BASE_URL", "AUTH_BASE_URL"):
    if not str(TIKTOK_MOBILE_AUTH.get(_key, "https://")).startswith("https://"):
        raise ImproperlyConfigured(
            f"TIKTOK_{_key} must be an https URL in production (the fake TikTok is for "
            "development and tests only)."
        )

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# X-Forwarded-Proto is believed only from TIKTOK_TRUSTED_PROXIES (TrustedProxyMiddleware,
# first below), never from any client as SECURE_PROXY_SSL_HEADER would; X-Forwarded-Host
# and -Port never (Django's defaults, pinned here so no later edit turns them on).
SECURE_PROXY_SSL_HEADER = None
USE_X_FORWARDED_HOST = False
USE_X_FORWARDED_PORT = False

# Static files straight from the app server (whitenoise): compressed, content-hashed names
# with far-future cache headers, so every instance behind the load balancer serves them and
# nothing else needs configuring. Deploys run `manage.py collectstatic` first (the manifest).
_SECURITY = "django.middleware.security.SecurityMiddleware"
MIDDLEWARE = [
    "tiktok_mobile_auth.proxies.TrustedProxyMiddleware",
    _SECURITY,
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *(name for name in MIDDLEWARE if name != _SECURITY),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
