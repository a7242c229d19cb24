"""Fewer waits on the database: a pooled connection goes back to the pool before the site
waits on TikTok (the sign-in layer's client, signin/tiktok_calls.py), unless it is in a
transaction.

PostgreSQL only (the pool is psycopg's): skipped locally without DATABASE_URL, a failure in
CI. TikTok is the fake, except in the first test: it looks at the pool while TikTok is
answering, from a ``responses`` matcher (the fake runs no code of the test's mid-request).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tests.support.replies import USER_INFO_URL, user_info_reply
from tests.support.services import require_service
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.signin.tiktok_calls import tiktok_client
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
    tiktok_client(get_config()).get_user_info("act.x", fields=("open_id", "union_id"))
    assert held_during_call == [0]  # nothing borrowed while TikTok answered
    assert connection.connection is None
    query()  # the next query simply borrows one again
    assert borrowed() == 1


def test_a_connection_inside_a_transaction_is_kept(tiktok):
    token = tiktok.mint_token("open-alice")
    with transaction.atomic():
        query()
        kept = connection.connection
        tiktok_client(get_config()).get_user_info(token, fields=("open_id", "union_id"))
        assert connection.connection is kept and borrowed() == 1


def test_the_bare_client_leaves_connections_alone(tiktok):
    # The TikTok client knows nothing of the database: only the sign-in layer's hook acts.
    token = tiktok.mint_token("open-alice")
    query()
    kept = connection.connection
    TikTokClient(get_config()).get_user_info(token, fields=("open_id", "union_id"))
    assert connection.connection is kept and borrowed() == 1
