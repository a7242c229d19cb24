"""``python -m cms_site.runserver ADDRESS``: Django's runserver for ``make run``, threaded,
without the reloader, with a listen backlog deep enough for a burst of clients.

Django's development server listens with a backlog of 10 connections. Its one accepting
thread competes with the request threads for the interpreter, so an app firing 32 sign-ins
at once overflowed the backlog and some of them had their connection reset before the
site ever saw them (tests/integration/test_sqlite_parallel.py).
"""

from __future__ import annotations

import os
import sys

import django
from django.core.management.commands.runserver import Command as RunserverCommand
from django.core.servers.basehttp import WSGIServer

BACKLOG = 128


class BurstWSGIServer(WSGIServer):
    request_queue_size = BACKLOG


class Command(RunserverCommand):
    server_cls = BurstWSGIServer


def main(argv: list[str]) -> None:
    """Serve on ``argv``'s address (``HOST:PORT``); returns when the server stops."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_site.settings.dev")
    django.setup()
    Command().run_from_argv(["manage.py", "runserver", "--noreload", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
