"""Deleting in batches: one bounded DELETE per batch, a bound on batches, and on PostgreSQL
no wait for a row another transaction holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.services import require_service
from tiktok_mobile_auth.models import RateCounter
from tiktok_mobile_auth.storage.batches import delete_in_batches

pytestmark = pytest.mark.django_db
PAST = datetime(2025, 1, 1, tzinfo=UTC)
FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


def counters(*keys: str, expires_at: datetime = PAST) -> None:
    RateCounter.objects.bulk_create([RateCounter(key=k, expires_at=expires_at) for k in keys])


def expired():
    return RateCounter.objects.filter(expires_at__lt=datetime(2026, 1, 1, tzinfo=UTC))


def keys() -> set[str]:
    return set(RateCounter.objects.values_list("key", flat=True))


def test_five_rows_in_batches_of_two_take_three_bounded_deletes():
    counters("a", "b", "c", "d", "e")
    counters("live", expires_at=FUTURE)
    with CaptureQueriesContext(connection) as captured:
        deleted = delete_in_batches(expired(), batch_size=2)
    deletes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3, deletes
    assert all("LIMIT 2" in sql for sql in deletes), deletes
    assert (deleted.rows, deleted.batches, deleted.finished) == (
        {"tiktok_mobile_auth.RateCounter": 5},
        3,
        True,
    )
    assert keys() == {"live"}


def test_max_batches_stops_early_and_says_so():
    counters("a", "b", "c", "d", "e")
    deleted = delete_in_batches(expired(), batch_size=2, max_batches=2)
    assert (deleted.rows["tiktok_mobile_auth.RateCounter"], deleted.finished) == (4, False)
    assert len(keys()) == 1


def test_nothing_to_delete_is_one_empty_batch():
    counters("live", expires_at=FUTURE)
    deleted = delete_in_batches(expired(), batch_size=1000)
    assert (deleted.rows, deleted.batches, deleted.finished) == (
        {"tiktok_mobile_auth.RateCounter": 0},
        1,
        True,
    )
    assert keys() == {"live"}


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="batch_size"):
        delete_in_batches(expired(), batch_size=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_another_transaction_holds_are_left_without_waiting_on_postgresql():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    counters("held-expired", "a", "b", "c")
    counters("held-live", expires_at=FUTURE)
    holder = connection.copy()
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT key FROM tiktok_mobile_auth_ratecounter WHERE key = ANY(%s) FOR UPDATE",
                [["held-expired", "held-live"]],
            )
        with connection.cursor() as cursor:
            # Waiting for a lock would fail the test at once instead of hanging it.
            cursor.execute("SET lock_timeout = '1ms'")
        deleted = delete_in_batches(expired(), batch_size=2)
        assert deleted.rows["tiktok_mobile_auth.RateCounter"] == 3
        assert keys() == {"held-expired", "held-live"}
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert delete_in_batches(expired(), batch_size=2).rows["tiktok_mobile_auth.RateCounter"] == 1
    assert keys() == {"held-live"}
