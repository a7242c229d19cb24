"""The site's WSGI app under pyinstrument, for the profile step of the benchmark.

Every request is profiled on its own (the profile step sends two at a time, so each gevent
worker mostly runs one, and the samples are that request's) and the sessions are merged per
worker process; at exit each worker writes its merged session to
``$BENCH_PROFILE_DIR/<pid>.json``, which ``bench/profile.py`` combines and summarises.
Wall-clock time: waiting on PostgreSQL or TikTok shows up where it happens.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pyinstrument import Profiler
from pyinstrument.session import Session

from cms_site.wsgi import application as site

OUT_DIR = Path(os.environ["BENCH_PROFILE_DIR"])
RECORDING = OUT_DIR / "recording"  # created by bench/profile.py once the warm-up is over
_lock = threading.Lock()
_sessions: list[Session] = []


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if not RECORDING.exists():  # warm-up: first-request imports and connections are not sampled
        return site(environ, start_response)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        body = site(environ, start_response)
        return [b"".join(body)]  # the body is built inside the profile
    finally:
        session = profiler.stop()
        with _lock:
            _sessions.append(session)


@atexit.register
def _write() -> None:
    if not _sessions:
        return
    sessions = list(_sessions)
    while len(sessions) > 1:  # pairwise, so merging stays O(n log n)
        pairs = [sessions[i : i + 2] for i in range(0, len(sessions), 2)]
        sessions = [Session.combine(*pair) if len(pair) == 2 else pair[0] for pair in pairs]
    sessions[0].save(str(OUT_DIR / f"{os.getpid()}.json"))
