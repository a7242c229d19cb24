"""POST /webhook: TikTok's signed authorization.removed event.

Refused (401) unless ``TikTok-Signature`` signs the raw body with our client secret within
five minutes; every correctly signed request gets 200, and applying one event twice (TikTok
delivers at least once, retrying for 72 hours) changes nothing the second time.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.support.api import BASE, configure, connect_code, error_of
from tests.support.tiktok import sign
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.models import SignInEvent, TikTokAccount, TikTokTokens
from tiktok_mobile_auth.signin import tiktok_token_store, webhooks
from tiktok_mobile_auth.tiktok import TokenGrant

pytestmark = pytest.mark.django_db
User = get_user_model()
SECRET = "test-client-secret"
URL = f"{BASE}/webhook"
REMOVED_AT = 1_800_000_000  # the event's create_time


@pytest.fixture
def now(monkeypatch) -> float:
    """Our clock, a little after the event was created."""
    current = float(REMOVED_AT + 30)
    monkeypatch.setattr(webhooks, "_now", lambda: current)
    return current


@pytest.fixture
def account(db, settings) -> TikTokAccount:
    """Alice's account with stored tokens obtained (and a sign-in) before the event."""
    configure(settings, STORE_TOKENS=True)
    user = User.objects.create(username="alice", email="a@example.com")
    account = TikTokAccount.objects.create(user=user, union_id="union-a", open_id="open-alice")
    before = datetime.fromtimestamp(REMOVED_AT - 3600, tz=UTC)
    grant = TokenGrant("act.a", open_id="open-alice", scopes=(), expires_in=7200)
    tiktok_token_store.save_grant(account, grant, get_config(), received_at=before)
    SignInEvent.objects.create(account=account, union_id="union-a", outcome="success")
    SignInEvent.objects.update(created_at=before)
    return account


def event(**overrides) -> dict:
    return {
        "client_key": "test-client-key",
        "event": "authorization.removed",
        "create_time": REMOVED_AT,
        "user_openid": "open-alice",
        "content": json.dumps({"reason": 1}),
        **overrides,
    }


def send(raw: bytes | dict, header: str | None = None, *, at: float | None = None):
    """POST ``raw`` (a dict is JSON-encoded) signed at ``at`` (or with ``header``)."""
    raw = json.dumps(raw).encode() if isinstance(raw, dict) else raw
    if header is None:
        header = sign(raw, at if at is not None else webhooks._now())
    extra = {"HTTP_TIKTOK_SIGNATURE": header} if header else {}
    # A plain client with CSRF checks on: TikTok sends no cookie and no CSRF token.
    browser = Client(enforce_csrf_checks=True)
    return browser.post(URL, data=raw, content_type="application/json", **extra)


def result_of(response) -> str:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["received"] is True
    return body["result"]


def unchanged(account: TikTokAccount) -> bool:
    account.refresh_from_db()
    return account.deauthorized_at is None and TikTokTokens.objects.filter(account=account).exists()


# -- the effect ------------------------------------------------------------------------------


def test_a_removal_drops_the_tokens_and_marks_the_account(api, account, now):
    assert result_of(send(event())) == "applied"

    account.refresh_from_db()
    assert account.deauthorized_at == datetime.fromtimestamp(REMOVED_AT, tz=UTC)
    assert account.deauthorized_reason == 1
    assert not TikTokTokens.objects.exists()
    assert User.objects.filter(pk=account.user_id, is_active=True).exists()


def test_me_shows_the_account_deauthorized(api, account, now):
    from tiktok_mobile_auth.signin.jwt_tokens import start_family

    jwt = start_family(account.user)["jwt"]
    me = api.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {jwt}")
    assert me.json()["tiktok"]["deauthorized"] is False
    result_of(send(event()))
    me = api.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {jwt}")
    assert me.json()["tiktok"]["deauthorized"] is True


def test_a_repeated_delivery_is_a_no_op(account, now):
    raw = json.dumps(event(content=json.dumps({"reason": 2}))).encode()
    assert result_of(send(raw)) == "applied"
    account.refresh_from_db()
    marked = (account.deauthorized_at, account.deauthorized_reason, account.updated_at)

    assert result_of(send(raw)) == "duplicate"
    assert result_of(send(raw, at=now + 60)) == "duplicate"  # a retry, signed again later
    account.refresh_from_db()
    assert (account.deauthorized_at, account.deauthorized_reason, account.updated_at) == marked


def test_an_older_event_does_not_overwrite_a_newer_one(account, now):
    result_of(send(event(content=json.dumps({"reason": 4}))))
    assert result_of(send(event(create_time=REMOVED_AT - 10))) == "ignored"
    account.refresh_from_db()
    assert account.deauthorized_reason == 4


@pytest.mark.parametrize(("seconds_after", "result"), [(1, "ignored"), (0.5, "applied")])
def test_a_late_retry_after_a_new_sign_in_keeps_the_new_authorization(
    account, now, seconds_after, result
):
    # create_time has whole seconds: a sign-in within the same second cannot be told to be
    # after the removal, and does not stop it.
    signed_in_at = datetime.fromtimestamp(REMOVED_AT + seconds_after, tz=UTC)
    new = SignInEvent.objects.create(account=account, union_id="union-a", outcome="success")
    SignInEvent.objects.filter(pk=new.pk).update(created_at=signed_in_at)
    assert result_of(send(event())) == result
    assert unchanged(account) is (result == "ignored")


def test_tokens_obtained_after_the_event_are_kept(account, now):
    after = datetime.fromtimestamp(REMOVED_AT + 10, tz=UTC)
    TikTokTokens.objects.update(obtained_at=after)
    assert result_of(send(event())) == "ignored"
    assert unchanged(account)


def test_the_next_sign_in_clears_the_mark(api, tiktok, account, now):
    result_of(send(event()))
    account.union_id = "Union-Alice-123"  # Alice's union_id at the fake TikTok
    account.save()
    response = connect_code(api, code=tiktok.code("open-alice"))
    assert response.status_code == 200
    assert response.json()["user"]["tiktok"]["deauthorized"] is False
    account.refresh_from_db()
    assert (account.deauthorized_at, account.deauthorized_reason) == (None, None)
    assert TikTokTokens.objects.filter(account=account).exists()


def test_accounts_found_through_their_stored_tokens_open_id(account, now):
    # Signed in last through another client key of the same developer: the account's
    # open_id is that app's, the stored grant's is ours.
    TikTokAccount.objects.update(open_id="open-alice-other-app")
    assert result_of(send(event())) == "applied"
    assert not TikTokTokens.objects.exists()


# -- signatures ---------------------------------------------------------------------------


def test_the_raw_bytes_are_verified_not_the_json_they_hold(account, now):
    raw = json.dumps(event(), indent=2).encode()
    assert result_of(send(raw)) == "applied"
    reformatted = json.dumps(json.loads(raw)).encode()  # same JSON, other bytes
    response = send(reformatted, sign(raw, now))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        None,
        "garbage",
        "t=,s=",
        f"s={'a' * 64}",
        "t=1800000030",
        "t=1800000030,s=zz",
        f"t=soon,s={'a' * 64}",
        f"t=1800000030,s={'a' * 64}",  # well formed, wrong
    ],
)
def test_a_missing_malformed_or_wrong_signature_is_401(account, now, header):
    raw = json.dumps(event()).encode()
    response = send(raw, header or "")
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "webhook_signature_invalid"
    assert unchanged(account)


def test_a_body_signed_with_another_secret_is_401(account, now):
    raw = json.dumps(event()).encode()
    response = send(raw, sign(raw, now, secret="not-our-secret"))
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "webhook_signature_invalid"
    assert unchanged(account)


def test_an_upper_case_hex_signature_is_accepted(account, now):
    raw = json.dumps(event()).encode()
    timestamp, _, digest = sign(raw, now).partition(",s=")
    assert result_of(send(raw, f"{timestamp},s={digest.upper()}")) == "applied"


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-301, False), (301, False), (-299, True), (299, True)]
)
def test_the_signature_timestamp_must_be_within_five_minutes(account, now, offset, accepted):
    response = send(event(), at=now + offset)
    if accepted:
        assert result_of(response) == "applied"
    else:
        assert response.status_code == 401
        assert error_of(response)["details"]["code"] == "webhook_signature_expired"
        assert unchanged(account)


def test_without_credentials_nothing_is_verified(account, now, settings):
    configure(settings, CLIENT_SECRET="")
    raw = json.dumps(event()).encode()
    response = send(raw, sign(raw, now, secret=""))  # anyone can sign with an empty key
    assert response.status_code == 503
    assert error_of(response)["details"]["code"] == "server_misconfigured"
    assert unchanged(account)


# -- what a signed request may hold -------------------------------------------------------------


def refused_as_malformed(response, account: TikTokAccount) -> dict:
    """A 400 ``invalid_request`` envelope, and nothing changed."""
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["name"] == "ValidationError"
    assert error["details"]["code"] == "invalid_request"
    assert unchanged(account)
    account.refresh_from_db()
    assert account.deauthorized_reason is None
    return error


def without(name: str) -> dict:
    return {k: v for k, v in event().items() if k != name}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b"[" * 5000,
        b'{"client_key": 1' + b"0" * 5000 + b"}",  # past Python's int-parsing limit
        json.dumps(event(user_openid="")).encode(),
        json.dumps(without("event")).encode(),
        json.dumps(without("create_time")).encode(),
        json.dumps(event(create_time="yesterday")).encode(),
        json.dumps(event(create_time=10**20)).encode(),
        json.dumps(event(create_time=-1)).encode(),
        json.dumps(event(create_time=-(10**20))).encode(),
        json.dumps(event(create_time=253_402_300_799)).encode(),  # overflowed at + 1 s
        json.dumps(event(create_time=float(REMOVED_AT))).encode(),
        json.dumps(event(create_time=True)).encode(),
        json.dumps(event(create_time=None)).encode(),
        json.dumps(event(client_key="t\u00e9st-client-key")).encode(),  # TypeError before
        json.dumps(event(client_key="\u0000")).encode(),
        json.dumps(event(client_key=123)).encode(),
        json.dumps(event(client_key=["test-client-key"])).encode(),
        json.dumps(event(event={"name": "authorization.removed"})).encode(),
        json.dumps(event(user_openid="open-alice\u0000")).encode(),  # PostgreSQL refuses NUL
        json.dumps(event(user_openid="x" * 256)).encode(),
        json.dumps(event(user_openid=None)).encode(),
    ],
    ids=[
        "text",
        "binary",
        "array",
        "deep",
        "huge-int",
        "no-user",
        "no-event",
        "no-time",
        "time-text",
        "time-huge",
        "time-negative",
        "time-huge-negative",
        "time-year-9999",
        "time-float",
        "time-bool",
        "time-null",
        "key-non-ascii",
        "key-nul",
        "key-number",
        "key-list",
        "event-object",
        "user-nul",
        "user-long",
        "user-null",
    ],
)
def test_a_signed_body_that_is_not_the_documented_event_is_400(account, now, raw, caplog):
    with caplog.at_level(logging.ERROR, logger="tiktok_mobile_auth"):
        refused_as_malformed(send(raw), account)
    assert "not the documented event" in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps([1]),
        json.dumps("a string in a string"),
        json.dumps({"reason": "x"}),
        json.dumps({"reason": 1.5}),
        json.dumps({"reason": True}),
        json.dumps({"reason": None}),
        5,
        [1],
        True,
    ],
)
def test_a_removal_whose_content_is_malformed_is_400(account, now, content):
    refused_as_malformed(send(event(content=content)), account)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, 0),
        (json.dumps({}), 0),
        (json.dumps({"reason": 99999}), 0),  # a number, out of the column's range
        (json.dumps({"reason": -1}), 0),
        (json.dumps({"reason": 6, "extra": [1]}), 6),  # a reason TikTok may add later
    ],
)
def test_a_removal_without_a_usable_reason_is_applied_as_unknown(account, now, content, reason):
    assert result_of(send(event(content=content))) == "applied"
    account.refresh_from_db()
    assert account.deauthorized_reason == reason


def test_a_removal_without_content_is_applied_as_unknown(account, now):
    assert result_of(send(without("content"))) == "applied"
    account.refresh_from_db()
    assert account.deauthorized_reason == 0


def test_create_time_as_digits_is_read(account, now):
    assert result_of(send(event(create_time=str(REMOVED_AT)))) == "applied"
    account.refresh_from_db()
    assert account.deauthorized_at == datetime.fromtimestamp(REMOVED_AT, tz=UTC)


def test_the_last_accepted_second_does_not_overflow(account, now):
    # The latest create_time accepted: the +1 s of the re-authorization check still fits.
    assert result_of(send(event(create_time=webhooks._MAX_SECONDS))) == "applied"


def test_another_event_is_not_checked_for_a_removals_content(account, now):
    other = event(event="video.publish.completed", content={"publish_id": "v1"})
    assert result_of(send(other)) == "ignored"
    assert unchanged(account)


def test_content_as_an_object_is_read_too(account, now):
    assert result_of(send(event(content={"reason": 4}))) == "applied"
    account.refresh_from_db()
    assert account.deauthorized_reason == 4


def test_a_malformed_body_for_another_client_key_is_400_too(account, now):
    refused_as_malformed(send(event(client_key="someone-else", create_time=-5)), account)


def test_another_apps_client_key_is_ignored(account, now):
    assert result_of(send(event(client_key="someone-else"))) == "ignored"
    assert unchanged(account)


def test_an_unknown_event_is_ignored_and_logged(account, now, caplog):
    with caplog.at_level(logging.INFO, logger="tiktok_mobile_auth"):
        assert result_of(send(event(event="video.publish.completed"))) == "ignored"
    assert "video.publish.completed" in caplog.text
    assert unchanged(account)


def test_an_unknown_user_is_ignored(account, now):
    assert result_of(send(event(user_openid="open-nobody"))) == "ignored"
    assert unchanged(account)


def test_a_body_over_the_limit_is_413_before_it_is_read(account, now, settings):
    configure(settings, MAX_REQUEST_BYTES=1024)
    raw = json.dumps(event(padding="x" * 2000)).encode()
    response = send(raw)
    assert response.status_code == 413
    assert error_of(response)["details"]["code"] == "payload_too_large"
    assert unchanged(account)


def test_only_post_is_allowed(now):
    response = Client().get(URL)
    assert response.status_code == 405


def test_the_webhook_is_throttled(account, now, settings):
    configure(settings, THROTTLE_RATES={"webhook": "1/min"})
    assert result_of(send(event())) == "applied"
    response = send(event())
    assert response.status_code == 429
    assert error_of(response)["details"]["code"] == "throttled"
