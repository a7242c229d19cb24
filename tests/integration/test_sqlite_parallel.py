"""The embedded SQLite default serves parallel sign-ins, under every documented server.

32 first sign-ins of 32 different users at once, then the same 32 users again, on a SQLite
file (even when ``DATABASE_URL`` names PostgreSQL: this is the default a newcomer meets)
with the file cache, served by gunicorn's gevent workers (``gunicorn.conf.py``), its
gthread workers (``GUNICORN_WORKER_CLASS=gthread``) and ``make run``'s threaded runserver.
The fake TikTok holds the user-info calls until all 32 have arrived (its ``together``
fault), so the sign-ins' writes all reach the database in the same instant: before WAL, a
busy timeout and ``BEGIN IMMEDIATE`` (cms_site/settings/base.py), some answered 503
("database is locked"), with their TikTok codes already spent.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.live_site import Database, LiveSite, free_port

pytestmark = pytest.mark.integration

BURST = 32
APP_REDIRECT = "https://app.example.com/tiktok/android"  # LiveSite's TIKTOK_APP_REDIRECT_URIS

# name -> (LiveSite server, extra environment, the line its log shows for that server)
SERVERS: dict[str, tuple[str, dict[str, str], str]] = {
    "gevent": ("gunicorn", {}, "Using worker: gevent"),
    "gthread": ("gunicorn", {"GUNICORN_WORKER_CLASS": "gthread"}, "Using worker: gthread"),
    "make-run": ("devserver", {}, "Starting development server at"),
}
SITE_ENV = {
    "REDIS_URL": "",  # the embedded default: the file cache, even in CI's services pass
    "TIKTOK_ACCESS_TOKEN_POLICY": "any",  # tokens minted by the fake, not obtained here
    "TIKTOK_THROTTLE_CONNECT": "10000/min",  # every sign-in comes from 127.0.0.1
}
SERVER_ERROR = re.compile(r'" 5\d\d ')  # a 5xx status in gunicorn's or runserver's access log


@pytest.fixture(scope="module")
def migrated_sqlite(fake_tiktok, tmp_path_factory) -> Path:
    """One migrated SQLite file; each site gets a copy (migrating takes seconds)."""
    workdir = tmp_path_factory.mktemp("sqlite-template")
    database = Database(workdir, sqlite=True)
    LiveSite(workdir, fake_tiktok.base_url, database=database).migrate()
    return database.path


def copied_database(migrated: Path, workdir: Path) -> Database:
    database = Database(workdir, sqlite=True)
    with sqlite3.connect(migrated) as source, sqlite3.connect(database.path) as copy:
        source.backup(copy)
    return database


@pytest.fixture(scope="module", params=list(SERVERS))
def sqlite_site(
    request, fake_tiktok, migrated_sqlite, tmp_path_factory
) -> Iterator[tuple[str, LiveSite]]:
    """(the server configuration's name, its site on a copy of the migrated file)."""
    server, server_env, _banner = SERVERS[request.param]
    workdir = tmp_path_factory.mktemp(f"sqlite-{request.param}")
    database = copied_database(migrated_sqlite, workdir)
    site = LiveSite(
        workdir,
        fake_tiktok.base_url,
        database=database,
        server=server,
        **SITE_ENV,
        **server_env,
    )
    with site.running():
        yield request.param, site


def first_and_returning_bodies(fake, flow: str) -> Iterator[list[dict[str, str]]]:
    """Connect bodies for the burst's users (created at the fake), one list per burst."""
    open_ids = [f"{flow}-open-{n}" for n in range(BURST)]
    for n, open_id in enumerate(open_ids):
        fake.add_user(open_id=open_id, union_id=f"{flow}-union-{n}", display_name=f"U{n}")
    while True:
        yield [connect_body(fake, flow, open_id) for open_id in open_ids]


def connect_body(fake, flow: str, open_id: str) -> dict[str, str]:
    if flow == "access_token":
        return {"access_token": fake.mint_token(open_id)}
    verifier = hashlib.sha256(open_id.encode()).hexdigest()  # 64 unreserved characters
    challenge = hashlib.sha256(verifier.encode()).hexdigest()  # TikTok's hex S256
    code = fake.mint_code(open_id, redirect_uri=APP_REDIRECT, code_challenge=challenge)
    return {"code": code, "code_verifier": verifier, "redirect_uri": APP_REDIRECT}


def burst(site: LiveSite, fake, bodies: list[dict[str, str]]) -> list[dict[str, Any]]:
    """POST every body to connect at once; the fake answers no user-info call before all
    of them have asked, so every sign-in's writes land together. Returns the bodies of the
    answers after checking each is a 200."""
    fake.fault("userinfo", "together", count=len(bodies), seconds=30)

    def connect(body: dict[str, str]) -> requests.Response:
        return requests.post(site.url("connect"), json=body, timeout=60)

    with ThreadPoolExecutor(len(bodies)) as pool:
        replies = list(pool.map(connect, bodies))
    assert [
        (reply.status_code, reply.text[:200]) for reply in replies if reply.status_code != 200
    ] == []
    return [reply.json() for reply in replies]


def count(site: LiveSite, query: str, flow: str) -> int:
    [(value,)] = site.db.rows(query, f"{flow}-union-%")
    return value


def assert_signed_in(site: LiveSite, flow: str, answers: list[dict[str, Any]], events: int):
    """32 users, one account each, ``events`` success events, nothing else recorded."""
    assert all(answer["jwt"] and answer["refresh"] for answer in answers)
    assert len({answer["user"]["id"] for answer in answers}) == BURST
    accounts = "SELECT COUNT(DISTINCT user_id) FROM tiktok_mobile_auth_tiktokaccount "
    assert count(site, accounts + "WHERE union_id LIKE ?", flow) == BURST
    successes = (
        "SELECT COUNT(*) FROM tiktok_mobile_auth_signinevent "
        "WHERE outcome = 'success' AND union_id LIKE ?"
    )
    assert count(site, successes, flow) == events
    failures = successes.replace("'success'", "'failure'")
    assert count(site, failures, flow) == 0
    log = site.log()
    assert "database is locked" not in log
    assert SERVER_ERROR.findall(log) == []


@pytest.mark.parametrize("flow", ["access_token", "code"])
def test_32_parallel_first_sign_ins_then_32_returning_ones_all_succeed(sqlite_site, fake, flow):
    server, site = sqlite_site
    assert SERVERS[server][2] in site.log()  # the server configuration under test
    # The settings reached the site's database: WAL, so readers never wait for a writer.
    assert site.db.rows("PRAGMA journal_mode") == [("wal",)]
    batches = first_and_returning_bodies(fake, flow)

    first = burst(site, fake, next(batches))
    assert_signed_in(site, flow, first, events=BURST)
    assert {answer["user"]["tiktok"]["union_id"] for answer in first} == {
        f"{flow}-union-{n}" for n in range(BURST)
    }
    if flow == "code":
        # Each code was exchanged once, and each exchange became a sign-in: no code was
        # spent at TikTok for a sign-in the database then refused.
        assert len(fake.requests("token")) == BURST

    returning = burst(site, fake, next(batches))
    assert_signed_in(site, flow, returning, events=2 * BURST)
    assert sorted(answer["user"]["id"] for answer in returning) == sorted(
        answer["user"]["id"] for answer in first
    )


def live_members(group: int) -> list[int]:
    """The pids of the processes of process group ``group`` that are not zombies."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after it.
        state, _ppid, pgrp = text.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


def test_make_run_stops_its_server_and_fake_tiktok_when_terminated(
    fake_tiktok, migrated_sqlite, tmp_path
):
    # No TikTok credentials, as for a newcomer: make run's server starts its own fake too.
    site = LiveSite(
        tmp_path,
        fake_tiktok.base_url,
        database=copied_database(migrated_sqlite, tmp_path),
        server="devserver",
        TIKTOK_CLIENT_KEY="",
        FAKE_TIKTOK_PORT=str(free_port()),
        **SITE_ENV,
    )
    with site.running():
        assert "NO TIKTOK CREDENTIALS CONFIGURED" in site.log()
        group = site.process.pid  # its own session: the devserver leads the group
        assert len(live_members(group)) >= 3  # the devserver, runserver, the fake TikTok
        os.kill(site.process.pid, signal.SIGTERM)  # the devserver alone, as `kill` would
        site.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while live_members(group) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling for the children to exit, not a timing assumption
        assert live_members(group) == []
