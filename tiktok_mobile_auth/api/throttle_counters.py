"""The throttle's counters: one atomic increment per request, seen by every worker process.

A counter is a window's request count for one scope, rate and client (:class:`Window`).
Where it lives is decided at each request by
:func:`tiktok_mobile_auth.storage.records.default_cache_is_redis`, the one test the plugin
uses for "is there Redis":

- **Redis** (the default cache is django-redis or Django's own ``RedisCache``): ``SET NX EX``
  gives a window's key its expiry when the window starts, ``INCR`` counts and ``GET`` reads the
  previous window, in one pipelined round trip. Redis runs each command atomically.
- **The database** otherwise (:class:`~tiktok_mobile_auth.models.RateCounter`, a row per
  window): ``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count``,
  with the previous window's count read by the same statement. PostgreSQL and SQLite (3.35 or
  later) run the upsert atomically, so no concurrent request is lost, whatever the number of
  worker processes or instances. When a window's row is created, rows no longer read are
  deleted (at most :data:`PURGE_BATCH` per statement), so no cron job is needed.

Any other cache never holds a counter: the file cache's ``incr`` is a read-modify-write that
loses concurrent counts, and it culls entries past ``MAX_ENTRIES`` (300 by default), so a
client rotating addresses could push its own counters out; ``LocMemCache`` is per process;
Memcached evicts under memory pressure. A database row is neither lost nor evicted.

The database statements run in autocommit, each its own transaction, and never in the
caller's: a counter written in a request's transaction would be rolled back with it (DRF rolls
back ``ATOMIC_REQUESTS`` transactions on every error answer, so bad requests would go
uncounted), and on PostgreSQL would hold the row's lock, which every concurrent request of
the client waits for, until the request ends. Inside a transaction, the counter borrows a
connection of its own for the statement. (On SQLite an open transaction can hold the whole
database's write lock: there, serve the plugin's views outside ``ATOMIC_REQUESTS``.)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from tiktok_mobile_auth.models import RateCounter
from tiktok_mobile_auth.storage import internals
from tiktok_mobile_auth.storage.records import CACHE_PREFIX, default_cache_is_redis

PURGE_BATCH = 1000  # rows of ended windows deleted per statement: bounds its time and locks


@dataclass(frozen=True)
class Window:
    """One fixed window of one counter: ``counter`` names the scope, the rate and the client
    (``"connect:120/60:198.51.100.7"``), ``number`` is ``floor(time / period)``."""

    counter: str
    number: int
    period: int

    @property
    def key(self) -> str:
        return f"{self.counter}:{self.number}"

    @property
    def previous_key(self) -> str:
        return f"{self.counter}:{self.number - 1}"

    @property
    def expires_at(self) -> float:
        """The end of the next window, the last one that reads this count (as its previous)."""
        return float((self.number + 2) * self.period)


def count(window: Window, now: float) -> tuple[int, int]:
    """Add one to ``window``'s counter; return its new count and the previous window's count.

    ``now`` is the time (epoch seconds) the throttle placed the request in the window at.
    Raises the store's error (Django's ``DatabaseError``, redis-py's ``RedisError``) when it
    is out of reach: the views answer 503, never letting a request through uncounted.
    """
    redis = _redis_client()
    if redis is not None:
        return _count_on_redis(redis, window, now)
    return _count_in_database(window, now)


def uncount(window: Window) -> None:
    """Take one back from ``window``'s counter: a refused request does not count."""
    if _redis_client() is not None:
        with suppress(ValueError):  # expired or evicted meanwhile: nothing to take back
            cache.decr(_cache_key(window.key))
        return
    with _autocommit_cursor() as (connection, cursor):
        cursor.execute(_statements(connection).uncount, [window.key])


# -- Redis ----------------------------------------------------------------------------------


def _redis_client() -> Any:
    """The raw client behind the default cache when it is Redis, else None."""
    if not default_cache_is_redis():
        return None
    default = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(default, RedisCache):  # Django's own keeps its client private
        return internals.redis_cache_client(default)
    from django_redis import get_redis_connection  # the only other Redis cache we accept

    return get_redis_connection(DEFAULT_CACHE_ALIAS, write=True)


def _cache_key(key: str) -> str:
    return f"{CACHE_PREFIX}throttle:{key}"


def _count_on_redis(redis: Any, window: Window, now: float) -> tuple[int, int]:
    key = cache.make_key(_cache_key(window.key))
    pipe = redis.pipeline(transaction=False)
    pipe.set(key, 0, ex=max(1, math.ceil(window.expires_at - now)), nx=True)
    pipe.incr(key)
    pipe.get(cache.make_key(_cache_key(window.previous_key)))
    _created, count_, previous = pipe.execute()
    return int(count_), int(previous or 0)


# -- the database -----------------------------------------------------------------------------


def _count_in_database(window: Window, now: float) -> tuple[int, int]:
    with _autocommit_cursor() as (connection, cursor):
        expires_at = _datetime(connection, window.expires_at)
        sql = _statements(connection)
        cursor.execute(sql.count, [window.key, expires_at, window.previous_key])
        count_now, previous = cursor.fetchone()
        if count_now == 1:  # the window's first request: the moment to drop ended windows
            cursor.execute(sql.purge, [_datetime(connection, now)])
    return count_now, previous or 0


@dataclass(frozen=True)
class _Statements:
    count: str  # params: key, expires_at, previous key -> (count, previous count or NULL)
    uncount: str  # params: key
    purge: str  # params: now; deletes up to PURGE_BATCH rows of windows nobody reads any more


_BUILT: dict[str, _Statements] = {}


def _statements(connection: BaseDatabaseWrapper) -> _Statements:
    """The counter's SQL for ``connection``'s database. Only names from RateCounter's
    ``_meta``, quoted, and a constant go into the text; every value is a parameter."""
    built = _BUILT.get(connection.vendor)
    if built is not None:
        return built
    quote, meta = connection.ops.quote_name, RateCounter._meta
    table = quote(meta.db_table)
    key, n, expires = (quote(meta.get_field(f).column) for f in ("key", "count", "expires_at"))
    # Two purges at once on PostgreSQL could lock the same rows in different orders (a
    # deadlock); SKIP LOCKED leaves the rows one purge holds to it.
    skip = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    built = _BUILT[connection.vendor] = _Statements(
        count=f"INSERT INTO {table} ({key}, {n}, {expires}) VALUES (%s, 1, %s) "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {n} = {table}.{n} + 1 "
        f"RETURNING {n}, (SELECT p.{n} FROM {table} p WHERE p.{key} = %s)",
        uncount=f"UPDATE {table} SET {n} = {n} - 1 WHERE {key} = %s AND {n} > 0",  # noqa: S608
        purge=f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} "  # noqa: S608
        f"WHERE {expires} < %s LIMIT {PURGE_BATCH}{skip})",
    )
    return built


@contextmanager
def _autocommit_cursor() -> Iterator[tuple[BaseDatabaseWrapper, Any]]:
    """A cursor whose every statement commits on its own: on the request's connection, or on
    a connection of its own while the caller is inside a transaction."""
    connection = connections[router.db_for_write(RateCounter)]
    if not internals.in_callers_transaction(connection):
        with connection.cursor() as cursor:
            yield connection, cursor
        return
    side = internals.side_connection(connection)  # on PostgreSQL, from the same pool
    try:
        with side.cursor() as cursor:
            yield side, cursor
    finally:
        side.close()


def _datetime(connection: BaseDatabaseWrapper, epoch: float) -> Any:
    """``epoch`` as the database stores an ``expires_at`` (as the ORM would write it)."""
    value = datetime.fromtimestamp(epoch, tz=UTC)
    if not settings.USE_TZ:
        value = timezone.make_naive(value)
    return connection.ops.adapt_datetimefield_value(value)
