"""A pooled database connection goes back to the pool before the site waits on TikTok.

PostgreSQL only (the pool is psycopg's): skipped locally without DATABASE_URL, a failure in CI.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.tiktok import TikTokClient

from .conftest import USER_INFO_URL, require_service, user_info_reply

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


def test_the_connection_is_given_back_before_the_tiktok_call(tiktok):
    query()
    assert connection.connection is not None and borrowed() == 1
    held_during_call = []
    tiktok.get(
        USER_INFO_URL,
        json=user_info_reply(),
        match=[lambda request: (held_during_call.append(borrowed()), (True, ""))[1]],
    )
    TikTokClient(get_config()).get_user_info("act.x", fields=("open_id", "union_id"))
    assert held_during_call == [0]  # nothing borrowed while TikTok answered
    assert connection.connection is None
    query()  # the next query simply borrows one again
    assert borrowed() == 1


def test_a_connection_inside_a_transaction_is_kept(tiktok):
    tiktok.get(USER_INFO_URL, json=user_info_reply())
    with transaction.atomic():
        query()
        kept = connection.connection
        TikTokClient(get_config()).get_user_info("act.x", fields=("open_id", "union_id"))
        assert connection.connection is kept and borrowed() == 1
