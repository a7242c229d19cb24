"""Running the same work in several threads at the same moment."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_at_once(
    work: Callable[[], Any],
    count: int,
    *,
    errors: tuple[type[BaseException], ...] = (Exception,),
) -> list[Any]:
    """Run ``work`` in ``count`` threads released at the same moment; return what each one
    returned or raised among ``errors`` (anything else ends its thread with no result).
    Each thread closes its own database connection."""
    barrier = threading.Barrier(count, timeout=10)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except errors as err:  # recorded, for the caller to assert on
            results.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds; False if it still does not after ``timeout``.

    For waiting on a state another thread reaches (e.g. blocked on a lock), where no event
    can be set: the test then depends on that state, never on how long it takes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        threading.Event().wait(0.01)
    return True
