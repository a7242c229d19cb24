"""The fake's injected faults and its request log: what a test asks to go wrong, and what
TikTok was sent.

A mixin of :class:`~.state.State`, which owns the lock and resets ``_faults`` and ``_log``.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from tiktok_mobile_auth.testing.model import FAULT_ENDPOINTS, FAULT_KINDS, Fault


class FaultsAndLog:
    """Faults queued per endpoint, taken one occurrence at a time; requests recorded."""

    _lock: threading.Lock
    _faults: list[Fault]
    _log: deque[dict[str, Any]]

    def add_fault(self, endpoint: str, kind: str, count: int = 1, **extra: Any) -> None:
        """Queue a fault; faults for one endpoint apply in the order they were added."""
        if endpoint not in FAULT_ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(FAULT_ENDPOINTS)}")
        if kind not in FAULT_KINDS or (kind == "no_union_id" and endpoint != "userinfo"):
            raise ValueError(f"fault kind {kind!r} is not available for {endpoint}")
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        for name in ("seconds", "retry_after", "size"):
            if name in extra and not isinstance(extra[name], int | float):
                raise ValueError(f"{name} must be a number")
        barrier = None
        if kind == "together":  # all ``count`` requests must be in flight at once
            barrier = threading.Barrier(count, timeout=float(extra.get("seconds", 10)))
        with self._lock:
            self._faults.append(Fault(endpoint, kind, count, dict(extra), barrier))

    def take_fault(self, endpoint: str) -> Fault | None:
        """Use up one occurrence of the first pending fault for ``endpoint``."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint == endpoint:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    extra = copy.deepcopy(fault.extra)
                    return Fault(fault.endpoint, fault.kind, 1, extra, fault.barrier)
            return None

    def record(self, entry: Mapping[str, Any]) -> None:
        """Append one request to the log (the oldest go first once the log is full)."""
        with self._lock:
            self._log.append(copy.deepcopy(dict(entry)))

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """The recorded requests, oldest first, optionally for one endpoint only."""
        with self._lock:
            entries = [e for e in self._log if endpoint is None or e["endpoint"] == endpoint]
            return copy.deepcopy(entries)
