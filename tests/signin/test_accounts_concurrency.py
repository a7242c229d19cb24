"""Two first sign-ins of the same TikTok user at the same moment create exactly one user.

This needs a database with real concurrent transactions, so it runs on PostgreSQL (skipped
locally without DATABASE_URL, a failure in CI).
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tests.support.concurrency import run_at_once
from tests.support.services import require_service
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.models import TikTokAccount
from tiktok_mobile_auth.signin import accounts
from tiktok_mobile_auth.tiktok import TikTokProfile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")


def test_concurrent_first_sign_ins_create_one_user_and_both_succeed(monkeypatch):
    profile = TikTokProfile("open-race", "union-race", "Racer", "https://cdn.example/r.jpg")
    config = get_config()
    threads_count = 4
    barrier = threading.Barrier(threads_count, timeout=10)
    original_find = accounts._find
    seen_missing: set[int] = set()

    def find_then_wait(union_id, config):
        # Every thread looks the account up, finds nothing, and only then do they all go
        # on to create it: the race the unique constraint and the retry must settle.
        account = original_find(union_id, config)
        if account is None and threading.get_ident() not in seen_missing:
            seen_missing.add(threading.get_ident())
            barrier.wait()
        return account

    monkeypatch.setattr(accounts, "_find", find_then_wait)
    results = run_at_once(
        lambda: accounts.sign_in(profile, scopes=(), config=config), threads_count
    )

    assert all(isinstance(r, accounts.SignIn) for r in results), results
    assert len({r.user.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert get_user_model().objects.count() == 1
    assert TikTokAccount.objects.count() == 1
