"""Re-encrypt the secrets stored by the admin panel with the newest encryption key.

Rotation: put the new key first in TIKTOK_ENCRYPTION_KEYS (keep the old one after it),
deploy, run this command, then remove the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ... import crypto
from ...models import TikTokSettings


class Command(BaseCommand):
    help = "Re-encrypt the TikTok client secret stored in the admin panel with the newest key."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for row in TikTokSettings.objects.select_for_update().exclude(
                client_secret_encrypted=""
            ):
                try:
                    row.client_secret_encrypted = crypto.reencrypt(row.client_secret_encrypted)
                except crypto.DecryptionFailed as err:
                    raise CommandError(
                        f"{err} Keep the old key in TIKTOK_ENCRYPTION_KEYS until this succeeds."
                    ) from err
                row.save(update_fields=["client_secret_encrypted"])
                count += 1
        self.stdout.write(f"Re-encrypted {count} stored secret(s) with the newest key.")
