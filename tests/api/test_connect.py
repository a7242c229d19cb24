"""POST /connect: access token in, user and our JWT pair out (ACCESS_TOKEN_POLICY="any").

TikTok is the fake (tests/support/tiktok.py): tokens are ones it issued, refusals and
outages are its own answers and injected faults. One reply it cannot give is kept with
``responses``: a 400 ``invalid_params``, which TikTok sends only for a fields list the
plugin never builds.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.api import BASE, configure, error_of
from tests.support.replies import USER_INFO_URL, user_info_reply
from tests.support.tiktok import ALICE, BASIC_FIELDS
from tiktok_mobile_auth.models import TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _any_access_token(settings):
    """These tests are about raw access tokens, as the Strapi plugin took them: any live
    TikTok token is accepted. The default policy ("minted") is tested in
    test_connect_minted.py."""
    configure(settings, ACCESS_TOKEN_POLICY="any")


@pytest.fixture
def alice(tiktok) -> str:
    """An access token TikTok issued to Alice (user.info.basic)."""
    return tiktok.mint_token("open-alice")


def connect(api, token, **kwargs):
    return api.post(f"{BASE}/connect", {"access_token": token}, format="json", **kwargs)


def test_first_connect_creates_a_member_and_returns_tokens(api, tiktok, alice):
    response = connect(api, alice)

    assert response.status_code == 200
    body = response.json()
    user = User.objects.get()
    assert AccessToken(body["jwt"])["user_id"] == str(user.pk)
    assert body["refresh"]
    assert body["user"]["id"] == user.pk
    assert body["user"]["email"] == "Union-Alice-123@tiktok.com"  # the union_id as sent
    assert body["user"]["username"] == "Alice"
    assert body["user"]["provider"] == "tiktok"
    assert body["user"]["confirmed"] is True
    assert body["user"]["blocked"] is False
    assert body["user"]["role"] == "member"
    assert body["user"]["tiktok"]["union_id"] == "Union-Alice-123"
    assert body["user"]["tiktok"]["open_id"] == "open-alice"
    assert list(user.groups.values_list("name", flat=True)) == ["Members"]
    assert not user.has_usable_password()
    # What TikTok was sent: the token as a Bearer header, the basic fields.
    (sent,) = tiktok.sent("userinfo")
    assert sent["headers"]["Authorization"] == f"Bearer {alice}"
    assert sent["query"] == {"fields": "open_id,union_id,display_name,avatar_url"}


def test_second_connect_finds_the_same_user_and_refreshes_the_profile(api, tiktok, alice):
    first = connect(api, alice).json()
    tiktok.add_user(**{**ALICE, "display_name": "Alice Two"})
    second = connect(api, alice).json()

    assert first["user"]["id"] == second["user"]["id"]
    assert User.objects.count() == 1
    account = TikTokAccount.objects.get()
    assert account.display_name == "Alice Two"
    assert second["user"]["tiktok"]["display_name"] == "Alice Two"


@pytest.mark.parametrize("fmt", ["json", "multipart-as-form"])
def test_form_bodies_are_accepted(api, alice, fmt):
    if fmt == "json":
        response = connect(api, alice)
    else:
        response = api.post(
            f"{BASE}/connect",
            f"access_token={alice}",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"access_token": ""},
        {"access_token": 12345},
        {"access_token": ["a"]},
        {"access_token": {"x": 1}},
        {"access_token": "has space"},
        {"access_token": "é"},
        {"access_token": "a" * 5000},
        {"access_token": "act.\x00"},
    ],
)
def test_bad_bodies_get_400_and_never_reach_tiktok(api, tiktok, body):
    response = api.post(f"{BASE}/connect", body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["name"] == "ValidationError"
    assert error["details"]["code"] == "invalid_request"
    assert "access_token" in error["details"]["errors"]
    assert tiktok.sent() == []
    assert User.objects.count() == 0


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", b"null"])
def test_unparseable_or_non_object_json_gets_400(api, tiktok, raw):
    response = api.post(f"{BASE}/connect", raw, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["name"] == "ValidationError"


def test_unsupported_content_type_gets_415(api, tiktok):
    response = api.post(f"{BASE}/connect", b"<x/>", content_type="application/xml")
    assert response.status_code == 415
    assert error_of(response)["details"]["code"] == "unsupported_media_type"


def test_wrong_method_gets_405_in_the_envelope(api):
    response = api.get(f"{BASE}/connect")
    assert response.status_code == 405
    assert error_of(response)["name"] == "MethodNotAllowedError"


def test_a_token_tiktok_did_not_issue_gets_401(api, tiktok):
    response = connect(api, "act.never-issued")
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "tiktok_token_invalid"
    assert len(tiktok.sent("userinfo")) == 1
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"kind": "error200"}, 401, "tiktok_token_invalid"),  # a refusal in an HTTP 200
        ({"kind": "http500"}, 503, "tiktok_unavailable"),
        ({"kind": "http503"}, 503, "tiktok_unavailable"),
        ({"kind": "nonjson"}, 502, "tiktok_bad_response"),
        ({"kind": "wrong_shape"}, 502, "tiktok_bad_response"),  # {"data": "nope"}
        ({"kind": "wrong_shape", "body": ["a"]}, 502, "tiktok_bad_response"),
        (
            {"kind": "wrong_shape", "body": {"data": {}, "error": {"code": "ok"}}},
            502,
            "tiktok_bad_response",
        ),
        ({"kind": "close"}, 503, "tiktok_unavailable"),  # connection dropped, no reply
    ],
    ids=lambda value: value.get("kind") if isinstance(value, dict) else None,
)
def test_tiktok_failures_map_to_truthful_statuses(api, tiktok, alice, fault, status, code):
    tiktok.fault("userinfo", **fault)
    response = connect(api, alice)
    assert response.status_code == status
    assert error_of(response)["details"]["code"] == code
    assert User.objects.count() == 0
    assert TikTokAccount.objects.count() == 0


def test_an_invalid_params_error_is_tiktok_error(api, tiktok_http):
    """The fake answers invalid_params only for a fields list the plugin never sends, so
    this reply is written out."""
    tiktok_http.get(USER_INFO_URL, status=400, json=user_info_reply(code="invalid_params"))
    response = connect(api, "act.any")
    assert response.status_code == 502
    assert error_of(response)["details"]["code"] == "tiktok_error"


def test_tiktok_rate_limit_passes_retry_after_on(api, tiktok, alice):
    tiktok.fault("userinfo", "http429", retry_after=7)
    response = connect(api, alice)
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert len(tiktok.sent("userinfo")) == 1  # longer than MAX_RETRY_AFTER: not retried


def test_a_timeout_gives_503(api, tiktok, alice, settings):
    configure(settings, TIMEOUT=(1.0, 0.2))
    tiktok.fault("userinfo", "timeout", seconds=5)
    response = connect(api, alice)
    assert response.status_code == 503
    assert error_of(response)["details"]["code"] == "tiktok_unavailable"


def test_missing_union_id_is_refused_without_a_user(api, tiktok, alice):
    tiktok.fault("userinfo", "no_union_id")
    response = connect(api, alice)
    assert response.status_code == 502
    assert error_of(response)["details"]["code"] == "tiktok_union_id_missing"
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "squatted",
    ["Union-Alice-123@tiktok.com", "Union-Alice-123@TikTok.COM"],
    ids=["exact", "domain"],
)
def test_unlinked_user_holding_the_email_gets_409_and_nothing_is_linked(api, alice, squatted):
    User.objects.create_user("squatter", email=squatted, password="x")
    response = connect(api, alice)
    assert response.status_code == 409
    assert error_of(response)["details"]["code"] == "email_taken"
    assert TikTokAccount.objects.count() == 0
    assert User.objects.count() == 1


def test_union_ids_that_differ_only_in_case_are_two_users(api, tiktok, alice):
    # TikTok's union_id is opaque: "Union-Alice-123" and "union-alice-123" are two people.
    tiktok.add_user(**{**ALICE, "union_id": "union-alice-123", "open_id": "open-other"})
    other = tiktok.mint_token("open-other")
    first, second = connect(api, alice), connect(api, other)
    assert (first.status_code, second.status_code) == (200, 200), second.content
    assert first.json()["user"]["email"] == "Union-Alice-123@tiktok.com"
    assert second.json()["user"]["email"] == "union-alice-123@tiktok.com"
    assert first.json()["user"]["id"] != second.json()["user"]["id"]
    emails = set(User.objects.values_list("email", flat=True))
    assert emails == {"Union-Alice-123@tiktok.com", "union-alice-123@tiktok.com"}
    links = dict(TikTokAccount.objects.values_list("union_id", "user__email"))
    assert links == {
        "Union-Alice-123": "Union-Alice-123@tiktok.com",
        "union-alice-123": "union-alice-123@tiktok.com",
    }
    # Each finds their own user again: the lookup is exact.
    assert connect(api, alice).json()["user"]["id"] == first.json()["user"]["id"]
    assert connect(api, other).json()["user"]["id"] == second.json()["user"]["id"]
    assert User.objects.count() == 2


def test_a_case_variant_of_the_pseudo_email_is_not_a_conflict(api, alice):
    # Held by a user not linked to TikTok: not this TikTok user's address (the union_id is
    # case-sensitive), and users are found by the link, so the holder gains nothing.
    squatter = User.objects.create_user("squatter", email="UNION-ALICE-123@tiktok.com")
    response = connect(api, alice)
    assert response.status_code == 200
    assert response.json()["user"]["id"] != squatter.pk
    assert TikTokAccount.objects.get().user.email == "Union-Alice-123@tiktok.com"
    squatter.refresh_from_db()
    assert squatter.email == "UNION-ALICE-123@tiktok.com"
    assert not TikTokAccount.objects.filter(user=squatter).exists()


def test_blocked_user_gets_403(api, alice):
    connect(api, alice)
    User.objects.update(is_active=False)
    response = connect(api, alice)
    assert response.status_code == 403
    assert error_of(response)["details"]["code"] == "account_blocked"
    assert "jwt" not in response.json()


def test_registration_closed_refuses_new_users_but_not_existing_ones(api, tiktok, alice, settings):
    tiktok.add_user(**{**ALICE, "union_id": "other", "open_id": "open-other"})
    assert connect(api, alice).status_code == 200
    configure(settings, ALLOW_REGISTRATION=False)
    refused = connect(api, tiktok.mint_token("open-other"))
    assert refused.status_code == 403
    assert error_of(refused)["details"]["code"] == "registration_closed"
    assert connect(api, alice).status_code == 200
    assert User.objects.count() == 1


def test_editor_role_puts_new_users_in_wagtail_editors(api, alice, settings):
    configure(settings, DEFAULT_ROLE="editor")
    response = connect(api, alice)
    assert response.json()["user"]["role"] == "editor"
    user = User.objects.get()
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert user.has_perm("wagtailadmin.access_admin")


def test_a_request_field_cannot_choose_the_role(api, alice):
    body = {"access_token": alice, "role": "editor"}
    response = api.post(f"{BASE}/connect", body, format="json")
    assert response.json()["user"]["role"] == "member"
    assert not Group.objects.get(name="Editors").user_set.exists()


def test_usernames_are_unique_and_fall_back_from_handle_to_display_name(api, tiktok, alice):
    tiktok.add_user(**{**ALICE, "union_id": "u2", "open_id": "o2"})
    first = connect(api, alice).json()["user"]["username"]
    second = connect(api, tiktok.mint_token("o2")).json()["user"]["username"]
    assert first == "Alice"
    assert second.startswith("Alice_") and second != first


def test_profile_scope_asks_for_profile_fields_and_uses_the_handle(api, tiktok, settings):
    configure(settings, SCOPES=["user.info.basic", "user.info.profile"])
    tiktok.add_user(**{**ALICE, "username": "alice.tt", "bio_description": "hi"})
    token = tiktok.mint_token("open-alice", scope="user.info.basic,user.info.profile")
    response = connect(api, token)
    assert response.json()["user"]["username"] == "alice.tt"
    assert response.json()["user"]["tiktok"]["username"] == "alice.tt"
    fields = tiktok.sent("userinfo")[0]["query"]["fields"].split(",")
    assert {"username", "bio_description", "is_verified"} <= set(fields)


def test_a_token_without_the_profile_scope_falls_back_to_basic_fields(api, tiktok, alice, settings):
    configure(settings, SCOPES=["user.info.basic", "user.info.profile"])
    response = connect(api, alice)  # TikTok answers the profile fields 401 scope_not_authorized
    assert response.status_code == 200
    asked = [sent["query"]["fields"] for sent in tiktok.sent("userinfo")]
    assert len(asked) == 2 and "username" in asked[0]
    assert asked[1] == BASIC_FIELDS


def test_disabled_plugin_answers_404_in_the_envelope(api, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ENABLED": False}
    for response in (
        connect(api, "act.any"),
        api.get(f"{BASE}/me"),
        api.get(f"{BASE}/callback?code=x"),
    ):
        assert response.status_code == 404
        assert error_of(response)["details"]["code"] == "plugin_disabled"


def test_no_token_leaks_into_logs_but_tiktoks_log_id_is_logged(api, tiktok, caplog):
    with caplog.at_level(logging.DEBUG):
        connect(api, "act.secret-value")  # refused by TikTok, with a log_id
    assert "act.secret-value" not in caplog.text
    assert "fake-log-" in caplog.text


def test_a_stale_authorization_header_does_not_block_connect(api, alice):
    response = connect(api, alice, HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert response.status_code == 200
