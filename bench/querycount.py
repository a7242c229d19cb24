"""Bench-only middleware: the number of SQL statements a request ran, in a response header.

Installed by ``bench/settings.py`` only (never by the site's own settings): the header tells
the load generator how many queries each request cost, as counted by the database layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, *args)

        # The connection is per thread, so this counts this request's queries only.
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[HEADER] = str(count)
        return response
