"""The record of the TikTok access tokens this server obtained, in both stores."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache

from tests.support.api import configure
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.exceptions import TokenNotIssuedHere
from tiktok_mobile_auth.models import MintedToken
from tiktok_mobile_auth.signin import minted_tokens
from tiktok_mobile_auth.tiktok import TokenGrant

pytestmark = pytest.mark.django_db


def grant(token="act.ours", open_id="open-alice", expires_in=3600) -> TokenGrant:
    return TokenGrant(token, open_id=open_id, scopes=(), expires_in=expires_in)


@pytest.fixture
def config(storage_config):
    return storage_config


def test_a_recorded_token_gives_its_open_id(config):
    minted_tokens.record(grant(), config)
    assert minted_tokens.lookup("act.ours", config).open_id == "open-alice"


def test_an_unknown_token_is_not_issued_here(config):
    minted_tokens.record(grant(), config)
    with pytest.raises(TokenNotIssuedHere) as caught:
        minted_tokens.lookup("act.someone-elses", config)
    assert caught.value.code == "tiktok_token_not_issued_here"


def test_a_token_is_accepted_only_until_tiktoks_expires_in(config, clock):
    minted_tokens.record(grant(expires_in=7200), config)
    clock(7190)
    assert minted_tokens.lookup("act.ours", config).open_id == "open-alice"
    clock(20)
    with pytest.raises(TokenNotIssuedHere):
        minted_tokens.lookup("act.ours", config)


def test_without_expires_in_the_shortest_documented_lifetime_applies(config, clock):
    minted_tokens.record(grant(expires_in=0), config)
    clock(minted_tokens.FALLBACK_LIFETIME - 10)
    assert minted_tokens.lookup("act.ours", config).open_id
    clock(20)
    with pytest.raises(TokenNotIssuedHere):
        minted_tokens.lookup("act.ours", config)


def test_recording_the_same_token_twice_is_harmless(config):
    minted_tokens.record(grant(), config)
    minted_tokens.record(grant(open_id="open-alice"), config)
    assert minted_tokens.lookup("act.ours", config).open_id == "open-alice"


def test_only_a_hash_is_stored(settings):
    configure(settings, STORAGE="database")
    minted_tokens.record(grant(), get_config())
    row = MintedToken.objects.get()
    assert row.token_hash == hashlib.sha256(b"act.ours").hexdigest()
    assert "act.ours" not in str(MintedToken.objects.values().get())
    configure(settings, STORAGE="cache")
    minted_tokens.record(grant(), get_config())
    assert cache.get(f"tiktok_mobile_auth:minted:{row.token_hash}")[0] == "open-alice"
    if hasattr(cache, "_cache"):  # LocMemCache
        assert not any("act.ours" in key for key in cache._cache)


def test_expired_rows_are_pruned_by_the_next_record(settings, clock):
    configure(settings, STORAGE="database")
    config = get_config()
    minted_tokens.record(grant("act.old", expires_in=60), config)
    minted_tokens.record(grant("act.long", expires_in=86400), config)
    clock(120)
    minted_tokens.record(grant("act.new"), config)
    assert MintedToken.objects.count() == 2
    with pytest.raises(TokenNotIssuedHere):
        minted_tokens.lookup("act.old", config)


def test_the_granted_scopes_are_kept_with_the_record(config):
    grant = TokenGrant(
        "act.scoped",
        open_id="open-alice",
        scopes=("user.info.basic", "user.info.profile"),
        expires_in=3600,
    )
    minted_tokens.record(grant, config)
    recorded = minted_tokens.lookup("act.scoped", config)
    assert recorded == minted_tokens.MintedGrant(
        "open-alice", ("user.info.basic", "user.info.profile")
    )
