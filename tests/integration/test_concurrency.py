"""The production server design (issue 5): one worker process carries many sign-ins while
they all wait on TikTok, instead of a process or thread per sign-in in flight.

The fake TikTok holds the user-info calls until every one of them has arrived (its
``together`` fault): the sign-ins succeed only if the site had them all in flight at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.integration

IN_FLIGHT = 64  # issue 5's load: 64 clients signing in against a slow TikTok


def test_one_worker_carries_64_sign_ins_waiting_on_tiktok_at_once(live_site, fake, tmp_path):
    site = live_site.sibling(
        tmp_path,
        GUNICORN_WORKERS="1",
        TIKTOK_ACCESS_TOKEN_POLICY="any",
        TIKTOK_THROTTLE_CONNECT="1000/min",
    )
    tokens = []
    for n in range(IN_FLIGHT):
        fake.add_user(open_id=f"crowd-{n}", union_id=f"union-crowd-{n}", display_name=f"C{n}")
        tokens.append(fake.mint_token(f"crowd-{n}"))
    fake.fault("userinfo", "together", count=IN_FLIGHT, seconds=30)

    def connect(token: str) -> requests.Response:
        return requests.post(site.url("connect"), json={"access_token": token}, timeout=60)

    with site.running(), ThreadPoolExecutor(IN_FLIGHT) as pool:
        replies = list(pool.map(connect, tokens))
    assert [reply.status_code for reply in replies] == [200] * IN_FLIGHT
    emails = {reply.json()["user"]["email"] for reply in replies}
    assert emails == {f"union-crowd-{n}@tiktok.com" for n in range(IN_FLIGHT)}
    assert len(fake.requests("userinfo")) == IN_FLIGHT
    assert "Using worker: gevent" in site.log()
