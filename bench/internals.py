"""``python -m bench.internals``: what each private shortcut of the plugin is worth.

docs/PERFORMANCE.md, "Private internals: what each is worth". Each shortcut runs here beside
the public-API code that would replace it, in one process, against PostgreSQL
(``DATABASE_URL``: the site's pooled connection with server-side binding; the server on this
machine) and Redis (``REDIS_URL``). Printed per call: the CPU time of this process
(``time.process_time``: other load on the machine disturbs it far less than throughput), the
wall time (round trips show there) and, with ``DJANGO_DB_POOL=false``, the CPU time of the
PostgreSQL server process that answered. The CPU saved is then set against the CPU one
request of the scenario costs the site (``make bench``, ``cpu s/1k``).

The database of ``DATABASE_URL`` is created when missing, migrated and given a few hundred
users: use a throwaway one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psutil

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms_site.settings.test")

USERS = 200


def setup() -> None:
    import django
    import psycopg

    django.setup()
    from django.core.management import call_command
    from django.db import OperationalError, connection

    db = connection.settings_dict
    try:
        connection.ensure_connection()
    except OperationalError:  # the database does not exist yet
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def accounts() -> list[Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from tiktok_mobile_auth.models import TikTokAccount

    group, _ = Group.objects.get_or_create(name="Editors")
    found = list(TikTokAccount.objects.select_related("user").filter(union_id__startswith="b-"))
    for n in range(len(found), USERS):
        user = get_user_model().objects.create_user(username=f"bench-{n}")
        if n % 2:
            user.groups.add(group)
        found.append(TikTokAccount.objects.create(user=user, union_id=f"b-{n}", open_id=f"o-{n}"))
    return found


def measure(label: str, call: Callable[[int], Any], rounds: int, repeat: int) -> None:
    """Print the median over ``repeat`` runs of ``rounds`` calls: CPU and wall ms per call,
    and with ``DJANGO_DB_POOL=false`` (one connection, one server process) the CPU of the
    PostgreSQL backend that served them."""
    from django.db import connection

    pooled = "pool" in connection.settings_dict.get("OPTIONS", {})
    for n in range(rounds // 10):  # warm: prepared statements, compiled queries, pools
        call(n)
    cpu, wall, database = [], [], []
    for _ in range(repeat):
        backend = None if pooled else _backend(connection)
        started = (time.process_time(), time.perf_counter(), _cpu(backend))
        for n in range(rounds):
            call(n)
            if pooled:
                connection.close()  # back to the pool, as at the end of a request
        cpu.append((time.process_time() - started[0]) / rounds * 1000)
        wall.append((time.perf_counter() - started[1]) / rounds * 1000)
        database.append((_cpu(backend) - started[2]) / rounds * 1000)
    line = f"  {label:<52} cpu {statistics.median(cpu):6.3f}  wall {statistics.median(wall):6.3f}"
    if not pooled:
        line += f"  database cpu {statistics.median(database):6.3f}"
    print(line + "  (ms per call)", flush=True)


def _backend(connection: Any) -> psutil.Process:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return psutil.Process(cursor.fetchone()[0])


def _cpu(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return times.user + times.system


# -- the returning user's lookup and the sign-in's lock ---------------------------------------


def lookups(found: list[Any], rounds: int, repeat: int) -> None:
    from tiktok_mobile_auth.models import TikTokAccount
    from tiktok_mobile_auth.signin import account_lookup

    def orm_find(n: int) -> Any:
        return (
            TikTokAccount.objects.select_related("user")
            .annotate(user_is_editor=account_lookup.user_is_editor("Editors"))
            .filter(union_id=found[n % USERS].union_id)
            .first()
        )

    def precompiled_find(n: int) -> Any:
        return account_lookup.find(found[n % USERS].union_id, "Editors")

    print("find (connect, every returning sign-in):")
    measure("public: the ORM queryset, compiled at each call", orm_find, rounds, repeat)
    measure("private: precompiled once (compiler internals)", precompiled_find, rounds, repeat)


def locks(found: list[Any], rounds: int, repeat: int) -> None:
    from django.db import transaction

    from tiktok_mobile_auth.models import TikTokAccount
    from tiktok_mobile_auth.signin import account_lookup

    def orm_lock(n: int) -> Any:
        with transaction.atomic():
            return (
                TikTokAccount.objects.select_for_update(no_key=True)
                .filter(pk=found[n % USERS].pk)
                .values_list("user__is_active", flat=True)
                .first()
            )

    def precompiled_lock(n: int) -> Any:
        with transaction.atomic():
            return account_lookup.lock(found[n % USERS])

    print("lock (every sign-in's commit, in its transaction):")
    measure("public: the ORM queryset, compiled at each call", orm_lock, rounds, repeat)
    measure("private: precompiled once (compiler internals)", precompiled_lock, rounds, repeat)


# -- the sign-in's two inserts -----------------------------------------------------------------


def commits(found: list[Any], rounds: int, repeat: int) -> None:
    """The public way the plugin takes (``save(force_insert=True)``) against the two private
    ones it took until the measurement below: psycopg's pipeline mode on Django's raw
    connection, and ``QuerySet._insert`` (no ``RETURNING``)."""
    from django.db import transaction
    from django.utils import timezone

    from tiktok_mobile_auth.models import RefreshTokenFamily, SignInEvent

    def rows(n: int) -> tuple[Any, Any]:
        account = found[n % USERS]
        event = SignInEvent(
            account=account, union_id=account.union_id, outcome="success", code="signed_in"
        )
        now = timezone.now()
        family = RefreshTokenFamily(
            user=account.user, current_jti=f"jti-{n}", created_at=now, expires_at=now
        )
        return event, family

    def variant(batched: bool, insert: Callable[[Any], None]) -> Callable[[int], None]:
        def commit(n: int) -> None:
            event, family = rows(n)
            with transaction.atomic(), _pipeline() if batched else _nothing():
                insert(event)
                insert(family)

        return commit

    def save(row: Any) -> None:
        row.save(force_insert=True)

    print("a sign-in's record and refresh family (connect, every sign-in):")
    measure("public: save(), one round trip each (today)", variant(False, save), rounds, repeat)
    measure("pipeline only, save() (RETURNING id)", variant(True, save), rounds, repeat)
    measure("QuerySet._insert only, one round trip each", variant(False, _insert), rounds, repeat)
    measure("pipeline + QuerySet._insert (until now)", variant(True, _insert), rounds, repeat)


@contextmanager
def _pipeline() -> Iterator[None]:
    """Statements sent together up to the first result read (psycopg's pipeline mode)."""
    from django.db import connection

    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _insert(row: Any) -> None:
    """INSERT ``row`` without reading its id back (``QuerySet._insert``, under ``save()``)."""
    model = type(row)
    fields = [
        field
        for field in model._meta.local_concrete_fields
        if not (field.primary_key and getattr(row, field.attname) is None)
    ]
    model._base_manager._insert([row], fields=fields)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


# -- the throttle's counter on Django's own RedisCache --------------------------------------------


def redis_counters(rounds: int, repeat: int) -> None:
    from django.core.cache.backends.redis import RedisCache

    from tiktok_mobile_auth.storage import internals

    redis_cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "bench-internals"})

    def public(n: int) -> tuple[int, int]:
        key = f"counter:{n // 50}"
        redis_cache.add(key, 0, timeout=120)
        count = redis_cache.incr(key)
        return count, int(redis_cache.get(f"counter:{n // 50 - 1}") or 0)

    def pipelined(n: int) -> tuple[int, int]:
        client = internals.redis_cache_client(redis_cache)
        key = redis_cache.make_key(f"counter:{n // 50}")
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=120, nx=True)
        pipe.incr(key)
        pipe.get(redis_cache.make_key(f"counter:{n // 50 - 1}"))
        _created, count, previous = pipe.execute()
        return int(count), int(previous or 0)

    print("the throttle's count on Django's RedisCache (every throttled request):")
    measure("public: cache.add + cache.incr + cache.get", public, rounds, repeat)
    measure("private: RedisCache._cache's client, one pipeline", pipelined, rounds, repeat)


# -- the denominator: a whole returning connect, in this process ------------------------------


def connects(found: list[Any], rounds: int, repeat: int) -> None:
    """A returning user's ``POST connect`` through Django's test client, TikTok's user info
    answered in-process (no HTTP): what one request costs here, to set the savings against."""
    from django.conf import settings
    from django.test import Client, override_settings

    from tiktok_mobile_auth.signin import flows
    from tiktok_mobile_auth.tiktok import TikTokProfile

    def profile(_client: Any, access_token: str, _scopes: Any) -> TikTokProfile:
        n = int(access_token.rsplit("-", 1)[1])
        return TikTokProfile(open_id=f"o-{n}", union_id=f"b-{n}", display_name="", avatar_url="")

    config = {
        **settings.TIKTOK_MOBILE_AUTH,
        "ACCESS_TOKEN_POLICY": "any",
        "THROTTLE_RATES": {"connect": "10000000/min"},
    }
    client = Client()

    def connect(n: int) -> None:
        body = {"access_token": f"act.bench-{n % USERS}"}
        response = client.post("/api/tiktok-auth-mobile/connect", body, "application/json")
        assert response.status_code == 200, response.content

    original = flows.fetch_profile
    flows.fetch_profile = profile
    try:
        with override_settings(TIKTOK_MOBILE_AUTH=config, ALLOWED_HOSTS=["testserver"]):
            print("a returning user's connect, whole (TikTok answered in-process):")
            measure("the request through Django's test client", connect, rounds, repeat)
    finally:
        flows.fetch_profile = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.internals", description=__doc__)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    setup()
    found = accounts()
    connects(found, args.rounds, args.repeat)
    lookups(found, args.rounds, args.repeat)
    locks(found, args.rounds, args.repeat)
    commits(found, args.rounds, args.repeat)
    redis_counters(args.rounds, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
