"""Login attempts, in both stores: single use, expiry, hashing, pruning and the race.

``cache`` is the test settings' cache: LocMemCache locally, Redis when REDIS_URL is set (as
in CI), so the Redis path runs there. The database race needs PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from tests.support.api import configure
from tests.support.concurrency import run_at_once
from tests.support.services import require_service
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.exceptions import InvalidState, SpentState, UnknownState
from tiktok_mobile_auth.models import LoginAttempt
from tiktok_mobile_auth.signin import attempts
from tiktok_mobile_auth.storage import records

pytestmark = pytest.mark.django_db
VERIFIER = "v" * 64


@pytest.fixture
def config(storage_config):
    return storage_config


def test_an_attempt_is_consumed_once(config):
    state = attempts.start("app-1", VERIFIER, config)
    attempt = attempts.consume(state, config)
    assert (attempt.app_state, attempt.code_verifier) == ("app-1", VERIFIER)
    with pytest.raises(SpentState):
        attempts.consume(state, config)


def test_an_empty_app_state_comes_back_as_none(config):
    state = attempts.start(None, VERIFIER, config)
    assert attempts.consume(state, config).app_state is None


@pytest.mark.parametrize("state", [None, "", "never-issued"])
def test_a_state_never_issued_is_unknown(config, state):
    attempts.start("app-1", VERIFIER, config)
    with pytest.raises(UnknownState):
        attempts.consume(state, config)


def test_an_expired_attempt_is_spent_not_unknown(config, clock):
    state = attempts.start("app-1", VERIFIER, config)
    clock(config.login_attempt_ttl + 1)
    with pytest.raises(SpentState):
        attempts.consume(state, config)


def test_both_errors_are_invalid_state_for_the_app():
    assert issubclass(UnknownState, InvalidState) and issubclass(SpentState, InvalidState)
    assert UnknownState().code == SpentState().code == "invalid_state"


def test_the_verifier_is_kept_out_of_reprs(config):
    state = attempts.start("app-1", VERIFIER, config)
    assert VERIFIER not in repr(attempts.consume(state, config))


def test_the_cache_keeps_only_a_hash_of_the_state(settings):
    configure(settings, STORAGE="cache")
    config = get_config()
    state = attempts.start("app-1", VERIFIER, config)
    stored = cache.get(f"tiktok_mobile_auth:attempt:{records.digest(state)}")
    assert stored["app_state"] == "app-1"
    assert state not in str(stored)
    if hasattr(cache, "_cache"):  # LocMemCache: no key holds the state itself
        assert not any(state in key for key in cache._cache)


def test_expired_rows_are_pruned_by_a_later_attempt(settings, clock):
    configure(settings, STORAGE="database")
    config = get_config()
    attempts.start("old", VERIFIER, config)
    clock(config.login_attempt_ttl + 30)
    attempts.start("recent-but-expired-is-kept-for-an-hour", VERIFIER, config)
    assert LoginAttempt.objects.count() == 2
    clock(attempts.KEEP_SPENT.total_seconds())
    attempts.start("new", VERIFIER, config)
    assert sorted(LoginAttempt.objects.values_list("app_state", flat=True)) == [
        "new",
        "recent-but-expired-is-kept-for-an-hour",
    ]


def test_auto_storage_is_the_database_unless_the_cache_is_redis(settings):
    configure(settings, STORAGE="auto")
    auto = get_config()
    configure(settings, STORAGE="nonsense")  # reported by a system check; behaves as auto
    nonsense = get_config()
    backend = settings.CACHES["default"]["BACKEND"]
    assert records.uses_cache(auto) is ("redis" in backend.lower())
    # Only the setting is read (no cache is used here): the configs were read before.
    for redis in ("django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"):
        settings.CACHES = {"default": {"BACKEND": redis, "LOCATION": "redis://unused"}}
        assert records.uses_cache(auto) is True
        assert records.uses_cache(nonsense) is True


def _race(state: str, config, threads_count: int = 8) -> list[object]:
    """``threads_count`` threads consume ``state`` at the same moment."""
    return run_at_once(
        lambda: attempts.consume(state, config), threads_count, errors=(InvalidState,)
    )


def test_racing_consumers_of_the_cache_store_let_exactly_one_through(settings):
    configure(settings, STORAGE="cache")
    config = get_config()
    results = _race(attempts.start("app-1", VERIFIER, config), config)
    assert len(results) == 8
    assert sum(isinstance(r, attempts.Attempt) for r in results) == 1
    assert all(isinstance(r, SpentState) for r in results if not isinstance(r, attempts.Attempt))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_consumers_of_the_database_store_let_exactly_one_through(settings):
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    configure(settings, STORAGE="database")
    config = get_config()
    results = _race(attempts.start("app-1", VERIFIER, config), config)
    assert len(results) == 8
    assert sum(isinstance(r, attempts.Attempt) for r in results) == 1
    assert LoginAttempt.objects.get().used_at is not None
