"""Rate limits per client IP on every public endpoint, counted atomically in a shared store.

Each endpoint has a scope (``authorize``, ``callback``, ``connect``, ``refresh``, ``logout``,
``me``, ``disconnect``, ``webhook``) whose rate comes from ``THROTTLE_RATES`` (or
``TIKTOK_THROTTLE_<SCOPE>``), read at use; ``"off"`` disables one. Why the defaults are
generous is explained next to them in :mod:`tiktok_mobile_auth.conf`. Over the limit, the
answer is 429 in the error envelope (``RateLimitError``, code ``throttled``) with
``Retry-After``.

- The client is the IP from :func:`tiktok_mobile_auth.proxies.client_ip`, which believes
  ``X-Forwarded-For`` only from ``TRUSTED_PROXIES``. IPv6 clients are counted per /64: one
  subscriber usually holds a whole /64 and could otherwise rotate addresses at will.
- How counting works on each configuration (:mod:`.throttle_counters`): with a Redis default
  cache, ``INCR`` in Redis (one pipelined round trip with the previous window's read);
  otherwise (SQLite or PostgreSQL without Redis, whatever the cache), one atomic upsert of a
  ``RateCounter`` row per window, in autocommit. Either way every worker process and every
  instance on the same store shares the counts and no concurrent request is lost, unlike
  DRF's read-modify-write ``SimpleRateThrottle``; a file, local-memory or Memcached cache
  never holds a counter, since it would lose counts or drop counters (culling, eviction).
- A counter is kept per scope, rate and client: changing a rate starts its counts afresh.
- The window slides: the count of the current fixed window plus the previous window's count,
  weighted by how much of it still overlaps the last ``period`` seconds. This avoids the
  double burst a fixed window allows at its boundary. Refused requests are not counted (the
  increment is taken back), so a client over the limit is let in again as its past requests
  age out, however hard it keeps knocking.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from tiktok_mobile_auth import error_codes as codes
from tiktok_mobile_auth.api import throttle_counters as counters
from tiktok_mobile_auth.api.errors import error_response
from tiktok_mobile_auth.api.throttle_counters import Window
from tiktok_mobile_auth.conf import DEFAULTS, TikTokConfig, get_config
from tiktok_mobile_auth.proxies import client_ip

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_OFF = ("", "off", "none")


def parse_rate(value: Any) -> tuple[int, int] | None:
    """``"120/min"`` → ``(120, 60)``; None, ``""``, ``"off"`` → None (not throttled).

    The period is a second, minute, hour or day (DRF's spelling: ``s``, ``min``, ``hour``,
    ``day``...). Raises ValueError for anything else.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in _OFF):
        return None
    number, _, period = str(value).strip().partition("/")
    count, seconds = int(number), _PERIODS.get(period.strip().lower()[:1])
    if count < 1 or seconds is None:
        raise ValueError(f"not a rate: {value!r}")
    return count, seconds


@lru_cache(maxsize=64)
def _parse_or_default(scope: str, value: Any) -> tuple[int, int] | None:
    try:
        return parse_rate(value)
    except ValueError:
        # Reported by a system check too; logged once per bad value, not per request.
        logger.error("Invalid TikTok throttle rate %r for %s; using the default.", value, scope)
        return parse_rate(DEFAULTS["THROTTLE_RATES"].get(scope))


def rate_for(scope: str, config: TikTokConfig) -> tuple[int, int] | None:
    """(requests, period in seconds) for ``scope``, or None when it is not throttled."""
    value = config.throttle_rates.get(scope)
    return _parse_or_default(scope, value if isinstance(value, str | None) else str(value))


def _ident(request: HttpRequest) -> str:
    ip = client_ip(request)
    if ip is None:
        return "unknown"
    if ":" in ip:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return ip


def _wait(limit: int, period: int, elapsed: float, counted: int, previous: int) -> float:
    """Seconds until one more request fits under the sliding estimate."""
    room = limit - counted - 1
    if room < 0 or previous <= 0:
        return period - elapsed  # the current window alone is full
    return max(0.0, period * (1 - room / previous) - elapsed)


class PluginRateThrottle(BaseThrottle):
    """The throttle of one scope (DRF views list it through ``get_throttles``)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self._wait: float | None = None

    def allow_request(self, request: HttpRequest, view: Any = None) -> bool:
        rate = rate_for(self.scope, get_config())
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        number, elapsed = divmod(now, period)
        counter = f"{self.scope}:{limit}/{period}:{_ident(request)}"
        window = Window(counter, int(number), period)
        count, previous = counters.count(window, now)
        if previous * (1 - elapsed / period) + count <= limit:
            return True
        counters.uncount(window)  # a refused request does not count
        # At least a second: Retry-After is in whole seconds, and 0 would invite a retry storm.
        self._wait = max(1.0, _wait(limit, period, elapsed, count - 1, previous))
        return False

    def wait(self) -> float | None:
        return self._wait


def throttled_response(request: HttpRequest, scope: str) -> HttpResponse | None:
    """For the plain Django views: the 429 envelope when ``request`` is over the limit."""
    throttle = PluginRateThrottle(scope)
    if throttle.allow_request(request):
        return None
    exc = Throttled(throttle.wait())
    response = error_response(codes.THROTTLED, str(exc.detail))
    response["Retry-After"] = str(exc.wait)
    return response
