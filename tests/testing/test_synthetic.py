"""The fake TikTok's synthetic users (load tests only): off by default, real rules when on."""

from __future__ import annotations

import pytest

from tiktok_mobile_auth.testing import State
from tiktok_mobile_auth.testing.__main__ import build_parser
from tiktok_mobile_auth.testing.model import (
    DEFAULT_CLIENT_KEY,
    DEFAULT_CLIENT_SECRET,
    ApiError,
    OAuthError,
)

FIELDS = "open_id,union_id,display_name"


def exchange(state: State, code: str) -> dict:
    form = {
        "client_key": DEFAULT_CLIENT_KEY,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://cms.example.com/callback",
    }
    return state.exchange_code(form)


def test_off_by_default_synthetic_tokens_and_codes_are_unknown():
    state = State()
    with pytest.raises(ApiError):
        state.user_info("act.synth.u1", FIELDS)
    with pytest.raises(OAuthError):
        exchange(state, "synth-code.u1")


def test_a_synthetic_token_names_its_user_and_always_the_same_one():
    state = State(synthesize_users=True)
    user = state.user_info("act.synth.u1", FIELDS)
    assert user == {
        "open_id": "fake-open-synth-u1",
        "union_id": "fake-union-synth-u1",
        "display_name": "Synth u1",
    }
    assert state.user_info("act.synth.u1", FIELDS) == user
    assert state.user_info("act.synth.u2", FIELDS)["union_id"] == "fake-union-synth-u2"
    with pytest.raises(ApiError):  # the usual rules still apply: fields need their scope
        state.user_info("act.synth.u1", "follower_count")
    with pytest.raises(ApiError):
        state.user_info("act.synth.", FIELDS)


def test_a_synthetic_code_is_exchanged_once_for_a_token_of_its_user():
    state = State(synthesize_users=True)
    grant = exchange(state, "synth-code.c1")
    assert grant["open_id"] == "fake-open-synth-c1"
    assert state.user_info(grant["access_token"], FIELDS)["union_id"] == "fake-union-synth-c1"
    with pytest.raises(OAuthError, match="used"):
        exchange(state, "synth-code.c1")


def test_the_command_line_switch():
    assert build_parser().parse_args(["--synthesize-users"]).synthesize_users is True
    assert build_parser().parse_args([]).synthesize_users is False
