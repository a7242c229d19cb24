"""``manage.py tiktok_auth_check [--ping]``: is TikTok sign-in ready to serve?

Prints the effective configuration with the source of every value (secrets masked), runs
the plugin's system checks, checks the database and the cache and, with ``--ping``, that
the configured TikTok API base answers. Exits non-zero when anything is wrong.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core import checks
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from tiktok_mobile_auth.conf import describe, get_config
from tiktok_mobile_auth.tiktok import TikTokClient, TikTokError


class Command(BaseCommand):
    help = "Report the TikTok sign-in configuration and test the database, cache and TikTok."
    requires_system_checks: list[str] = []  # run below, and reported, not raised

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--ping", action="store_true", help="also reach the configured TikTok API base"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems: list[str] = []
        self.stdout.write("TikTok sign-in configuration (first source that sets a value wins):")
        for key, shown, source in describe():
            shown = shown if len(shown) <= 48 else shown[:45] + "..."
            self.stdout.write(f"  {key:<20} {shown:<48} {source}")
        missing = get_config().missing(
            "CLIENT_KEY", "CLIENT_SECRET", "REDIRECT_APP_URL", "CALLBACK_URL"
        )
        problems += self._report(
            "Credentials and URLs", f"not set: {', '.join(missing)}" if missing else None
        )
        problems += self._system_checks()
        problems += self._database()
        problems += self._cache()
        if options["ping"]:
            problems += self._ping()
        if problems:
            raise CommandError(f"{len(problems)} problem(s): " + "; ".join(problems))
        self.stdout.write(self.style.SUCCESS("TikTok sign-in: everything checked is OK."))

    def _report(self, name: str, error: str | None) -> list[str]:
        if error is None:
            self.stdout.write(f"{name}: " + self.style.SUCCESS("ok"))
            return []
        self.stdout.write(f"{name}: " + self.style.ERROR(error))
        return [f"{name}: {error}"]

    def _system_checks(self) -> list[str]:
        messages = checks.run_checks(tags=["tiktok_mobile_auth"])
        for message in messages:
            style = self.style.ERROR if message.is_serious() else self.style.WARNING
            self.stdout.write(style(f"  {message.id}: {message.msg}"))
        errors = [m for m in messages if m.is_serious()]
        label = f"{len(errors)} error(s), {len(messages) - len(errors)} warning(s)"
        return self._report("System checks", f"{label}" if errors else None)

    def _database(self) -> list[str]:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as err:
            return self._report("Database", f"unreachable ({type(err).__name__})")
        return self._report("Database", None)

    def _cache(self) -> list[str]:
        key = f"tiktok_mobile_auth:check:{uuid.uuid4()}"
        try:
            cache.set(key, "ok", 30)
            works = cache.get(key) == "ok"
            cache.delete(key)
        except Exception as err:  # any backend's failure is the answer here
            return self._report("Cache", f"unreachable ({type(err).__name__})")
        return self._report("Cache", None if works else "a value written was not read back")

    def _ping(self) -> list[str]:
        config = get_config()
        try:
            status = TikTokClient(config).ping()
        except TikTokError as err:
            return self._report(f"TikTok API {config.api_base_url}", err.description)
        return self._report(f"TikTok API {config.api_base_url} (HTTP {status})", None)
