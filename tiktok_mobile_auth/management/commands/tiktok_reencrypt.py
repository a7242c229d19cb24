"""Re-encrypt the secrets stored at rest with the newest encryption key: the admin panel's
client secret and, with STORE_TOKENS, the users' TikTok tokens and stashed grants.

Rotation: put the new key first in TIKTOK_ENCRYPTION_KEYS (keep the old one after it),
deploy, run this command, then remove the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from tiktok_mobile_auth.models import MintedToken, TikTokSettings, TikTokTokens
from tiktok_mobile_auth.storage import crypto

# (model, its encrypted text fields)
ENCRYPTED_FIELDS: list[tuple[type[models.Model], tuple[str, ...]]] = [
    (TikTokSettings, ("client_secret_encrypted",)),
    (TikTokTokens, ("access_token_encrypted", "refresh_token_encrypted")),
    (MintedToken, ("grant_encrypted",)),
]


class Command(BaseCommand):
    help = (
        "Re-encrypt the TikTok client secret stored in the admin panel, and the stored "
        "TikTok tokens, with the newest key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for model, fields in ENCRYPTED_FIELDS:
                count += _reencrypt(model, fields)
        self.stdout.write(f"Re-encrypted {count} stored secret(s) with the newest key.")


def _reencrypt(model: type[models.Model], fields: tuple[str, ...]) -> int:
    count = 0
    not_all_empty = models.Q()
    for name in fields:
        not_all_empty |= ~models.Q(**{name: ""})
    for row in model._default_manager.select_for_update().filter(not_all_empty):
        changed = [name for name in fields if getattr(row, name)]
        try:
            for name in changed:
                setattr(row, name, crypto.reencrypt(getattr(row, name)))
        except crypto.DecryptionFailed as err:
            raise CommandError(
                f"{err} Keep the old key in TIKTOK_ENCRYPTION_KEYS until this succeeds."
            ) from err
        row.save(update_fields=changed)
        count += len(changed)
    return count
