"""The throttle's counters (api/throttle_counters.py): Redis when the default cache is Redis,
else a database row per window, incremented atomically; never another cache.

The database tests force a local-memory cache (``database_counter``), so they run in both CI
passes: on SQLite first, then on PostgreSQL (where the tests with threads run too). The
Redis tests need ``REDIS_URL``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django_redis import get_redis_connection

from tests.support.api import configure
from tests.support.concurrency import run_at_once
from tests.support.services import require_service
from tiktok_mobile_auth.api import throttle_counters as counters
from tiktok_mobile_auth.api import throttles
from tiktok_mobile_auth.api.throttle_counters import Window
from tiktok_mobile_auth.api.throttles import PluginRateThrottle
from tiktok_mobile_auth.models import RateCounter

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
THREADS = 32


@pytest.fixture
def database_counter(settings):
    """Counters in the database, even where the test settings use Redis (CI's second pass)."""
    settings.CACHES = LOCMEM


@pytest.fixture
def frozen_time(monkeypatch):
    """The throttle's clock stopped 10 s into a window (of a minute and of an hour), so no
    test depends on where in a window it happens to run."""
    monkeypatch.setattr(throttles.time, "time", lambda: 3600 * 1667 + 10.0)


@pytest.fixture
def redis_counter():
    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))


def rows() -> dict[str, int]:
    return dict(RateCounter.objects.values_list("key", "count"))


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def window(number: int = 100, counter: str = "connect:5/60:198.51.100.7") -> Window:
    return Window(counter, number, 60)


def test_a_window_is_read_until_the_end_of_the_next_one():
    assert window(100).key == "connect:5/60:198.51.100.7:100"
    assert window(100).previous_key == "connect:5/60:198.51.100.7:99"
    assert window(100).expires_at == 102 * 60


# -- the database -----------------------------------------------------------------------------


def test_the_database_counter_counts_and_reads_the_previous_window(database_counter):
    assert counters.count(window(100), 6000.0) == (1, 0)
    assert counters.count(window(100), 6001.0) == (2, 0)
    assert counters.count(window(101), 6060.0) == (1, 2)
    assert rows() == {window(100).key: 2, window(101).key: 1}
    assert RateCounter.objects.get(key=window(101).key).expires_at == at(103 * 60)


def test_uncount_takes_one_back_and_never_below_zero(database_counter):
    counters.count(window(), 6000.0)
    counters.count(window(), 6000.0)
    counters.uncount(window())
    assert rows() == {window().key: 1}
    counters.uncount(window())
    counters.uncount(window())
    assert rows() == {window().key: 0}


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_any_cache_but_redis_leaves_the_counting_to_the_database(settings, tmp_path, backend):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    assert counters.count(window(), 6000.0) == (1, 0)
    assert rows() == {window().key: 1}
    assert not cache.has_key(f"tiktok_mobile_auth:throttle:{window().key}")


def test_rows_of_ended_windows_are_deleted_when_a_window_starts(database_counter):
    counters.count(window(100), 6000.0)
    counters.count(window(101), 6060.0)
    counters.count(window(101, "connect:5/60:198.51.100.8"), 6061.0)
    # In window 102, window 100 has ended (nothing reads it any more); 101 is the previous.
    counters.count(window(102), 102 * 60 + 1.0)
    assert rows() == {
        window(101).key: 1,
        window(101, "connect:5/60:198.51.100.8").key: 1,
        window(102).key: 1,
    }


def test_only_a_window_start_deletes_and_each_delete_is_bounded(database_counter):
    ended = [
        RateCounter(key=f"old:{n}", count=1, expires_at=at(6000.0))
        for n in range(counters.PURGE_BATCH + 5)
    ]
    RateCounter.objects.bulk_create(ended)
    counters.count(window(100), 6000.0)  # starts a window, but nothing ended before 6000
    assert len(rows()) == len(ended) + 1
    counters.count(window(200), 12_001.0)  # starts another one after they ended
    assert len(rows()) == 5 + 2  # one batch deleted, the rest left to the next window start
    counters.count(window(200), 12_002.0)  # not a window start: no delete
    assert len(rows()) == 5 + 2


def test_a_request_costs_one_statement_and_a_window_start_or_refusal_one_more(
    frozen_time, database_counter, settings, rf, django_assert_num_queries
):
    configure(settings, THROTTLE_RATES={"logout": "2/min"})
    throttle = PluginRateThrottle("logout")
    throttle.allow_request(rf.post("/"))  # the configuration is read and cached once
    with django_assert_num_queries(1):
        assert throttle.allow_request(rf.post("/"))  # the upsert, with the previous read
    with django_assert_num_queries(2):
        assert not throttle.allow_request(rf.post("/"))  # the upsert, then the take-back


def test_refused_requests_leave_the_row_at_the_limit(frozen_time, database_counter, settings, rf):
    configure(settings, THROTTLE_RATES={"logout": "2/min"})
    allowed = [PluginRateThrottle("logout").allow_request(rf.post("/")) for _ in range(6)]
    assert allowed == [True, True, False, False, False, False]
    assert list(rows().values()) == [2]


def test_culling_the_file_cache_cannot_reset_a_limit(frozen_time, settings, tmp_path, rf):
    # The demo site's default cache, which culls entries past 300: an attacker filling it
    # (from other addresses, or through other keys) once dropped the counters with the rest.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    configure(settings, THROTTLE_RATES={"logout": "2/min"})
    assert PluginRateThrottle("logout").allow_request(rf.post("/"))
    assert PluginRateThrottle("logout").allow_request(rf.post("/"))
    for n in range(1000):
        cache.set(f"filler:{n}", n)
    assert len(list(tmp_path.iterdir())) <= 300  # the cache did cull
    assert not PluginRateThrottle("logout").allow_request(rf.post("/"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_counter_commits_outside_the_callers_transaction(database_counter):
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    other = connection.copy()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert counters.count(window(), 6000.0) == (1, 0)
        # Already committed (so no row lock is held while the caller's transaction goes on):
        with other.cursor() as cursor:
            cursor.execute("SELECT count FROM tiktok_mobile_auth_ratecounter")
            assert cursor.fetchall() == [(1,)]
        raise RuntimeError("the caller's work fails and its transaction is rolled back")
    other.close()
    assert rows() == {window().key: 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_counting_at_once_lose_nothing_on_postgresql(database_counter):
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    results = run_at_once(lambda: counters.count(window(), 6000.0), THREADS)
    assert sorted(results) == [(n, 0) for n in range(1, THREADS + 1)]
    assert rows() == {window().key: THREADS}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_over_the_limit_let_exactly_the_limit_through_on_postgresql(
    frozen_time, database_counter, settings, rf
):
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    configure(settings, THROTTLE_RATES={"connect": "10/hour"})
    results = run_at_once(lambda: PluginRateThrottle("connect").allow_request(rf.post("/")), 32)
    assert sorted(results) == [False] * 22 + [True] * 10
    assert list(rows().values()) == [10]  # the refused 22 were taken back


# -- Redis ----------------------------------------------------------------------------------


@pytest.mark.redis
def test_on_redis_a_request_is_one_round_trip_and_nothing_touches_the_database(
    redis_counter, monkeypatch, django_assert_num_queries
):
    redis = get_redis_connection("default")
    cache.set(f"tiktok_mobile_auth:throttle:{window(99).key}", 5)  # the previous window
    pipelines = []
    original = type(redis).pipeline

    def watched_pipeline(self, *args, **kwargs):
        pipelines.append(original(self, *args, **kwargs))
        return pipelines[-1]

    monkeypatch.setattr(type(redis), "pipeline", watched_pipeline)
    with django_assert_num_queries(0):
        assert counters.count(window(100), 6000.0) == (1, 5)
        assert counters.count(window(100), 6030.0) == (2, 5)
        counters.uncount(window(100))
    assert len(pipelines) == 2  # one pipeline (one round trip) per count
    key = cache.make_key(f"tiktok_mobile_auth:throttle:{window(100).key}")
    assert 0 < redis.ttl(key) <= 120  # set when the window started: it ends at 102 * 60
    assert int(redis.get(key)) == 1
    assert rows() == {}


@pytest.mark.redis
def test_on_redis_threads_over_the_limit_let_exactly_the_limit_through(
    frozen_time, redis_counter, settings, rf
):
    configure(settings, THROTTLE_RATES={"connect": "10/hour"})
    results = run_at_once(lambda: PluginRateThrottle("connect").allow_request(rf.post("/")), 32)
    assert sorted(results) == [False] * 22 + [True] * 10
    redis = get_redis_connection("default")
    [key] = redis.keys("*tiktok_mobile_auth:throttle:connect:10/3600:*")
    assert int(redis.get(key)) == 10


@pytest.mark.redis
def test_djangos_own_redis_cache_counts_in_redis_too(redis_counter, settings):
    # Its client is private (storage/internals.py; tests/storage/test_internals.py).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    assert counters.count(window(100), 6000.0) == (1, 0)
    assert counters.count(window(100), 6000.0) == (2, 0)
    counters.uncount(window(100))
    assert cache.get(f"tiktok_mobile_auth:throttle:{window(100).key}") == 1
    assert rows() == {}
