"""The embedded SQLite default (cms_site/sqlite.py, cms_site/settings/base.py): a fresh
checkout can open it, and it is configured to queue writers instead of failing them.

The site's settings are evaluated in a child process, as `make run` and gunicorn do: the
test process runs the test settings on an in-memory database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import environ
import pytest

from cms_site import sqlite

ROOT = Path(__file__).resolve().parents[2]

# Opens the site's default database, reports its pragmas, and inside transaction.atomic()
# (before any statement) tries to take the write lock from a second connection.
PROBE = """
import json, sqlite3
import django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    pragmas = {
        name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "busy_timeout")
    }
with transaction.atomic():
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        blocked = None
    except sqlite3.OperationalError as err:
        blocked = str(err)
    other.close()
print(json.dumps({"pragmas": pragmas, "blocked": blocked,
                  "options": connection.settings_dict["OPTIONS"]}))
"""


def run_site_settings(var_dir: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "cms_site.settings.dev",
            "DJANGO_VAR_DIR": str(var_dir),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_fresh_checkout_without_var_opens_a_wal_database_with_a_busy_timeout(tmp_path):
    var_dir = tmp_path / "fresh" / "var"  # neither exists, as on a fresh clone
    probe = run_site_settings(var_dir)
    assert (var_dir / "db.sqlite3").is_file()
    assert probe["pragmas"] == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 20000}
    # Its header says WAL to every later connection, other processes' included.
    with sqlite3.connect(var_dir / "db.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_transaction_takes_the_write_lock_when_it_begins(tmp_path):
    # BEGIN IMMEDIATE: a transaction that reads before it writes cannot be refused the
    # write lock halfway (SQLite's "database is locked" without waiting, in WAL).
    probe = run_site_settings(tmp_path / "var")
    assert probe["blocked"] == "database is locked"
    assert probe["options"]["transaction_mode"] == "IMMEDIATE"


def test_the_busy_timeout_can_be_changed_and_a_database_url_file_gets_its_directory(tmp_path):
    db = tmp_path / "elsewhere" / "site.sqlite3"
    probe = run_site_settings(
        tmp_path / "var", DJANGO_SQLITE_TIMEOUT="3.5", DATABASE_URL=f"sqlite:///{db}"
    )
    assert db.is_file()  # the directory of a DATABASE_URL file is created too
    assert probe["pragmas"]["busy_timeout"] == 3500
    assert probe["pragmas"]["journal_mode"] == "wal"


def test_sqlite_options_defaults():
    options = sqlite.sqlite_options(environ.Env())
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == sqlite.DEFAULT_TIMEOUT == 20.0
    commands = [command.strip() for command in options["init_command"].split(";")]
    assert commands[:2] == ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"]


@pytest.mark.parametrize("name", ["", ":memory:", "file:memorydb_default?mode=memory"])
def test_no_directory_is_made_for_in_memory_databases(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sqlite.ensure_directory(name)
    assert list(tmp_path.iterdir()) == []


def test_the_directory_of_a_file_is_made(tmp_path):
    sqlite.ensure_directory(str(tmp_path / "a" / "b" / "db.sqlite3"))
    assert (tmp_path / "a" / "b").is_dir()
    sqlite.ensure_directory(str(tmp_path / "a" / "b" / "db.sqlite3"))  # exists: fine
