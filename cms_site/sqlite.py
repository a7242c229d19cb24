"""The embedded SQLite default, made to serve parallel requests (docs/deployment.md).

SQLite has one writer at a time. Out of the box (Django's defaults on Python's sqlite3), a
burst of sign-ins meets "database is locked" (a 503), for three reasons this fixes:

- The rollback journal: a writer waits for every reader and every reader for the writer.
  WAL lets readers read the last committed state while one writer writes.
- Django's deferred ``BEGIN``: a transaction that read first and writes later must upgrade
  its lock, and in WAL SQLite refuses that upgrade at once when another writer got in
  first (waiting could deadlock), whatever the busy timeout. ``BEGIN IMMEDIATE`` takes
  the write lock when the transaction starts, so it waits (busy timeout) instead.
- A 5 s busy timeout (Python's default): too short for a burst of 32 or more sign-ins
  queued behind one writer on a loaded machine.

A wait on the lock happens before anything is written, so a sign-in that waited writes
all of itself, or nothing when the timeout runs out; it never fails between spending a
TikTok code and recording the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ

# Long enough for a burst to drain behind one writer (each sign-in holds the write lock
# a few milliseconds), shorter than gunicorn's 30 s worker timeout, so a request that
# still cannot write gets a 503 rather than a killed worker. Under gevent the wait sleeps
# in C and holds up the worker's other greenlets, which is short because no code holds a
# write transaction while it waits on the network (docs/deployment.md).
DEFAULT_TIMEOUT = 20.0

PRAGMAS = (
    # Readers never wait for the writer nor the writer for readers; a commit appends to
    # the WAL file instead of rewriting pages in place.
    "PRAGMA journal_mode=WAL",
    # In WAL, NORMAL syncs at checkpoints, not at every commit: safe against a crash of
    # the site; a power cut can lose the last commits but never corrupts the database.
    "PRAGMA synchronous=NORMAL",
    # Keep the WAL file from staying large after a burst (bytes, 64 MiB).
    "PRAGMA journal_size_limit=67108864",
)


def sqlite_options(env: environ.Env) -> dict[str, Any]:
    """Django ``OPTIONS`` for the SQLite backend: WAL, ``BEGIN IMMEDIATE`` and a busy
    timeout of ``DJANGO_SQLITE_TIMEOUT`` seconds (default :data:`DEFAULT_TIMEOUT`)."""
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.float("DJANGO_SQLITE_TIMEOUT", default=DEFAULT_TIMEOUT),
        "init_command": "; ".join(PRAGMAS),
    }


def ensure_directory(name: str) -> None:
    """Create the directory of the SQLite file ``name`` (a path) if it is missing.

    SQLite creates a missing file but not its directory ("unable to open database file").
    Nothing is created for an in-memory database or a ``file:`` URI.
    """
    if not name or name == ":memory:" or str(name).startswith("file:"):
        return
    Path(name).parent.mkdir(parents=True, exist_ok=True)
