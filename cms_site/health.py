"""``GET /healthz``: can this instance serve? For the load balancer and the orchestrator.

200 ``{"status": "ok", "database": "ok", "cache": "ok"}`` when the database answers
``SELECT 1`` and the shared cache stores and returns a value; 503 with the failing part as
``"error"`` otherwise. Never a 500 or a redirect, no authentication, no session, no template:
one query on the thread's pooled connection and two cache round trips. The reason for a
failure goes to the log, never into the answer (it could hold a host name or a password).
"""

from __future__ import annotations

import logging
import os
import secrets

from django.core.cache import cache
from django.db import Error as DatabaseError
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK, ERROR = "ok", "error"


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError as err:
        logger.warning("Health check: the database is unreachable (%s).", type(err).__name__)
        return False


def cache_ok() -> bool:
    # A key per process: instances and workers probing at once must not see each other's value.
    key, value = f"healthz:{os.getpid()}", secrets.token_hex(8)
    try:
        cache.set(key, value, 30)
        return cache.get(key) == value
    # Each cache backend fails with its own errors (redis, django_redis, OSError for the file
    # cache ...): here every one of them means "unreachable", and must be a 503, not a 500.
    except Exception as err:
        logger.warning("Health check: the cache is unreachable (%s).", type(err).__name__)
        return False


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the cache both work, else 503; the body says which failed."""
    checks = {"database": database_ok(), "cache": cache_ok()}
    healthy = all(checks.values())
    body = {"status": OK if healthy else ERROR}
    body.update({name: OK if ok else ERROR for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)
