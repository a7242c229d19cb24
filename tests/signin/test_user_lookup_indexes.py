"""The user-table indexes of migration 0010: the first sign-in's two user lookups (is the
pseudo-email taken? is the username free?) must be index lookups on PostgreSQL, or a site
with a million users scans its whole user table on every first sign-in."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.support.services import require_service
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.signin import accounts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _plan(sql: str) -> str:
    """PostgreSQL's plan for ``sql`` when it may use any index (the tables are small in a
    test, so the planner would rightly prefer a scan: sequential scans are turned off)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _queries_of(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


def test_the_indexes_are_on_the_user_table():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'auth_user' "
            "AND indexname LIKE 'tma_%%' ORDER BY indexname"
        )
        rows = cursor.fetchall()
    assert [name for name, _ in rows] == ["tma_user_upper_email", "tma_user_upper_username"]
    assert "upper((email)::text)" in rows[0][1]
    assert "upper((username)::text)" in rows[1][1]


def test_the_pseudo_email_check_is_an_index_lookup():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    config = get_config()
    email = accounts.email_for("union-big", config)
    [sql] = _queries_of(lambda: accounts._email_taken(email, config))
    assert "tma_user_upper_email" in _plan(sql)


def test_the_free_username_check_is_an_index_lookup():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    [sql] = _queries_of(lambda: accounts._free_username("alice"))
    assert "tma_user_upper_username" in _plan(sql)
