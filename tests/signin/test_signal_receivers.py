"""Host projects' ``signed_in`` receivers, as a real request runs them (autocommit).

``django_db(transaction=True)``: the default test wrapper would run the request inside a
transaction, turning a receiver's ``atomic()`` into a savepoint and hiding what a host
meets in production. Both databases: the SQLite pass runs them on SQLite, the services pass
on PostgreSQL (where a receiver once met the sign-in's psycopg pipeline and answered 500).
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from tests.support.api import BASE
from tests.support.tiktok import mint
from tiktok_mobile_auth import signals
from tiktok_mobile_auth.models import RefreshTokenFamily, SignInEvent, TikTokAccount

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


@pytest.fixture
def receiver():
    """Connect a host receiver for the test: ``receiver(fn)``; disconnected afterwards."""
    connected = []

    def connect(fn):
        signals.signed_in.connect(fn, dispatch_uid=f"host-{len(connected)}")
        connected.append(f"host-{len(connected)}")

    yield connect
    for uid in connected:
        signals.signed_in.disconnect(dispatch_uid=uid)


def connect_alice(api, tiktok):
    """Alice connects with a token TikTok issued her and this server obtained."""
    token = tiktok.mint_token("open-alice")
    mint(token)
    return api.post(f"{BASE}/connect", {"access_token": token}, format="json")


def test_a_receiver_runs_after_the_commit_and_may_open_its_own_transaction(api, tiktok, receiver):
    seen = {}

    def host(sender, user, account, created, flow, request, **_):
        seen["in_transaction"] = connection.in_atomic_block
        # What hosts do: their own transaction, a row lock, an update_or_create.
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            locked.first_name = "Seen by host"
            locked.save(update_fields=["first_name"])
        seen["committed"] = (
            RefreshTokenFamily.objects.filter(user=user).count(),
            SignInEvent.objects.filter(account=account, outcome="success").count(),
        )
        seen["flow"], seen["created"] = flow, created

    receiver(host)
    response = connect_alice(api, tiktok)
    assert response.status_code == 200
    assert seen == {
        "in_transaction": False,
        "committed": (1, 1),  # the sign-in had committed when the host was told
        "flow": "access_token",
        "created": True,
    }
    assert User.objects.get().first_name == "Seen by host"


def test_a_failing_receiver_is_logged_and_the_sign_in_stands(api, tiktok, receiver, caplog):
    def broken(sender, **_):
        raise RuntimeError("host bug")

    receiver(broken)
    with caplog.at_level(logging.ERROR, logger="tiktok_mobile_auth"):
        response = connect_alice(api, tiktok)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"jwt", "refresh", "user"}
    # What was committed is exactly one sign-in with live tokens, no more, no less.
    assert SignInEvent.objects.filter(outcome="success").count() == 1
    assert RefreshTokenFamily.objects.filter(revoked_at__isnull=True).count() == 1
    refreshed = api.post(f"{BASE}/token/refresh", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 200
    assert "signed_in receiver" in caplog.text and "host bug" in caplog.text
    assert body["refresh"] not in caplog.text and "act.x" not in caplog.text


def test_a_refused_sign_in_records_nothing_as_success(api, tiktok):
    connect_alice(api, tiktok)
    User.objects.update(is_active=False)
    response = connect_alice(api, tiktok)
    assert response.status_code == 403
    outcomes = list(SignInEvent.objects.order_by("pk").values_list("outcome", "code"))
    assert outcomes == [("success", "signed_up"), ("failure", "account_blocked")]
    assert RefreshTokenFamily.objects.count() == 1
    assert TikTokAccount.objects.count() == 1


def test_a_hosts_atomic_requests_do_not_wrap_the_sign_in(api, tiktok, receiver, monkeypatch):
    """A host with ATOMIC_REQUESTS still gets signed_in after the commit, outside any
    transaction: the plugin's views opt out of the request-wide transaction."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    seen = []

    def host(sender, **_):
        seen.append(connection.in_atomic_block)

    receiver(host)
    assert connect_alice(api, tiktok).status_code == 200
    assert seen == [False]
