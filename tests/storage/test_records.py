"""The one "Redis, or a per-process cache?" decision (storage/records.py) that the records,
the throttle counters and the system checks share, with literal cache backends."""

from __future__ import annotations

import pytest

from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.storage import records


@pytest.mark.parametrize(
    ("backend", "redis", "per_process"),
    [
        ("django_redis.cache.RedisCache", True, False),
        ("django.core.cache.backends.redis.RedisCache", True, False),
        ("django.core.cache.backends.locmem.LocMemCache", False, True),
        ("django.core.cache.backends.dummy.DummyCache", False, True),
        ("django.core.cache.backends.filebased.FileBasedCache", False, False),
        ("django.core.cache.backends.memcached.PyMemcacheCache", False, False),
        ("django.core.cache.backends.db.DatabaseCache", False, False),
    ],
)
def test_the_default_cache_is_told_apart_by_its_backend(settings, backend, redis, per_process):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "unused"}}
    assert records.default_cache_is_redis() is redis
    assert records.default_cache_is_per_process() is per_process


@pytest.mark.parametrize(
    ("storage", "backend", "in_cache"),
    [
        ("auto", "django_redis.cache.RedisCache", True),
        ("auto", "django.core.cache.backends.locmem.LocMemCache", False),
        ("auto", "django.core.cache.backends.filebased.FileBasedCache", False),
        ("database", "django_redis.cache.RedisCache", False),
        ("cache", "django.core.cache.backends.locmem.LocMemCache", True),
        ("memory", "django_redis.cache.RedisCache", True),  # unknown: as "auto" (E009 says so)
        ("memory", "django.core.cache.backends.locmem.LocMemCache", False),
    ],
)
def test_records_go_to_the_cache_only_where_storage_says(settings, storage, backend, in_cache):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "unused"}}
    settings.TIKTOK_MOBILE_AUTH = {
        "CONFIG_SOURCES": ["tiktok_mobile_auth.conf.django_settings_source"],
        "STORAGE": storage,
    }
    assert records.uses_cache(get_config()) is in_cache
