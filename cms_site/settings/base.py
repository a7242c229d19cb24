"""Settings shared by every environment of the demo CMS.

Everything that differs between machines comes from the environment (django-environ):
SQLite and a file cache by default, PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL``
are set. The TikTok plugin is configured in one namespaced dict, ``TIKTOK_MOBILE_AUTH``,
filled from the ``TIKTOK_*`` variables documented in docs/configuration.md.
"""

from datetime import timedelta
from pathlib import Path

import environ

from tiktok_mobile_auth.api.openapi.settings import (
    SPECTACULAR_SETTINGS as PLUGIN_SPECTACULAR_SETTINGS,
)

from ..sqlite import ensure_directory, sqlite_options

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("DJANGO_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "tiktok_mobile_auth",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "cms_site.wsgi.application"

# SQLite file by default; DATABASE_URL=postgres://... switches to PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL, BEGIN IMMEDIATE and a 20 s busy timeout, so parallel sign-ins wait for the one
    # writer instead of failing (cms_site/sqlite.py); options given in DATABASE_URL win.
    DATABASES["default"]["OPTIONS"] = {
        **sqlite_options(env),
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # Here, because every entry point reads the settings first: `make run`, `manage.py
    # migrate` and gunicorn on a fresh clone, where var/ does not exist yet (SQLite creates
    # a missing file, not its directory: "unable to open database file").
    ensure_directory(DATABASES["default"]["NAME"])
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection pool per process (psycopg_pool, through Django): a request borrows a
    # connection at its first query and gives it back when it ends. The pool, not a
    # connection per thread (CONN_MAX_AGE), because gunicorn's gevent workers run each
    # client connection in a greenlet of its own (docs/deployment.md). CONN_HEALTH_CHECKS
    # makes the pool check a connection before lending it, so a restarted database does
    # not turn into a burst of errors. DJANGO_DB_POOL=false: one persistent connection
    # per thread instead (with the gthread worker), kept DJANGO_CONN_MAX_AGE seconds.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env.bool("DJANGO_DB_PREPARED_STATEMENTS", default=True):
        # Parameters bound by the server, and a statement run 5 times on a connection is
        # prepared there: PostgreSQL then skips parsing and planning the sign-in's few
        # statements (about 10% more sign-ins per second, make bench). Set it to false
        # behind a PgBouncer in transaction mode older than 1.21.
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
    if env.bool("DJANGO_DB_POOL", default=True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's pool requires it
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=16),
            "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=10.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)

# A cache shared by every worker process: the file cache by default (works across
# gunicorn workers on one machine), Redis when REDIS_URL is set (works across machines).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A gevent worker runs many requests at once, each holding a connection
                # while Redis answers: a bounded pool whose callers wait for a free
                # connection. redis-py's default pool refuses the 101st at once ("Too many
                # connections", a 500), which 256 concurrent sign-ins reached (make bench).
                "CONNECTION_POOL_CLASS": "redis.BlockingConnectionPool",
                "CONNECTION_POOL_KWARGS": {
                    "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=64),
                    "timeout": env.float("REDIS_POOL_TIMEOUT", default=10.0),
                },
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "TikTok mobile auth demo CMS"
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# OpenAPI: the plugin's API is this site's only DRF API, so `manage.py spectacular` writes
# the document that GET /api/tiktok-auth-mobile/schema/ serves (plugin endpoints only).
SPECTACULAR_SETTINGS = {**PLUGIN_SPECTACULAR_SETTINGS}

# Short-lived access tokens and refresh tokens that the plugin rotates in families with
# reuse detection (tiktok_mobile_auth/tokens.py); SimpleJWT's blacklist app is not needed.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "UPDATE_LAST_LOGIN": False,
}

# The plugin's whole configuration: one dict, every key optional (defaults live in
# tiktok_mobile_auth/conf.py). Only what is set in the environment is passed on.
_TIKTOK_ENV = {
    "ENABLED": ("TIKTOK_ENABLED", env.bool),
    "CLIENT_KEY": ("TIKTOK_CLIENT_KEY", env.str),
    "CLIENT_SECRET": ("TIKTOK_CLIENT_SECRET", env.str),
    "REDIRECT_APP_URL": ("TIKTOK_REDIRECT_APP_URL", env.str),
    "CALLBACK_URL": ("TIKTOK_CALLBACK_URL", env.str),
    "APP_REDIRECT_URIS": ("TIKTOK_APP_REDIRECT_URIS", env.list),
    "API_BASE_URL": ("TIKTOK_API_BASE_URL", env.str),
    "AUTH_BASE_URL": ("TIKTOK_AUTH_BASE_URL", env.str),
    "DEFAULT_ROLE": ("TIKTOK_DEFAULT_ROLE", env.str),
    "ALLOW_REGISTRATION": ("TIKTOK_ALLOW_REGISTRATION", env.bool),
    "SCOPES": ("TIKTOK_SCOPES", env.list),
    "ALLOW_CUSTOM_SCHEME": ("TIKTOK_ALLOW_CUSTOM_SCHEME", env.bool),
    "ENCRYPTION_KEYS": ("TIKTOK_ENCRYPTION_KEYS", env.list),
    "TRUSTED_PROXIES": ("TIKTOK_TRUSTED_PROXIES", env.list),
    "ALLOW_APP_STATE": ("TIKTOK_ALLOW_APP_STATE", env.bool),
    "ACCESS_TOKEN_POLICY": ("TIKTOK_ACCESS_TOKEN_POLICY", env.str),
    "STORE_TOKENS": ("TIKTOK_STORE_TOKENS", env.bool),
    "REFRESH_REUSE_GRACE": ("TIKTOK_REFRESH_REUSE_GRACE", env.int),
}
TIKTOK_MOBILE_AUTH = {
    key: read(var) for key, (var, read) in _TIKTOK_ENV.items() if var in env.ENVIRON
}
# Throttle rates, one variable per endpoint scope, e.g. TIKTOK_THROTTLE_CONNECT=120/min
# ("off" disables one); the scopes not set keep the plugin's defaults.
_THROTTLE_ENV = {
    scope: f"TIKTOK_THROTTLE_{scope.upper()}"
    for scope in (
        "authorize",
        "callback",
        "connect",
        "refresh",
        "logout",
        "me",
        "disconnect",
        "webhook",
    )
}
if any(var in env.ENVIRON for var in _THROTTLE_ENV.values()):
    TIKTOK_MOBILE_AUTH["THROTTLE_RATES"] = {
        scope: env.str(var) for scope, var in _THROTTLE_ENV.items() if var in env.ENVIRON
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"redact_query": {"()": "cms_site.logging_filters.RedactQueryStrings"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "server": {"class": "logging.StreamHandler", "filters": ["redact_query"]},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "tiktok_mobile_auth": {"level": env.str("TIKTOK_LOG_LEVEL", default="INFO")},
        # Django's own default config also prints "django" records in DEBUG: print them once.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # runserver's request lines, without query strings (they can carry OAuth codes).
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}
