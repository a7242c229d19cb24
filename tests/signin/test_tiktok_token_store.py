"""STORE_TOKENS: TikTok's tokens kept encrypted per account, refreshed before they expire.

What is stored by each flow (code flow, callback then connect, nothing when off), that no
token is readable at rest, the refresh margin, rotation, and what each refresh failure does
to the stored row. TikTok is the fake, its clock frozen where lifetimes are compared; one
reply is written out: a refresh answered without a new refresh token, which the fake (as
TikTok today) never sends.
"""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from tests.support.api import BASE, app_code, configure, connect_code
from tests.support.replies import TOKEN_URL, token_reply
from tests.support.web import come_back, existing, start
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.exceptions import NotConfigured, TokensUnavailable
from tiktok_mobile_auth.models import MintedToken, TikTokAccount, TikTokTokens
from tiktok_mobile_auth.signin import minted_tokens, tiktok_token_store
from tiktok_mobile_auth.storage import crypto, records
from tiktok_mobile_auth.tiktok import TikTokUnavailable, TokenGrant

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def clock(monkeypatch):
    """records.now(), frozen; move it with ``clock.now += timedelta(...)``."""

    class Clock:
        now = records.now().replace(microsecond=0)

    monkeypatch.setattr(records, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def account(db) -> TikTokAccount:
    user = User.objects.create(username="alice", email="a@example.com")
    return TikTokAccount.objects.create(user=user, union_id="union-a", open_id="open-alice")


def grant(access_token: str = "act.old", **values) -> TokenGrant:
    fields = {
        "open_id": "open-alice",
        "scopes": ("user.info.basic",),
        "expires_in": 7200,
        "refresh_token": "rft.old",
        "refresh_expires_in": 15552000,
        **values,
    }
    return TokenGrant(access_token, **fields)


def store(account, **values) -> None:
    tiktok_token_store.save_grant(account, grant(**values), get_config())


def store_issued(account, tiktok, **values) -> dict:
    """Store a pair TikTok issued Alice (so TikTok will refresh it); its token body."""
    pair = tiktok.token_pair("open-alice")
    store(account, access_token=pair["access_token"], refresh_token=pair["refresh_token"], **values)
    return pair


@pytest.fixture
def tiktok_clock(tiktok) -> float:
    """TikTok's clock, frozen: the lifetimes it answers with are exact."""
    frozen = 1_800_000_000.0
    tiktok.state.clock = lambda: frozen
    return frozen


def used_access_token(tiktok) -> str:
    """The access token our server fetched the profile with."""
    return tiktok.sent("userinfo")[-1]["headers"]["Authorization"].removeprefix("Bearer ")


def decrypted(row: TikTokTokens) -> tuple[str, str]:
    return crypto.decrypt(row.access_token_encrypted), crypto.decrypt(row.refresh_token_encrypted)


# -- what is stored, and when ------------------------------------------------------------


def test_the_code_flow_stores_the_grant_with_tiktoks_lifetimes(
    api, tiktok, tiktok_clock, store_tokens, clock
):
    tiktok.configure(access_expires_in=7200, refresh_expires_in=15552000)
    assert connect_code(api, code=app_code(tiktok)).status_code == 200

    row = TikTokTokens.objects.get()
    assert row.account == TikTokAccount.objects.get()
    access, refresh = decrypted(row)
    assert access == used_access_token(tiktok)
    assert tiktok.takes_refresh_token(refresh)
    assert row.access_expires_at == clock.now + timedelta(seconds=7200)
    assert row.refresh_expires_at == clock.now + timedelta(seconds=15552000)
    assert row.obtained_at == clock.now
    assert (row.open_id, row.scopes, row.refreshed_at) == ("open-alice", "user.info.basic", None)


def test_nothing_is_stored_by_default(api, tiktok):
    assert connect_code(api, code=app_code(tiktok)).status_code == 200
    assert not TikTokTokens.objects.exists()


def test_the_admin_sign_in_stores_the_grant_and_stashes_nothing(client, tiktok, store_tokens):
    account = existing("editor")
    assert come_back(client, start(client), tiktok).status_code == 302
    access, refresh = decrypted(TikTokTokens.objects.get(account=account))
    # The pair TikTok issued: the profile was fetched with that access token, and TikTok
    # still honours that refresh token.
    assert tiktok.sent("userinfo")[0]["headers"]["Authorization"] == f"Bearer {access}"
    credentials = {"client_key": "test-client-key", "client_secret": "test-client-secret"}
    rotated = tiktok.state.refresh({**credentials, "refresh_token": refresh})
    assert rotated["open_id"] == "open-alice"
    assert MintedToken.objects.exclude(grant_encrypted="").count() == 0


def test_a_new_grant_replaces_the_stored_one(account, store_tokens, clock):
    store(account)
    clock.now += timedelta(days=1)
    store(account, access_token="act.second", refresh_token="rft.second")
    row = TikTokTokens.objects.get()
    assert decrypted(row) == ("act.second", "rft.second")
    assert row.obtained_at == clock.now


def test_no_token_can_be_read_from_the_database(api, tiktok, store_tokens):
    assert connect_code(api, code=app_code(tiktok)).status_code == 200
    access, refresh = decrypted(TikTokTokens.objects.get())
    assert access == used_access_token(tiktok)  # the pair TikTok issued, as kept

    dump = io.StringIO()
    call_command("dumpdata", "tiktok_mobile_auth", stdout=dump)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tiktok_mobile_auth_tiktoktokens")
        raw_rows = repr(cursor.fetchall())
    for text in (dump.getvalue(), raw_rows):
        assert access not in text
        assert refresh not in text
    assert "tiktok_mobile_auth.tiktoktokens" in dump.getvalue()  # the row is in the dump


@pytest.mark.parametrize("where", ["database", "cache"])
def test_the_callback_grant_is_stored_when_connect_names_its_account(
    client, api, tiktok, settings, store_tokens, where
):
    configure(settings, ALLOW_APP_STATE=True, STORAGE=where)
    code = tiktok.code("open-alice")
    back = client.get(f"{BASE}/callback", {"code": code, "scopes": "user.info.basic"})
    token = parse_qs(urlsplit(back["Location"]).query)["access_token"][0]
    assert not TikTokTokens.objects.exists()  # the callback does not know the account
    stash = cache.get(tiktok_token_store._stash_key(records.digest(token))) or (
        MintedToken.objects.get().grant_encrypted
    )

    for _ in range(2):  # a second connect with the same token finds the stash spent
        response = api.post(f"{BASE}/connect", {"access_token": token}, format="json")
        assert response.status_code == 200

    access, refresh = decrypted(TikTokTokens.objects.get())
    assert access == token
    # What the callback kept meanwhile was encrypted.
    assert refresh not in stash
    assert refresh in crypto.decrypt(stash)
    assert tiktok.takes_refresh_token(refresh)
    assert tiktok_token_store._take_stash(token, get_config()) is None


def test_a_stashed_grant_of_another_open_id_is_not_stored(account, store_tokens, clock):
    config = get_config()
    stashed = grant(access_token="act.bob", open_id="open-bob")
    minted_tokens.record(stashed, config)
    tiktok_token_store.stash_grant(stashed, config)
    assert tiktok_token_store.take_stashed("act.bob", account.open_id, config) is None
    assert not TikTokTokens.objects.exists()
    assert tiktok_token_store._take_stash("act.bob", config) is None  # spent all the same


def test_store_tokens_off_stashes_nothing(client, tiktok, settings):
    configure(settings, ALLOW_APP_STATE=True, STORAGE="database")
    code = tiktok.code("open-alice")
    client.get(f"{BASE}/callback", {"code": code, "scopes": "user.info.basic"})
    assert MintedToken.objects.get().grant_encrypted == ""


# -- valid_access_token: the margin and the refresh ------------------------------------------


@pytest.mark.parametrize(("seconds_left", "refreshes"), [(3600, False), (301, False), (299, True)])
def test_the_token_is_refreshed_only_inside_the_five_minute_margin(
    account, tiktok, store_tokens, clock, seconds_left, refreshes
):
    old = store_issued(account, tiktok, expires_in=seconds_left)["access_token"]
    token = tiktok_token_store.valid_access_token(account)
    assert (token != old) is refreshes
    assert tiktok.holder_of(token) == "open-alice"
    assert len(tiktok.sent("token")) == int(refreshes)


def test_a_refresh_stores_the_rotated_pair_atomically(
    account, tiktok, tiktok_clock, store_tokens, clock
):
    tiktok.configure(access_expires_in=7200, refresh_expires_in=999)
    old = store_issued(account, tiktok, expires_in=60)
    obtained = clock.now
    clock.now += timedelta(hours=1)

    new = tiktok_token_store.valid_access_token(account)
    assert new != old["access_token"] and tiktok.holder_of(new) == "open-alice"
    assert tiktok.sent_form("token")["refresh_token"] == [old["refresh_token"]]
    row = TikTokTokens.objects.get()
    access, refresh = decrypted(row)
    assert access == new
    assert not tiktok.takes_refresh_token(old["refresh_token"])  # TikTok rotated it ...
    assert tiktok.takes_refresh_token(refresh)  # ... into the one stored
    assert row.access_expires_at == clock.now + timedelta(seconds=7200)
    assert row.refresh_expires_at == clock.now + timedelta(seconds=999)
    assert row.refreshed_at == clock.now
    assert row.obtained_at == obtained  # a refresh is not a new authorization
    # The next call uses the stored token: TikTok is not asked again.
    assert tiktok_token_store.valid_access_token(account) == new
    assert len(tiktok.sent("token")) == 1


def test_a_reply_without_a_refresh_token_keeps_ours(account, tiktok_http, store_tokens, clock):
    """Written out: TikTok documents the refresh token as rotated, so the fake always sends
    one; a reply without it must still leave a usable row."""
    store(account, expires_in=0)
    reply = token_reply(access_token="act.new")
    del reply["refresh_token"], reply["refresh_expires_in"]
    tiktok_http.post(TOKEN_URL, json=reply)
    assert tiktok_token_store.valid_access_token(account) == "act.new"
    row = TikTokTokens.objects.get()
    assert decrypted(row) == ("act.new", "rft.old")
    assert row.refresh_expires_at == clock.now + timedelta(seconds=15552000)


def test_a_grant_without_expires_in_is_refreshed_on_first_use(account, tiktok, store_tokens):
    old = store_issued(account, tiktok, expires_in=0)  # TikTok left it out: assume nothing
    new = tiktok_token_store.valid_access_token(account)
    assert new != old["access_token"] and tiktok.holder_of(new) == "open-alice"


def test_a_worker_that_waited_for_the_lock_uses_the_token_refreshed_meanwhile(
    account, tiktok, store_tokens, clock
):
    # valid_access_token saw an expiring token; by the time the lock is granted another
    # worker has stored a fresh pair: it must be used, not refreshed (and rotated) again.
    store(account, access_token="act.fresh", expires_in=7200)
    assert tiktok_token_store._refresh_locked(account, get_config()) == "act.fresh"
    assert tiktok.sent() == []


@pytest.mark.parametrize("refusal", ["http400", "http200"])
def test_a_refused_refresh_drops_the_tokens(account, tiktok, store_tokens, clock, refusal):
    if refusal == "http400":
        store(account, expires_in=0)  # a refresh token TikTok does not know (any more)
    else:
        store_issued(account, tiktok, expires_in=0)
        tiktok.fault("token", "error200")  # invalid_grant inside an HTTP 200
    with pytest.raises(TokensUnavailable):
        tiktok_token_store.valid_access_token(account)
    assert not TikTokTokens.objects.exists()
    assert TikTokAccount.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize("fault", ["http503", "close"])
def test_an_unreachable_tiktok_changes_nothing(account, tiktok, store_tokens, clock, fault):
    store_issued(account, tiktok, expires_in=0)
    before = TikTokTokens.objects.values().get()
    tiktok.fault("token", fault)
    with pytest.raises(TikTokUnavailable):
        tiktok_token_store.valid_access_token(account)
    assert TikTokTokens.objects.values().get() == before


def test_tiktok_refusing_our_credentials_is_a_configuration_error(
    account, tiktok, store_tokens, clock, settings
):
    store_issued(account, tiktok, expires_in=0)
    configure(settings, CLIENT_SECRET="not-the-secret-tiktok-knows")
    with pytest.raises(NotConfigured):
        tiktok_token_store.valid_access_token(account)
    assert TikTokTokens.objects.exists()  # not the user's fault: kept


def test_an_expired_refresh_token_is_dropped_without_calling_tiktok(
    account, tiktok, store_tokens, clock
):
    store(account, expires_in=7200, refresh_expires_in=86400)
    clock.now += timedelta(days=2)
    with pytest.raises(TokensUnavailable):
        tiktok_token_store.valid_access_token(account)
    assert tiktok.sent() == []
    assert not TikTokTokens.objects.exists()


def test_no_stored_token_is_tokens_unavailable(account):
    with pytest.raises(TokensUnavailable) as caught:
        tiktok_token_store.valid_access_token(account)
    assert caught.value.code == "tiktok_reauthorization_required"


def test_the_reencrypt_command_rotates_stored_tokens(account, store_tokens, settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    configure(settings, ENCRYPTION_KEYS=[old])
    store(account)
    configure(settings, ENCRYPTION_KEYS=[new, old])
    call_command("tiktok_reencrypt", stdout=io.StringIO())
    configure(settings, ENCRYPTION_KEYS=[new])
    assert decrypted(TikTokTokens.objects.get()) == ("act.old", "rft.old")
