"""Local development: DEBUG on, a throwaway secret key when none is set."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-secret-key-do-not-deploy")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
