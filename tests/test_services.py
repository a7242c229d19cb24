"""The production pair: DATABASE_URL and REDIS_URL really switch the site to them."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import caches
from django.db import connection

from .conftest import require_service


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_url_switches_to_postgresql_with_a_checked_connection_pool():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True  # the pool checks
    pool = connection.pool
    assert pool is not None
    assert (pool.min_size, pool.max_size, pool.timeout) == (2, 16, 10.0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection._pool is pool  # borrowed from the pool, not opened alone
    # Server-side binding, with statements prepared after 5 runs on a connection.
    assert connection.connection.prepare_threshold == 5
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True


@pytest.mark.redis
def test_redis_url_switches_the_shared_cache_to_redis():
    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    from django_redis import get_redis_connection

    assert type(caches["default"]).__module__.startswith("django_redis")
    key, value = f"probe-{uuid.uuid4()}", {"n": 1}
    caches["default"].set(key, value, 30)
    # A value written through one client is read back by the server, not a local copy.
    assert get_redis_connection("default").exists(caches["default"].make_key(key)) == 1
    fresh = caches.create_connection("default")  # a new client, no shared local state
    assert fresh.get(key) == value
    fresh.delete(key)
