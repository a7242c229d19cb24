"""Database connections are not held while waiting on TikTok.

Django keeps the connection a request borrowed from the pool until the request ends. A
sign-in that read the database before calling TikTok (a panel setting on a cold cache, a
login attempt or minted token stored in the database) would hold it through TikTok's
100-300 ms, and a burst of such sign-ins would drain the pool while the database idles.
So before each TikTok call a pooled connection goes back to the pool; the next query
borrows one again, which costs far less than the wait. A connection inside a transaction
is kept (its work must commit on it), and so are unpooled ones (closing a persistent
connection would mean reconnecting).
"""

from __future__ import annotations

from django.db import connections


def release_idle_pooled_connections() -> None:
    """Give every pooled connection that is open and outside a transaction back to its pool."""
    for connection in connections.all(initialized_only=True):
        pooled = getattr(connection, "pool", None) is not None  # PostgreSQL, OPTIONS["pool"]
        if pooled and connection.connection is not None and not connection.in_atomic_block:
            connection.close()
