"""Fewer waits on the database: a pooled connection goes back to the pool before the site
waits on TikTok, and a sign-in's writes travel (and commit) together.

PostgreSQL only (the pool and the pipeline are psycopg's): skipped locally without
DATABASE_URL, a failure in CI.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from tests.support.replies import USER_INFO_URL, user_info_reply
from tests.support.services import require_service
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.models import SignInEvent
from tiktok_mobile_auth.storage.round_trips import insert_without_returning, one_round_trip
from tiktok_mobile_auth.tiktok import TikTokClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")


def borrowed() -> int:
    """Connections of the pool lent out right now."""
    stats = connection.pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


def query() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_the_connection_is_given_back_before_the_tiktok_call(tiktok_http):
    query()
    assert connection.connection is not None and borrowed() == 1
    held_during_call = []

    def note_borrowed(request):  # a responses matcher: runs while TikTok "answers"
        held_during_call.append(borrowed())
        return True, ""

    tiktok_http.get(USER_INFO_URL, json=user_info_reply(), match=[note_borrowed])
    TikTokClient(get_config()).get_user_info("act.x", fields=("open_id", "union_id"))
    assert held_during_call == [0]  # nothing borrowed while TikTok answered
    assert connection.connection is None
    query()  # the next query simply borrows one again
    assert borrowed() == 1


def test_a_connection_inside_a_transaction_is_kept(tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    with transaction.atomic():
        query()
        kept = connection.connection
        TikTokClient(get_config()).get_user_info("act.x", fields=("open_id", "union_id"))
        assert connection.connection is kept and borrowed() == 1


def other_session_sees(union_id: str) -> bool:
    """Whether a separate connection (another request) can see the record yet."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
    ) as other:
        query = "SELECT count(*) FROM tiktok_mobile_auth_signinevent WHERE union_id = %s"
        return other.execute(query, [union_id]).fetchone()[0] > 0


def record(union_id: str) -> SignInEvent:
    return SignInEvent(union_id=union_id, outcome=SignInEvent.SUCCESS, code="signed_in")


def test_writes_in_one_round_trip_travel_and_commit_together():
    with one_round_trip():
        insert_without_returning(record("union-batched"))
        # Sent with what follows, not on its own: nobody can see it yet.
        assert not other_session_sees("union-batched")
        query()  # a statement whose result is read: the batch goes now
    assert other_session_sees("union-batched")
    stored = SignInEvent.objects.get(union_id="union-batched")
    assert stored.created_at is not None  # auto_now_add applied without save()


def test_when_a_later_statement_fails_the_earlier_write_is_not_kept():
    with pytest.raises(DatabaseError), one_round_trip():
        insert_without_returning(record("union-doomed"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
    assert not SignInEvent.objects.filter(union_id="union-doomed").exists()
    query()  # and the connection is usable again


def test_a_record_inserted_without_returning_keeps_no_id():
    row = record("union-no-id")
    insert_without_returning(row)
    assert row.pk is None
    assert SignInEvent.objects.filter(union_id="union-no-id").count() == 1


def test_a_tiktok_call_inside_a_round_trip_keeps_the_batching_connection(tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    with one_round_trip():
        kept = connection.connection
        insert_without_returning(record("union-receiver-calls-tiktok"))
        TikTokClient(get_config()).get_user_info("act.x", fields=("open_id", "union_id"))
        assert connection.connection is kept  # not handed back mid-batch
    assert SignInEvent.objects.filter(union_id="union-receiver-calls-tiktok").exists()
