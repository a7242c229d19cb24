"""The private library API the plugin relies on (storage/internals.py) still does what the
plugin assumes: each test fails when Django (5.2.19 when checked) changes under it."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction

from tests.support.services import require_service
from tiktok_mobile_auth.models import RateCounter, TikTokAccount
from tiktok_mobile_auth.storage import internals

User = get_user_model()
PLACEHOLDER = "\x00placeholder\x00"


@pytest.fixture
def alice() -> TikTokAccount:
    user = User.objects.create_user("alice", is_active=False)
    return TikTokAccount.objects.create(
        user=user,
        union_id="union-alice",
        open_id="open-alice",
        profile={"follower_count": 3},
        deauthorized_at=datetime(2026, 1, 2, 3, 4, 5).astimezone(),
    )


def columns_query(union_id: str):
    # Columns that need the fields' converters on some database: JSON, aware datetimes,
    # booleans across a join (SQLite answers text and 0/1).
    return TikTokAccount.objects.filter(union_id=union_id).values_list(
        "union_id", "profile", "deauthorized_at", "created_at", "user__is_active", "user__username"
    )


@pytest.mark.django_db
def test_a_precompiled_query_reads_a_row_exactly_as_the_orm(alice):
    precompiled = internals.precompile(columns_query(PLACEHOLDER), "default", PLACEHOLDER)
    assert PLACEHOLDER not in precompiled.sql  # a parameter, never in the text
    values = precompiled.fetch_one(connection, "union-alice")
    assert values == list(columns_query("union-alice").get())
    assert values[1] == {"follower_count": 3} and values[4] is False


@pytest.mark.django_db
def test_a_precompiled_query_runs_again_with_another_value(alice, django_assert_num_queries):
    precompiled = internals.precompile(columns_query(PLACEHOLDER), "default", PLACEHOLDER)
    with django_assert_num_queries(2):
        assert precompiled.fetch_one(connection, "union-bob") is None
        assert precompiled.fetch_one(connection, "union-alice")[0] == "union-alice"


def test_a_placeholder_missing_from_the_parameters_is_refused():
    with pytest.raises(ValueError):
        internals.precompile(columns_query("union-alice"), "default", PLACEHOLDER)


@pytest.mark.django_db
def test_a_test_cases_own_transaction_is_not_a_callers():
    # Django's mark that atomic(durable=True) reads too.
    assert connection.atomic_blocks[-1]._from_testcase is True
    assert internals.in_callers_transaction(connection) is False
    with transaction.atomic():
        assert internals.in_callers_transaction(connection) is True


@pytest.mark.django_db(transaction=True)
def test_outside_a_test_case_any_atomic_block_is_a_callers():
    assert internals.in_callers_transaction(connection) is False
    with transaction.atomic():
        assert internals.in_callers_transaction(connection) is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_side_connection_commits_on_its_own():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    with pytest.raises(RuntimeError), transaction.atomic():
        RateCounter.objects.create(key="callers", count=1, expires_at=datetime.now().astimezone())
        side = internals.side_connection(connection)
        assert side is not connection and side.alias == connection.alias
        try:
            with side.cursor() as cursor:
                table = RateCounter._meta.db_table
                cursor.execute(
                    f"INSERT INTO {table} (key, count, expires_at) VALUES ('side', 1, now())"  # noqa: S608
                )
        finally:
            side.close()
        raise RuntimeError("the caller's transaction is rolled back")
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["side"]


@pytest.mark.redis
def test_djangos_redis_cache_lends_its_redis_py_client(settings):
    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    client = internals.redis_cache_client(cache)
    client.set(cache.make_key("internals-check"), 7, ex=60)
    assert cache.get("internals-check") == 7  # the same server, keys and integer encoding
    assert client.incr(cache.make_key("internals-check")) == 8
    cache.delete("internals-check")
