"""Fewer waits on the database: connections are not held while waiting on TikTok, and a
sign-in's writes share one round trip.

Django keeps the connection a request borrowed from the pool until the request ends. A
sign-in that read the database before calling TikTok (a panel setting on a cold cache, a
login attempt or minted token stored in the database) would hold it through TikTok's
100-300 ms, and a burst of such sign-ins would drain the pool while the database idles.
So before each TikTok call a pooled connection goes back to the pool; the next query
borrows one again, which costs far less than the wait. A connection inside a transaction
is kept (its work must commit on it), and so are unpooled ones (closing a persistent
connection would mean reconnecting).

A successful sign-in ends with two inserts in its transaction (sessions.py): its record and
its refresh-token family. On PostgreSQL, :func:`one_round_trip` sends them in psycopg's
pipeline mode, so they travel together; each round trip saved is also a wait less for the
worker (make bench, docs/PERFORMANCE.md). No code of the host project runs inside it: the
``signed_in`` signal is sent after the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections, models

# Set inside one_round_trip(): its connection is mid-batch and must not go back to the pool.
_batching: ContextVar[bool] = ContextVar("tiktok_mobile_auth_batching", default=False)


def release_idle_pooled_connections() -> None:
    """Give every pooled connection that is open and outside a transaction (and outside
    :func:`one_round_trip`) back to its pool."""
    if _batching.get():
        return
    for connection in connections.all(initialized_only=True):
        pooled = getattr(connection, "pool", None) is not None  # PostgreSQL, OPTIONS["pool"]
        if pooled and connection.connection is not None and not connection.in_atomic_block:
            connection.close()


@contextmanager
def one_round_trip(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Statements run inside are sent together, up to the first one whose result is read
    (an ``INSERT ... RETURNING``, a ``SELECT``), and the rest at the end of the block. On
    other databases than PostgreSQL, statements run one by one."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # An error the batch hits surfaces when it is sent, at the end of the block: outside
    # Django's cursor, so translated here into Django's DatabaseError classes.
    token = _batching.set(True)
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            yield
    finally:
        _batching.reset(token)


def insert_without_returning(row: models.Model) -> None:
    """INSERT ``row`` without reading its new id back (an automatic ``row.pk`` stays None).

    ``Model.save()`` reads the id back (``RETURNING``), which ends a pipeline's round trip:
    inside :func:`one_round_trip` this insert waits for nothing. Only for rows nobody reads
    again in the request (a sign-in record, an outstanding refresh token); no
    ``pre_save``/``post_save`` signals are sent.
    It uses ``QuerySet._insert``, the ORM's own insert under ``save()`` and ``bulk_create()``
    (not public API: check it on Django upgrades; ``tests/storage/test_round_trips.py`` does)."""
    model = type(row)
    # The primary key too when the row has one already (a UUID chosen by the caller).
    fields = [
        field
        for field in model._meta.local_concrete_fields
        if not (field.primary_key and getattr(row, field.attname) is None)
    ]
    model._base_manager._insert([row], fields=fields)
