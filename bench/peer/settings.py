"""A minimal Django site doing what connect does with dj-rest-auth and django-allauth's TikTok
provider: POST a TikTok access token, get the user (found or created) and a SimpleJWT pair.

It runs on the same SQLite configuration as the plugin's default (WAL, ``BEGIN IMMEDIATE``,
the same busy timeout: ``cms_site/sqlite.py``), under the same gunicorn configuration, and
asks the same fake TikTok: so the comparison is of the two sign-ins, not of their setups.
"""

import os
from pathlib import Path

import environ

from cms_site.sqlite import ensure_directory, sqlite_options

env = environ.Env()
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.peer.urls"
WSGI_APPLICATION = "bench.peer.wsgi.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.tiktok",
    "dj_rest_auth",
    "dj_rest_auth.registration",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]

DB_PATH = Path(os.environ["PEER_SQLITE_PATH"])
ensure_directory(str(DB_PATH))
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DB_PATH),
        "OPTIONS": sqlite_options(env),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
}
REST_AUTH = {"USE_JWT": True, "JWT_AUTH_HTTPONLY": False, "SESSION_LOGIN": False}

# Social sign-up without a form: the TikTok identity is enough, as with the plugin.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SIGNUP_FIELDS = ["username*"]
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "tiktok": {
        "APPS": [{"client_id": "fake-client-key", "secret": "fake-client-secret"}],
        "SCOPE": ["user.info.basic"],
    }
}
TIKTOK_API_URL = os.environ["BENCH_TIKTOK_URL"]
