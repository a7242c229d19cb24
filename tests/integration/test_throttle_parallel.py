"""The throttle holds under real parallel load: 240 requests at once from one address to a
site of two gunicorn worker processes let exactly the limit through, on each counter store.

- ``database``: no Redis, so the counter is a database row per window: the site's SQLite file
  in CI's first pass, PostgreSQL in the second (PostgreSQL without Redis is a supported
  configuration too).
- ``redis``: the Redis of ``REDIS_URL`` (CI's second pass), counting with ``INCR``.

The rate is per hour, not per minute, so the assertions are exact wherever in a window the
burst falls: the sliding window gives the previous window a weight of at most a few seconds
out of 3,600, which can not add a whole request (the burst takes seconds). ``POST connect``
with an empty body is the cheapest request of the ``connect`` scope: it is counted first,
then answered 400 without a call to TikTok.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.services import require_service

pytestmark = pytest.mark.integration

LIMIT = 60
RATE = f"{LIMIT}/hour"
REQUESTS = 240
CLIENTS = 32
COUNTER = f"connect:{LIMIT}/3600:127.0.0.1:"  # the counter's key, but for the window number
DROP_ROWS = "DELETE FROM tiktok_mobile_auth_ratecounter WHERE key LIKE ? RETURNING key"
COUNTS = "SELECT count FROM tiktok_mobile_auth_ratecounter WHERE key LIKE ?"
ACCESS_LINE = re.compile(r"^<(\d+)> POST /api/tiktok-auth-mobile/connect (\d{3})$", re.MULTILINE)


def _fresh_redis_counter() -> None:
    """Drop this test's Redis counters of an earlier run within the hour."""
    import redis

    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in store.scan_iter(match=f"*tiktok_mobile_auth:throttle:{COUNTER}*"):
        store.delete(key)


def _redis_count() -> list[int]:
    import redis

    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = store.scan_iter(match=f"*tiktok_mobile_auth:throttle:{COUNTER}*")
    return [int(store.get(key)) for key in keys]


@pytest.mark.parametrize("store", ["database", pytest.param("redis", marks=pytest.mark.redis)])
def test_parallel_requests_to_two_workers_let_exactly_the_limit_through(store, live_site, tmp_path):
    env = {
        "GUNICORN_WORKERS": "2",
        "TIKTOK_THROTTLE_CONNECT": RATE,
        # Each access log line names the worker process (pid) that answered.
        "GUNICORN_CMD_ARGS": "--access-logformat '%(p)s %(m)s %(U)s %(s)s'",
    }
    if store == "redis":
        require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
        _fresh_redis_counter()
    else:
        env["REDIS_URL"] = ""  # the site's own settings: no Redis, the file cache
    site = live_site.sibling(tmp_path, **env)
    site.db.rows(DROP_ROWS, f"{COUNTER}%")  # left by an earlier run on the same database

    def connect(_: int) -> requests.Response:
        return requests.post(site.url("connect"), json={}, timeout=60)

    with site.running(), ThreadPoolExecutor(CLIENTS) as pool:
        replies = list(pool.map(connect, range(REQUESTS)))

    assert Counter(reply.status_code for reply in replies) == {400: LIMIT, 429: REQUESTS - LIMIT}
    for reply in replies:
        if reply.status_code == 429:
            assert reply.json()["error"]["details"]["code"] == "throttled"
            assert 1 <= int(reply.headers["Retry-After"]) <= 3600
    # Both worker processes answered: the limit held across processes, not within one.
    answered = ACCESS_LINE.findall(site.log())
    assert len(answered) == REQUESTS
    assert len({pid for pid, _status in answered}) == 2
    # The refused requests were taken back: the counter holds the requests let through.
    if store == "redis":
        assert _redis_count() == [LIMIT]
    else:
        assert site.db.rows(COUNTS, f"{COUNTER}%") == [(LIMIT,)]
