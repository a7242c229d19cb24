"""Fewer waits on the database: no pooled connection held while the site waits on TikTok.

Django keeps the connection a request borrowed from the pool until the request ends. A
sign-in that read the database before calling TikTok (a panel setting on a cold cache, a
login attempt or minted token stored in the database) would hold it through TikTok's
100-300 ms, and a burst of such sign-ins would drain the pool while the database idles.
So before each TikTok call (:mod:`tiktok_mobile_auth.signin.tiktok_calls` hands this to the
client) a pooled connection goes back to the pool; the next query borrows one again, which
costs far less than the wait. A connection inside a transaction is kept (its work must
commit on it), and so are unpooled ones (closing a persistent connection would mean
reconnecting).
"""

from __future__ import annotations

from django.db import connections


def release_idle_pooled_connections() -> None:
    """Give every pooled connection that is open and outside a transaction back to its pool."""
    for connection in connections.all(initialized_only=True):
        # Pooled: DATABASES[alias]["OPTIONS"]["pool"] (PostgreSQL, Django 5.1+). in_atomic_block
        # as DRF's set_rollback reads it; close() is a no-op for a connection not open.
        pooled = bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))
        if pooled and not connection.in_atomic_block:
            connection.close()
