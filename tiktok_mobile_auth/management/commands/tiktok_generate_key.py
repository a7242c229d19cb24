"""Print a value for ``TIKTOK_ENCRYPTION_KEYS``: a new Fernet key, ready to paste.

``--rotate`` prints the value for a key rotation instead: the new key first (it encrypts),
then every key that decrypts what is stored now (the configured keys, or the key derived
from ``SECRET_KEY`` when none is set). Deploy that value, run ``manage.py tiktok_reencrypt``,
then drop the old keys. Only the value goes to stdout, so it can be captured in a script;
the next steps go to stderr.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand, CommandParser
from django.views.decorators.debug import sensitive_variables

from tiktok_mobile_auth.storage import crypto


class Command(BaseCommand):
    help = "Print a new TIKTOK_ENCRYPTION_KEYS value (with --rotate: the value for a rotation)."
    requires_system_checks: list[str] = []  # a key is what fixes some of them (W011)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Put a new key before the keys in use, for a rotation with tiktok_reencrypt.",
        )

    @sensitive_variables("keys")
    def handle(self, *args: Any, **options: Any) -> None:
        keys = [Fernet.generate_key().decode()]
        if options["rotate"]:
            keys += crypto.current_keys()
        self.stdout.write(",".join(keys))
        self.stderr.write(_next_steps(options["rotate"]))


def _next_steps(rotate: bool) -> str:
    if not rotate:
        return (
            "Set it as TIKTOK_ENCRYPTION_KEYS (TIKTOK_MOBILE_AUTH['ENCRYPTION_KEYS']) and keep "
            "it secret. Secrets stored before were encrypted with another key: to keep them, "
            "use --rotate instead."
        )
    return (
        "Set it as TIKTOK_ENCRYPTION_KEYS on every process, run `manage.py tiktok_reencrypt`, "
        "then remove the old keys (every key after the first)."
    )
