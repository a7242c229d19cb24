"""Concurrent refreshes of one account's expired TikTok token: TikTok is asked ONCE.

TikTok rotates refresh tokens, so a second refresh with the same token would fail (or, if
it raced the first, leave a dead refresh token stored). Every worker must wait on the row
lock and then use the token the first one stored. This needs real concurrent transactions,
so it runs on PostgreSQL (skipped locally without DATABASE_URL, a failure in CI).

TikTok's reply is written out with ``responses``: it is held until every other worker waits
on the lock, a condition of this test that the fake TikTok cannot wait for.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from django.contrib.auth import get_user_model
from django.db import connection

from tests.support.api import configure
from tests.support.concurrency import run_at_once, wait_until
from tests.support.replies import TOKEN_URL, token_reply
from tests.support.services import require_service
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.models import TikTokAccount, TikTokTokens
from tiktok_mobile_auth.signin import tiktok_token_store
from tiktok_mobile_auth.storage import crypto, records
from tiktok_mobile_auth.tiktok import TokenGrant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")


def test_concurrent_refreshes_call_tiktok_once_and_all_get_the_new_token(settings, tiktok_http):
    configure(settings, STORE_TOKENS=True)
    user = get_user_model().objects.create(username="racer", email="r@example.com")
    account = TikTokAccount.objects.create(user=user, union_id="union-r", open_id="open-r")
    expired = TokenGrant(
        "act.old", open_id="open-r", scopes=(), expires_in=60, refresh_token="rft.old"
    )
    tiktok_token_store.save_grant(
        account, expired, get_config(), received_at=records.now() - timedelta(hours=1)
    )

    workers = 6

    def refresh_once_the_others_wait(request):
        # Called inside the first worker's transaction, with the lock held: hold the reply
        # until the other workers are blocked on it, so none can slip in after the commit.
        assert wait_until(lambda: waiting_on_locks() == workers - 1)
        body = token_reply(access_token="act.new", refresh_token="rft.new", expires_in=7200)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    tiktok_http.add_callback(responses.POST, TOKEN_URL, callback=refresh_once_the_others_wait)
    results = run_at_once(
        lambda: tiktok_token_store.valid_access_token(account, get_config()), workers
    )

    assert results == ["act.new"] * workers
    assert len(tiktok_http.calls) == 1
    assert parse_qs(tiktok_http.calls[0].request.body)["refresh_token"] == ["rft.old"]
    row = TikTokTokens.objects.get()
    assert crypto.decrypt(row.access_token_encrypted) == "act.new"
    assert crypto.decrypt(row.refresh_token_encrypted) == "rft.new"


def waiting_on_locks() -> int:
    """How many other sessions of this test database wait for a lock (the statistics
    snapshot is cleared first: inside a transaction it would otherwise never change)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]
