"""Delete what the plugin no longer needs: expired refresh-token families, finished login
attempts, expired minted-token records, ended throttle windows, sign-in events past
``SIGN_IN_EVENT_RETENTION_DAYS`` and, if installed, SimpleJWT's expired blacklist entries
(:mod:`tiktok_mobile_auth.signin.housekeeping` says why each may go).

Safe to run from cron or any scheduler while the site serves: rows go in small batches,
each its own transaction (:mod:`tiktok_mobile_auth.storage.batches`). Prints one line per
table: ``<app_label.Model>: <n> deleted`` (``--dry-run``: ``<n> to delete``, nothing written).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tiktok_mobile_auth.signin import housekeeping
from tiktok_mobile_auth.storage.batches import delete_in_batches

DEFAULT_BATCH_SIZE = 1000


class Command(BaseCommand):
    help = (
        "Delete expired TikTok sign-in records (refresh-token families, login attempts, "
        "minted tokens, throttle counters, old sign-in events) in small batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per DELETE, each its own transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--max-batches",
            type=int,
            default=0,
            help="Stop a table after this many batches; the next run goes on (default 0: "
            "until nothing is left).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size, max_batches = options["batch_size"], options["max_batches"]
        if batch_size < 1 or max_batches < 0:
            raise CommandError("--batch-size must be at least 1 and --max-batches at least 0.")
        try:
            tables = housekeeping.due(timezone.now())
        except ImproperlyConfigured as err:
            raise CommandError(str(err)) from err
        for rows in tables:
            if options["dry_run"]:
                self.stdout.write(f"{rows.model._meta.label}: {rows.count()} to delete")
                continue
            deleted = delete_in_batches(rows, batch_size=batch_size, max_batches=max_batches)
            for label, count in deleted.rows.items():
                self.stdout.write(f"{label}: {count} deleted")
            if not deleted.finished:
                self.stdout.write(
                    f"{rows.model._meta.label}: stopped after {deleted.batches} batches; "
                    "more may be left for the next run"
                )
