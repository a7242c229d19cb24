"""Where the plugin keeps short-lived security records: the database or the shared cache.

Login attempts (:mod:`.attempts`) and the hashes of the TikTok access tokens this server
obtained (:mod:`.minted`) must be seen by every worker process and every instance behind
the load balancer, so neither may live in process memory. ``STORAGE`` chooses:

- ``"auto"`` (the default): the default cache when it is Redis (shared by every instance,
  entries expire on their own), else the database;
- ``"database"``: the ``LoginAttempt`` and ``MintedToken`` tables (expired rows are
  deleted opportunistically on the next write: no cron job is needed);
- ``"cache"``: the default cache, whatever it is. Only safe with a cache that every process
  shares (Redis, Memcached); a per-process ``LocMemCache`` would lose state between workers.

Secrets are never stored as such: :func:`digest` keys every record by a SHA-256.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from tiktok_mobile_auth.conf import TikTokConfig

STORAGES = ("auto", "database", "cache")
CACHE_PREFIX = "tiktok_mobile_auth:"


def now() -> datetime:
    """The current time (one place, so tests can move the clock of both stores)."""
    return timezone.now()


def digest(secret: str) -> str:
    """The hex SHA-256 of ``secret``: what is stored instead of a state or a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# Caches that live inside one process: another worker never sees what one stores there.
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def default_cache_backend() -> str:
    """The dotted path of the default cache's backend ("" when there is none)."""
    return str(settings.CACHES.get("default", {}).get("BACKEND", ""))


def default_cache_is_redis() -> bool:
    """The one test the plugin uses for "is there Redis" (records, throttle counters)."""
    return "redis" in default_cache_backend().lower()


def default_cache_is_per_process() -> bool:
    """Whether the default cache is private to each process (system checks W008, W010)."""
    return default_cache_backend() in PER_PROCESS_CACHES


def uses_cache(config: TikTokConfig) -> bool:
    """True when records go to the default cache, False for the database.

    An unknown ``STORAGE`` value (a system check reports it) behaves as ``"auto"``.
    """
    if config.storage == "cache":
        return True
    if config.storage == "database":
        return False
    return default_cache_is_redis()
