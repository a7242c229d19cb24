"""Every use of a library's private API in the plugin, fenced here.

The rule: the plugin uses a library's private API only where a measurement shows it pays at
least 5% of the CPU or the throughput of the requests it serves (``python -m
bench.internals`` and ``make bench``; the figures are in docs/PERFORMANCE.md, "Private
internals: what each is worth"), or where no public API can do the job at all (said so
below). Each names the version it was checked against (requirements.txt), and
``tests/storage/test_internals.py`` fails when the library changes under it. Nothing
outside this module reaches past a library's public API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

# -- Precompiled queries: Django 5.2.19 ------------------------------------------------------
# Query.get_compiler(), SQLCompiler.as_sql(), .select, .col_count and .get_converters(), as
# Django's own ValuesListIterable uses them. Pays: compiling the returning user's lookup and
# the sign-in's lock at each call is a large share of a returning sign-in's CPU
# (signin/account_lookup.py; the figures: docs/PERFORMANCE.md).


@dataclass(frozen=True)
class Precompiled:
    """A ``values_list()`` query's SQL, written by the ORM once, and how to read its rows:
    run it with one parameter replaced, get the columns converted as the ORM would."""

    sql: str
    params: tuple[Any, ...]
    placeholder_at: int  # the parameter :meth:`fetch_one` replaces
    # column position -> (converters, the column's expression), as Django's compiler has them
    converters: dict[int, tuple[Sequence[Callable[..., Any]], Any]]

    def fetch_one(self, connection: BaseDatabaseWrapper, value: Any) -> list[Any] | None:
        """The first row for ``value`` in place of the placeholder, converted, or None."""
        params = list(self.params)
        params[self.placeholder_at] = value
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for position, (converters, expression) in self.converters.items():
            for convert in converters:
                values[position] = convert(values[position], expression, connection)
        return values


def precompile(queryset: QuerySet[Any], alias: str, placeholder: Any) -> Precompiled:
    """Compile ``queryset`` (a ``values_list()`` whose filter holds ``placeholder``, a value
    that appears nowhere else among its parameters) for the database ``alias``."""
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    columns = [expression for expression, _sql, _alias in compiler.select[: compiler.col_count]]
    return Precompiled(
        sql=sql,
        params=tuple(params),
        placeholder_at=list(params).index(placeholder),
        converters=compiler.get_converters(columns),
    )


# -- Django's own RedisCache: Django 5.2.19 ---------------------------------------------------
# RedisCache._cache (its RedisCacheClient) and .get_client(write=True). Pays: the throttle
# counts in one pipelined round trip instead of cache.add + incr (which checks EXISTS first)
# + get, on every throttled request (api/throttle_counters.py; docs/PERFORMANCE.md).
# django-redis has a public way (get_redis_connection) and needs none of this.


def redis_cache_client(cache: Any) -> Any:
    """The redis-py client behind Django's ``django.core.cache.backends.redis.RedisCache``."""
    return cache._cache.get_client(write=True)


# -- A test case's transaction, and a connection of one's own: Django 5.2.19 ------------------
# BaseDatabaseWrapper.atomic_blocks, Atomic._from_testcase (as Django's atomic(durable=True)
# reads them) and BaseDatabaseWrapper.copy(). Not a speed-up: no public API tells the
# transaction TestCase wraps each test in from a caller's, or lends a second connection to
# the same database mid-transaction; the throttle's database counter needs both
# (api/throttle_counters.py: its count commits on its own, never in the caller's transaction).


def in_callers_transaction(connection: BaseDatabaseWrapper) -> bool:
    """Whether ``connection`` is inside a transaction some caller opened (a test case's own
    wrapping transaction does not count)."""
    blocks = connection.atomic_blocks
    return bool(blocks) and not getattr(blocks[-1], "_from_testcase", False)


def side_connection(connection: BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    """A new connection to ``connection``'s database (on PostgreSQL, from the same pool);
    the caller closes it."""
    return connection.copy()
