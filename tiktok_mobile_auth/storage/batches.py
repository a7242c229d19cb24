"""Deleting many rows while the site serves: small batches, each its own short transaction.

One batch is one ``DELETE ... WHERE pk IN (SELECT pk ... LIMIT n)``: it holds its locks for
one statement and writes at most ``n`` rows to the journal, so neither a request waiting for
a lock nor a replica applying the log waits long for it, however many rows are due. On
PostgreSQL the inner ``SELECT`` is ``FOR UPDATE SKIP LOCKED``: a row a request holds at that
moment is left for the next run instead of being waited for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router, transaction
from django.db.models import QuerySet


@dataclass
class Deleted:
    """What :func:`delete_in_batches` removed: rows per model label, and whether it stopped
    because nothing was left (False: ``max_batches`` ran out first)."""

    rows: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    finished: bool = False


def delete_in_batches(queryset: QuerySet[Any], *, batch_size: int, max_batches: int = 0) -> Deleted:
    """Delete the rows of ``queryset``, ``batch_size`` at a time, until none is left or
    ``max_batches`` batches have run (0: no bound). Cascades, if any, go with their batch."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    label = queryset.model._meta.label
    deleted = Deleted()
    while not max_batches or deleted.batches < max_batches:
        rows = _delete_batch(queryset, batch_size)
        deleted.rows.update(rows)
        deleted.batches += 1
        # Fewer than a batch: nothing was left (or only rows a request holds locked).
        if rows.get(label, 0) < batch_size:
            deleted.finished = True
            break
    deleted.rows.setdefault(label, 0)
    return deleted


def _delete_batch(queryset: QuerySet[Any], batch_size: int) -> dict[str, int]:
    model = queryset.model
    alias = router.db_for_write(model)
    batch = queryset.using(alias).order_by()
    if connections[alias].features.has_select_for_update_skip_locked:
        batch = batch.select_for_update(skip_locked=True)
    pks = batch.values("pk")[:batch_size]
    with transaction.atomic(using=alias):
        _total, rows = model._base_manager.using(alias).filter(pk__in=pks).delete()
    return rows
