"""Throttling: per client IP, shared by every worker, 429 in the envelope.

The counters are those of the test settings: database rows (rolled back after each test)
without ``REDIS_URL``, Redis (emptied around each test, conftest.py) with it; both stores
are tested on their own in test_throttle_counters.py. Tiny rates are set per test through
the ``settings`` fixture. Two APIClient instances stand for two worker processes: all they
share is the counter store.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.support.api import BASE, configure, error_of
from tiktok_mobile_auth.api import throttles
from tiktok_mobile_auth.api.throttles import parse_rate
from tiktok_mobile_auth.conf import DEFAULTS, get_config

pytestmark = pytest.mark.django_db


def rates(settings, **values):
    configure(settings, THROTTLE_RATES=values)


def logout(client, **extra):
    return client.post(f"{BASE}/logout", {"refresh": "nope"}, format="json", **extra)


def assert_throttled(response):
    assert response.status_code == 429
    error = error_of(response)
    assert error["name"] == "RateLimitError"
    assert error["details"]["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


# -- rates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120/min", (120, 60)),
        ("5/s", (5, 1)),
        ("10/second", (10, 1)),
        ("300/hour", (300, 3600)),
        ("1000/d", (1000, 86400)),
        (" 7 / minute ", (7, 60)),
        (None, None),
        ("", None),
        ("off", None),
        ("None", None),
    ],
)
def test_parse_rate(value, expected):
    assert parse_rate(value) == expected


@pytest.mark.parametrize("value", ["fast", "0/min", "-1/min", "10/fortnight", "10", "1.5/min"])
def test_parse_rate_refuses_nonsense(value):
    with pytest.raises(ValueError):
        parse_rate(value)


def test_the_defaults_are_generous_enough_for_cgnat():
    defaults = {scope: parse_rate(rate) for scope, rate in DEFAULTS["THROTTLE_RATES"].items()}
    assert defaults == {
        "authorize": (120, 60),
        "callback": (120, 60),
        "connect": (120, 60),
        "refresh": (300, 60),
        "logout": (300, 60),
        "me": (600, 60),
        "disconnect": (120, 60),
        "webhook": (1200, 60),
    }


def test_a_partial_rates_dict_keeps_the_other_defaults(settings):
    rates(settings, connect="5/min")
    config = get_config()
    assert config.throttle_rates["connect"] == "5/min"
    assert config.throttle_rates["me"] == "600/min"


def test_an_invalid_rate_falls_back_to_the_default_and_is_logged(settings, api, caplog):
    rates(settings, logout="lots")
    assert throttles.rate_for("logout", get_config()) == (300, 60)
    assert logout(api).status_code == 401
    assert "'lots'" in caplog.text


# -- the endpoints ----------------------------------------------------------------------


def test_over_the_limit_is_429_in_the_envelope_with_retry_after(settings, api):
    rates(settings, logout="3/min")
    assert [logout(api).status_code for _ in range(3)] == [401, 401, 401]
    assert_throttled(logout(api))


def test_two_workers_share_one_count(settings):
    rates(settings, logout="4/min")
    worker_a, worker_b = APIClient(), APIClient()
    statuses = [logout(client).status_code for client in (worker_a, worker_b) * 2]
    assert statuses == [401] * 4
    assert_throttled(logout(worker_a))
    assert_throttled(logout(worker_b))


def test_each_client_ip_has_its_own_count(settings, api):
    rates(settings, logout="2/min")
    for _ in range(2):
        logout(api, REMOTE_ADDR="198.51.100.1")
    assert_throttled(logout(api, REMOTE_ADDR="198.51.100.1"))
    assert logout(api, REMOTE_ADDR="198.51.100.2").status_code == 401


def test_scopes_are_counted_separately(settings, api):
    rates(settings, logout="1/min")
    logout(api)
    assert_throttled(logout(api))
    refresh = api.post(f"{BASE}/token/refresh", {"refresh": "nope"}, format="json")
    assert refresh.status_code == 401


def test_a_spoofed_forwarded_for_does_not_escape_the_limit(settings, api):
    # No trusted proxies: X-Forwarded-For is the client's own text and is ignored.
    rates(settings, logout="2/min")
    for n in range(2):
        logout(api, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert_throttled(logout(api, HTTP_X_FORWARDED_FOR="203.0.113.99"))


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted(settings, api):
    configure(settings, TRUSTED_PROXIES=["10.0.0.0/8"], THROTTLE_RATES={"logout": "1/min"})
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    assert logout(api, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 401
    assert logout(api, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 401
    assert_throttled(logout(api, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7", **proxy))


def test_ipv6_clients_are_counted_per_64(settings, api):
    rates(settings, logout="2/min")
    logout(api, REMOTE_ADDR="2001:db8:1:2::1")
    logout(api, REMOTE_ADDR="2001:db8:1:2::ffff")
    assert_throttled(logout(api, REMOTE_ADDR="2001:db8:1:2:abcd::9"))
    assert logout(api, REMOTE_ADDR="2001:db8:1:3::1").status_code == 401


def test_off_disables_a_scope(settings, api):
    rates(settings, logout="off")
    assert {logout(api).status_code for _ in range(20)} == {401}


def test_refused_requests_are_not_counted(settings, api, monkeypatch):
    rates(settings, logout="2/min")
    now = [1_000_000.0]  # the start of a window
    monkeypatch.setattr(throttles.time, "time", lambda: now[0])
    logout(api)
    logout(api)
    for _ in range(5):
        assert_throttled(logout(api))
    # Two windows later nothing overlaps: exactly the limit is allowed again.
    now[0] += 120
    assert [logout(api).status_code for _ in range(3)][:2] == [401, 401]


def test_the_window_slides(settings, api, monkeypatch):
    rates(settings, logout="4/min")
    now = [6_000_000.0]  # the start of a window (a multiple of 60)
    monkeypatch.setattr(throttles.time, "time", lambda: now[0])
    for _ in range(4):
        logout(api)
    # 15 s into the next window, 3/4 of the previous one still counts: 3 + 0 < 4, one more.
    now[0] += 75
    assert logout(api).status_code == 401
    response = logout(api)
    assert_throttled(response)
    # The estimate (4 * 0.75 + 1) drops below 4 once a quarter more of it has passed.
    assert 1 <= int(response["Retry-After"]) <= 16


@pytest.mark.parametrize(
    ("path", "scope"),
    [("connect", "connect"), ("token/refresh", "refresh"), ("me", "me")],
)
def test_every_api_endpoint_is_throttled(settings, api, path, scope):
    rates(settings, **{scope: "1/min"})
    call = api.get if path == "me" else api.post
    call(f"{BASE}/{path}")
    assert_throttled(call(f"{BASE}/{path}"))


@pytest.mark.parametrize("scope", ["authorize", "callback"])
def test_the_browser_endpoints_are_throttled_too(settings, client, scope):
    rates(settings, **{scope: "1/min"})
    client.get(f"{BASE}/{scope}")
    response = client.get(f"{BASE}/{scope}")
    assert_throttled(response)
    assert "Location" not in response


def test_a_counter_is_kept_per_scope_rate_and_client(settings, api, monkeypatch):
    seen = []
    monkeypatch.setattr(
        throttles.counters, "count", lambda window, now: seen.append(window) or (1, 0)
    )
    monkeypatch.setattr(throttles.time, "time", lambda: 6_000_030.0)
    rates(settings, logout="3/min")
    logout(api, REMOTE_ADDR="198.51.100.1")
    rates(settings, logout="4/hour")
    logout(api, REMOTE_ADDR="2001:db8:1:2::1")
    assert [(w.key, w.period) for w in seen] == [
        ("logout:3/60:198.51.100.1:100000", 60),
        ("logout:4/3600:2001:db8:1:2::/64:1666", 3600),
    ]


def test_a_refused_request_is_taken_back_from_the_window_it_was_counted_in(
    settings, api, monkeypatch
):
    taken_back = []
    monkeypatch.setattr(throttles.counters, "count", lambda window, now: (3, 0))
    monkeypatch.setattr(throttles.counters, "uncount", taken_back.append)
    monkeypatch.setattr(throttles.time, "time", lambda: 6_000_030.0)
    rates(settings, logout="2/min")
    assert_throttled(logout(api))
    assert [window.key for window in taken_back] == ["logout:2/60:127.0.0.1:100000"]
