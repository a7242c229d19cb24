"""manage.py tiktok_auth_cleanup: what it prints, --dry-run, its bounds, SimpleJWT's
blacklist app when a host has it, and (PostgreSQL) running while sign-ins run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.support.api import configure, connect_token
from tests.support.services import require_service
from tests.support.tiktok import mint
from tiktok_mobile_auth.models import (
    LoginAttempt,
    MintedToken,
    RateCounter,
    RefreshTokenFamily,
    SignInEvent,
)

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)
ROOT = Path(__file__).resolve().parent.parent


def cleanup(*args: str) -> list[str]:
    out = StringIO()
    call_command("tiktok_auth_cleanup", *args, stdout=out)
    return out.getvalue().splitlines()


def families(expired: int, live: int) -> None:
    user, _ = get_user_model().objects.get_or_create(username="alice")
    now = timezone.now()
    RefreshTokenFamily.objects.bulk_create(
        RefreshTokenFamily(
            user=user,
            current_jti=uuid.uuid4().hex,
            created_at=now - 40 * DAY,
            expires_at=now + (DAY if n >= expired else -DAY),
        )
        for n in range(expired + live)
    )


def one_of_each_due() -> None:
    """One row of every table past keeping, and one still needed beside it."""
    now = timezone.now()
    families(expired=1, live=1)
    for name, expires_at in (("old", now - DAY), ("new", now + DAY)):
        LoginAttempt.objects.create(
            state_hash=name.ljust(64, "0"), code_verifier_encrypted="x", expires_at=expires_at
        )
        MintedToken.objects.create(
            token_hash=name.ljust(64, "0"), open_id="o", expires_at=expires_at
        )
        RateCounter.objects.create(key=name, expires_at=expires_at)
    for age in (400 * DAY, DAY):
        row = SignInEvent.objects.create(union_id="u", outcome=SignInEvent.SUCCESS)
        SignInEvent.objects.filter(pk=row.pk).update(created_at=now - age)


def remaining() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (RefreshTokenFamily, LoginAttempt, MintedToken, RateCounter, SignInEvent)
    }


def test_it_deletes_what_is_due_and_prints_a_count_per_table():
    one_of_each_due()
    assert cleanup() == [
        "tiktok_mobile_auth.RefreshTokenFamily: 1 deleted",
        "tiktok_mobile_auth.LoginAttempt: 1 deleted",
        "tiktok_mobile_auth.MintedToken: 1 deleted",
        "tiktok_mobile_auth.RateCounter: 1 deleted",
        "tiktok_mobile_auth.SignInEvent: 1 deleted",
    ]
    assert remaining() == dict.fromkeys(remaining(), 1)
    assert RefreshTokenFamily.objects.get().expires_at > timezone.now()
    assert LoginAttempt.objects.get().state_hash.startswith("new")
    assert cleanup()[0] == "tiktok_mobile_auth.RefreshTokenFamily: 0 deleted"


def test_dry_run_counts_and_deletes_nothing():
    one_of_each_due()
    assert cleanup("--dry-run") == [
        "tiktok_mobile_auth.RefreshTokenFamily: 1 to delete",
        "tiktok_mobile_auth.LoginAttempt: 1 to delete",
        "tiktok_mobile_auth.MintedToken: 1 to delete",
        "tiktok_mobile_auth.RateCounter: 1 to delete",
        "tiktok_mobile_auth.SignInEvent: 1 to delete",
    ]
    assert remaining() == dict.fromkeys(remaining(), 2)


def test_retention_0_keeps_every_sign_in_event(settings):
    configure(settings, SIGN_IN_EVENT_RETENTION_DAYS=0)
    one_of_each_due()
    assert not any("SignInEvent" in line for line in cleanup())
    assert SignInEvent.objects.count() == 2


def test_max_batches_leaves_the_rest_for_the_next_run():
    families(expired=5, live=1)
    out = cleanup("--batch-size", "2", "--max-batches", "2")
    assert out[:2] == [
        "tiktok_mobile_auth.RefreshTokenFamily: 4 deleted",
        "tiktok_mobile_auth.RefreshTokenFamily: stopped after 2 batches; "
        "more may be left for the next run",
    ]
    assert RefreshTokenFamily.objects.count() == 2
    assert cleanup("--batch-size", "2")[0] == "tiktok_mobile_auth.RefreshTokenFamily: 1 deleted"


@pytest.mark.parametrize("args", [("--batch-size", "0"), ("--max-batches", "-1")])
def test_bounds_below_their_minimum_are_refused(args):
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        cleanup(*args)


def test_a_retention_that_is_not_a_number_is_a_command_error(settings):
    configure(settings, SIGN_IN_EVENT_RETENTION_DAYS="forever")
    with pytest.raises(CommandError, match="SIGN_IN_EVENT_RETENTION_DAYS"):
        cleanup()


# -- SimpleJWT's blacklist app, in a host that still has it ---------------------------------

# Installing an app in a running test process runs every app's ready() again (Wagtail's
# redirects app then fails), so a host with the blacklist app is a process of its own: the
# test settings plus the app, on an SQLite file holding just the tables the command reads.
BLACKLIST_HOST = """
import json, sys
from datetime import timedelta
import cms_site.settings.test as host

host.INSTALLED_APPS = [*host.INSTALLED_APPS, "rest_framework_simplejwt.token_blacklist"]
import django

django.setup()
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

models = [apps.get_model(label) for label in sys.argv[1:]]
with connection.schema_editor() as editor:
    for model in models:
        editor.create_model(model)
Outstanding = apps.get_model("token_blacklist", "OutstandingToken")
Blacklisted = apps.get_model("token_blacklist", "BlacklistedToken")
now, day = timezone.now(), timedelta(days=1)
tokens = {
    name: Outstanding.objects.create(
        jti=name, token="token-" + name, expires_at=now + offset, created_at=now - 30 * day
    )
    for name, offset in (("old", -day), ("old-blacklisted", -day), ("live", day))
}
Blacklisted.objects.create(token=tokens["old-blacklisted"])
Blacklisted.objects.create(token=tokens["live"])
call_command("tiktok_auth_cleanup")
print(json.dumps({
    "outstanding": list(Outstanding.objects.values_list("jti", flat=True)),
    "blacklisted": list(Blacklisted.objects.values_list("token__jti", flat=True)),
}))
"""
TABLES = [
    "auth.User",
    "tiktok_mobile_auth.TikTokAccount",
    "tiktok_mobile_auth.RefreshTokenFamily",
    "tiktok_mobile_auth.LoginAttempt",
    "tiktok_mobile_auth.MintedToken",
    "tiktok_mobile_auth.RateCounter",
    "tiktok_mobile_auth.SignInEvent",
    "token_blacklist.OutstandingToken",
    "token_blacklist.BlacklistedToken",
]


def test_expired_tokens_of_simplejwts_blacklist_app_go_too(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms_site.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'host.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", BLACKLIST_HOST, *TABLES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *printed, left = done.stdout.splitlines()
    assert printed[-2:] == [
        "token_blacklist.BlacklistedToken: 1 deleted",
        "token_blacklist.OutstandingToken: 2 deleted",
    ]
    assert json.loads(left) == {"outstanding": ["live"], "blacklisted": ["live"]}


# -- while the site serves (PostgreSQL) -----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_runs_while_sign_ins_run_and_deletes_only_what_is_due(tiktok):
    require_service("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    families(expired=60, live=0)
    tokens = [tiktok.token_pair()["access_token"] for _ in range(6)]
    for token in tokens:
        mint(token)
    barrier = threading.Barrier(len(tokens) + 1, timeout=30)
    results: dict[str, object] = {}

    def run(name: str, work) -> None:
        try:
            barrier.wait()
            results[name] = work()
        finally:
            connection.close()

    jobs = [("cleanup", lambda: cleanup("--batch-size", "1"))] + [
        (token, lambda token=token: connect_token(APIClient(), token).status_code)
        for token in tokens
    ]
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [results.get(token) for token in tokens] == [200] * len(tokens)
    assert results["cleanup"][0] == "tiktok_mobile_auth.RefreshTokenFamily: 60 deleted"
    # Left: the six sessions the sign-ins started, each live.
    assert RefreshTokenFamily.objects.filter(expires_at__gt=timezone.now()).count() == 6
    assert RefreshTokenFamily.objects.count() == 6
