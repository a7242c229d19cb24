"""Sessions against real parallel requests on a real site process (two gevent workers).

Each test fires requests at once from many threads and then checks an invariant that must
hold whatever order they ran in, so it is never a question of timing:

- blocking ends every session, including those being issued while the block runs;
- a disconnect leaves no session of the unlinked user and never a re-inserted link;
- a disconnect racing refreshes leaves no refreshed token alive;
- of parallel refreshes of one token (an app and a thief), none keeps a session.

The blocking and disconnect races are about PostgreSQL's row locks (on SQLite every write
transaction takes the database's one write lock in turn), so they need PostgreSQL.
"""

from __future__ import annotations

import hashlib
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.live_site import ROOT, LiveSite
from tests.support.services import require_service

pytestmark = pytest.mark.integration

CONNECTS = 24
ANDROID = "https://app.example.com/tiktok/android"
MANAGE = (sys.executable, "manage.py")


UNTHROTTLED = {f"TIKTOK_THROTTLE_{scope}": "off" for scope in ("CONNECT", "REFRESH", "DISCONNECT")}


@pytest.fixture(scope="module")
def race_site(live_site, tmp_path_factory) -> Iterator[LiveSite]:
    site = live_site.sibling(
        tmp_path_factory.mktemp("races"), TIKTOK_ACCESS_TOKEN_POLICY="any", **UNTHROTTLED
    )
    with site.running():
        yield site


@pytest.fixture(scope="module")
def token_race_site(race_site, tmp_path_factory) -> Iterator[LiveSite]:
    """The same, keeping TikTok grants (STORE_TOKENS), which sign-ins store for the link."""
    site = race_site.sibling(
        tmp_path_factory.mktemp("token-races"), TIKTOK_STORE_TOKENS="true", **UNTHROTTLED
    )
    with site.running():
        yield site


@pytest.fixture
def postgres(race_site) -> None:
    require_service("PostgreSQL (DATABASE_URL)", race_site.db.postgres)


on_postgres = pytest.mark.postgres  # and so left to the services pass of CI


def at_once(*jobs: Callable[[], Any]) -> list[Any]:
    """Run every job in its own thread, released together; their results in order."""
    barrier = threading.Barrier(len(jobs), timeout=30)

    def run(job: Callable[[], Any]) -> Any:
        barrier.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


class Person:
    """A TikTok user of one test, signing in to ``site`` through connect."""

    def __init__(self, site: LiveSite, fake) -> None:
        self.site, self.fake = site, fake
        slug = secrets.token_hex(4)
        self.open_id, self.union_id = f"open-{slug}", f"union-{slug}"
        fake.add_user(open_id=self.open_id, union_id=self.union_id, display_name=slug)

    def connect_job(self) -> Callable[[], requests.Response]:
        token = self.fake.mint_token(self.open_id)  # minted now, spent in the job
        return lambda: requests.post(
            self.site.url("connect"), json={"access_token": token}, timeout=60
        )

    def code_job(self) -> Callable[[], requests.Response]:
        """connect with a code and its PKCE verifier (the grant is then kept, with
        STORE_TOKENS)."""
        verifier = secrets.token_urlsafe(48)
        challenge = hashlib.sha256(verifier.encode()).hexdigest()
        code = self.fake.mint_code(self.open_id, redirect_uri=ANDROID, code_challenge=challenge)
        body = {"code": code, "code_verifier": verifier, "redirect_uri": ANDROID}
        return lambda: requests.post(self.site.url("connect"), json=body, timeout=60)

    def sign_in(self) -> dict:
        response = self.connect_job()()
        assert response.status_code == 200, response.text
        return response.json()

    def account_id(self) -> int:
        [(account_id,)] = self.site.db.rows(
            "SELECT id FROM tiktok_mobile_auth_tiktokaccount WHERE union_id = ?", self.union_id
        )
        return account_id


def refresh(site: LiveSite, token: str) -> requests.Response:
    return requests.post(site.url("token/refresh"), json={"refresh": token}, timeout=60)


def disconnect_job(site: LiveSite, jwt: str) -> Callable[[], requests.Response]:
    return lambda: requests.post(
        site.url("disconnect"), headers={"Authorization": f"Bearer {jwt}"}, timeout=60
    )


def live_families(site: LiveSite, user_id: int) -> int:
    [(count,)] = site.db.rows(
        "SELECT count(*) FROM tiktok_mobile_auth_refreshtokenfamily "
        "WHERE user_id = ? AND revoked_at IS NULL",
        user_id,
    )
    return count


class Admin:
    """A superuser's browser session in the Wagtail admin of ``site``."""

    def __init__(self, site: LiveSite) -> None:
        self.site = site
        name, password = f"root-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
        subprocess.run(
            [*MANAGE, "createsuperuser", "--noinput", "--username", name, "--email", "r@x.test"],
            cwd=ROOT,
            env={**site.env, "DJANGO_SUPERUSER_PASSWORD": password},
            check=True,
            capture_output=True,
        )
        self.http = requests.Session()
        self.http.get(f"{site.base_url}/admin/login/", timeout=30)
        logged_in = self.post("/admin/login/", {"username": name, "password": password})
        assert logged_in.status_code == 302, logged_in.text

    def post(self, path: str, data: dict) -> requests.Response:
        data = {**data, "csrfmiddlewaretoken": self.http.cookies["csrftoken"]}
        return self.http.post(
            f"{self.site.base_url}{path}", data=data, allow_redirects=False, timeout=60
        )

    def set_blocked(self, account_id: int, blocked: bool) -> requests.Response:
        data = {"role": "member", **({"blocked": "on"} if blocked else {})}
        return self.post(f"/admin/tiktok_accounts/edit/{account_id}/", data)


@on_postgres
def test_blocking_ends_every_session_even_those_issued_during_the_block(race_site, fake, postgres):
    person = Person(race_site, fake)
    user_id = person.sign_in()["user"]["id"]
    admin = Admin(race_site)
    account_id = person.account_id()
    issued: list[str] = []
    for _round in range(3):
        connects = [person.connect_job() for _ in range(CONNECTS)]
        *answers, blocked = at_once(*connects, lambda: admin.set_blocked(account_id, True))
        assert blocked.status_code == 302
        assert {answer.status_code for answer in answers} <= {200, 403}, [
            answer.text for answer in answers if answer.status_code not in (200, 403)
        ]
        issued += [answer.json()["refresh"] for answer in answers if answer.status_code == 200]
        assert live_families(race_site, user_id) == 0
        assert admin.set_blocked(account_id, False).status_code == 302
    # Unblocked now: every session that existed before or during a block stays ended.
    assert {refresh(race_site, token).status_code for token in issued} <= {401}
    assert person.sign_in()["user"]["id"] == user_id  # signing in again works


@on_postgres
def test_a_disconnect_racing_sign_ins_leaves_no_session_of_the_unlinked_user(
    race_site, fake, postgres
):
    person = Person(race_site, fake)
    session = person.sign_in()
    old_user = session["user"]["id"]
    connects = [person.connect_job() for _ in range(CONNECTS)]
    disconnect = disconnect_job(race_site, session["jwt"])
    *answers, disconnected = at_once(*connects, disconnect)
    assert disconnected.status_code == 204
    codes = {answer.status_code for answer in answers}
    assert codes <= {200, 409}, [answer.text for answer in answers if answer.status_code >= 500]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["details"]["code"] == "sign_in_interrupted"
    # The unlinked user keeps no session and no link; a sign-in after the disconnect is a
    # new user, and all of those are one and the same user.
    assert live_families(race_site, old_user) == 0
    owners = race_site.db.rows(
        "SELECT user_id FROM tiktok_mobile_auth_tiktokaccount WHERE union_id = ?",
        person.union_id,
    )
    assert old_user not in {owner for (owner,) in owners}
    new_users = {a.json()["user"]["id"] for a in answers if a.status_code == 200} - {old_user}
    assert len(new_users) <= 1 and {owner for (owner,) in owners} == new_users
    for answer in answers:
        if answer.status_code == 200 and answer.json()["user"]["id"] == old_user:
            assert refresh(race_site, answer.json()["refresh"]).status_code == 401


@on_postgres
def test_a_disconnect_racing_code_sign_ins_keeps_no_grant_of_the_unlinked_user(
    token_race_site, fake, postgres
):
    person = Person(token_race_site, fake)
    first = person.code_job()()
    assert first.status_code == 200, first.text
    session = first.json()
    connects = [person.code_job() for _ in range(CONNECTS)]
    disconnect = disconnect_job(token_race_site, session["jwt"])
    *answers, disconnected = at_once(*connects, disconnect)
    assert disconnected.status_code == 204
    # The disconnect revokes the grant at TikTok, which kills the user's other tokens there:
    # a sign-in whose user info came after that is refused by TikTok (401).
    codes = {a.json()["error"]["details"]["code"] for a in answers if a.status_code != 200}
    assert codes <= {"sign_in_interrupted", "tiktok_token_invalid"}, codes
    # Every stored grant belongs to a link that still exists, and none to the unlinked user.
    grants = token_race_site.db.rows(
        "SELECT a.user_id FROM tiktok_mobile_auth_tiktoktokens t "
        "JOIN tiktok_mobile_auth_tiktokaccount a ON a.id = t.account_id WHERE a.union_id = ?",
        person.union_id,
    )
    assert session["user"]["id"] not in {owner for (owner,) in grants}
    assert live_families(token_race_site, session["user"]["id"]) == 0


@on_postgres
def test_a_disconnect_racing_refreshes_leaves_no_refreshed_token_alive(race_site, fake, postgres):
    person = Person(race_site, fake)
    sessions = [person.sign_in() for _ in range(8)]  # eight devices
    user_id = sessions[0]["user"]["id"]
    refreshes = [lambda token=s["refresh"]: refresh(race_site, token) for s in sessions]
    disconnect = disconnect_job(race_site, sessions[0]["jwt"])
    *answers, disconnected = at_once(*refreshes, disconnect)
    assert disconnected.status_code == 204
    assert {answer.status_code for answer in answers} <= {200, 401}
    assert live_families(race_site, user_id) == 0
    survivors = [answer.json()["refresh"] for answer in answers if answer.status_code == 200]
    assert {refresh(race_site, token).status_code for token in survivors} <= {401}


def test_parallel_refreshes_of_one_token_leave_no_session(race_site, fake):
    """An app and a thief (here, sixteen of them) present the same refresh token at once.
    Runs on both databases."""
    person = Person(race_site, fake)
    session = person.sign_in()
    answers = at_once(*[lambda: refresh(race_site, session["refresh"]) for _ in range(16)])
    assert {answer.status_code for answer in answers} <= {200, 401}
    winners = [answer.json()["refresh"] for answer in answers if answer.status_code == 200]
    assert len(winners) <= 1  # one UPDATE wins; every other is a reuse ...
    assert live_families(race_site, session["user"]["id"]) == 0  # ... which ends the family
    assert {refresh(race_site, token).status_code for token in winners} <= {401}
