"""The production pair: DATABASE_URL and REDIS_URL really switch the site to them."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import caches
from django.db import connection

from tests.support.services import require_service


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


@pytest.mark.redis
def test_redis_connections_are_bounded_and_the_next_caller_waits_for_one():
    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    import threading

    import redis
    from django_redis import get_redis_connection

    pool = get_redis_connection("default").connection_pool
    assert isinstance(pool, redis.BlockingConnectionPool)
    assert (pool.max_connections, pool.timeout) == (64, 10.0)
    # All 64 in use: one more caller waits (redis-py's default pool would raise "Too many
    # connections" at once, a 500 for the request) and gets the first one given back.
    taken = [pool.get_connection() for _ in range(64)]
    got = []
    waiter = threading.Thread(target=lambda: got.append(pool.get_connection()))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not got
    pool.release(taken.pop())
    waiter.join(5)
    assert len(got) == 1
    for borrowed in [*taken, *got]:
        pool.release(borrowed)
