"""POST /connect: access token in, user and our JWT pair out (ACCESS_TOKEN_POLICY="any")."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.api import BASE, error_of
from tests.support.replies import USER_INFO_URL, user_info_reply
from tests.support.tiktok import ALICE
from tiktok_mobile_auth.models import TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _any_access_token(settings):
    """These tests are about raw access tokens, as the Strapi plugin took them: any live
    TikTok token is accepted. The default policy ("minted") is tested in
    test_connect_minted.py."""
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ACCESS_TOKEN_POLICY": "any"}


def connect(api, token="act.good-token", **kwargs):
    return api.post(f"{BASE}/connect", {"access_token": token}, format="json", **kwargs)


def test_first_connect_creates_a_member_and_returns_tokens(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect(api)

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
    sent = tiktok_http.calls[0].request
    assert sent.headers["Authorization"] == "Bearer act.good-token"
    assert sent.params == {"fields": "open_id,union_id,display_name,avatar_url"}


def test_second_connect_finds_the_same_user_and_refreshes_the_profile(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply({**ALICE, "display_name": "Alice Two"}))
    first = connect(api).json()
    second = connect(api).json()

    assert first["user"]["id"] == second["user"]["id"]
    assert User.objects.count() == 1
    account = TikTokAccount.objects.get()
    assert account.display_name == "Alice Two"
    assert second["user"]["tiktok"]["display_name"] == "Alice Two"


@pytest.mark.parametrize("fmt", ["json", "multipart-as-form"])
def test_form_bodies_are_accepted(api, tiktok_http, fmt):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    if fmt == "json":
        response = connect(api)
    else:
        response = api.post(
            f"{BASE}/connect",
            "access_token=act.good-token",
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
def test_bad_bodies_get_400_and_never_reach_tiktok(api, tiktok_http, body):
    response = api.post(f"{BASE}/connect", body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["name"] == "ValidationError"
    assert error["details"]["code"] == "invalid_request"
    assert "access_token" in error["details"]["errors"]
    assert len(tiktok_http.calls) == 0
    assert User.objects.count() == 0


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", b"null"])
def test_unparseable_or_non_object_json_gets_400(api, tiktok_http, raw):
    response = api.post(f"{BASE}/connect", raw, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["name"] == "ValidationError"


def test_unsupported_content_type_gets_415(api, tiktok_http):
    response = api.post(f"{BASE}/connect", b"<x/>", content_type="application/xml")
    assert response.status_code == 415
    assert error_of(response)["details"]["code"] == "unsupported_media_type"


def test_wrong_method_gets_405_in_the_envelope(api):
    response = api.get(f"{BASE}/connect")
    assert response.status_code == 405
    assert error_of(response)["name"] == "MethodNotAllowedError"


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        (
            {"status": 401, "json": user_info_reply(code="access_token_invalid")},
            401,
            "tiktok_token_invalid",
        ),
        (
            {"status": 200, "json": user_info_reply(code="access_token_invalid")},
            401,
            "tiktok_token_invalid",
        ),
        (
            {"status": 500, "json": user_info_reply(code="internal_error")},
            503,
            "tiktok_unavailable",
        ),
        ({"status": 503, "body": "down"}, 503, "tiktok_unavailable"),
        ({"status": 200, "body": "<html>oops</html>"}, 502, "tiktok_bad_response"),
        ({"status": 200, "json": {"data": "nope"}}, 502, "tiktok_bad_response"),
        ({"status": 200, "json": ["a"]}, 502, "tiktok_bad_response"),
        (
            {"status": 200, "json": {"data": {}, "error": {"code": "ok"}}},
            502,
            "tiktok_bad_response",
        ),
        ({"status": 400, "json": user_info_reply(code="invalid_params")}, 502, "tiktok_error"),
    ],
)
def test_tiktok_failures_map_to_truthful_statuses(api, tiktok_http, reply, status, code):
    tiktok_http.get(USER_INFO_URL, **reply)
    response = connect(api)
    assert response.status_code == status
    assert error_of(response)["details"]["code"] == code
    assert User.objects.count() == 0
    assert TikTokAccount.objects.count() == 0


def test_tiktok_rate_limit_passes_retry_after_on(api, tiktok_http):
    tiktok_http.get(
        USER_INFO_URL,
        status=429,
        json=user_info_reply(code="rate_limit_exceeded"),
        headers={"Retry-After": "7"},
    )
    response = connect(api)
    assert response.status_code == 503
    assert response["Retry-After"] == "7"


def test_timeout_and_refused_connection_give_503(api, tiktok_http):
    import requests

    tiktok_http.get(USER_INFO_URL, body=requests.ConnectTimeout("slow"))
    tiktok_http.get(USER_INFO_URL, body=requests.ConnectionError("refused"))
    for _ in range(2):
        response = connect(api)
        assert response.status_code == 503
        assert error_of(response)["details"]["code"] == "tiktok_unavailable"


def test_missing_union_id_is_refused_without_a_user(api, tiktok_http):
    user = {k: v for k, v in ALICE.items() if k != "union_id"}
    tiktok_http.get(USER_INFO_URL, json=user_info_reply(user))
    response = connect(api)
    assert response.status_code == 502
    assert error_of(response)["details"]["code"] == "tiktok_union_id_missing"
    assert User.objects.count() == 0
    assert not User.objects.filter(email__startswith="none").exists()


@pytest.mark.parametrize(
    "squatted",
    ["Union-Alice-123@tiktok.com", "Union-Alice-123@TikTok.COM"],
    ids=["exact", "domain"],
)
def test_unlinked_user_holding_the_email_gets_409_and_nothing_is_linked(api, tiktok_http, squatted):
    User.objects.create_user("squatter", email=squatted, password="x")
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect(api)
    assert response.status_code == 409
    assert error_of(response)["details"]["code"] == "email_taken"
    assert TikTokAccount.objects.count() == 0
    assert User.objects.count() == 1


def test_union_ids_that_differ_only_in_case_are_two_users(api, tiktok_http):
    # TikTok's union_id is opaque: "Union-Alice-123" and "union-alice-123" are two people.
    lower = {**ALICE, "union_id": "union-alice-123", "open_id": "open-other"}
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply(lower))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply(lower))
    first, second = connect(api), connect(api)
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
    assert connect(api).json()["user"]["id"] == first.json()["user"]["id"]
    assert connect(api).json()["user"]["id"] == second.json()["user"]["id"]
    assert User.objects.count() == 2


def test_a_case_variant_of_the_pseudo_email_is_not_a_conflict(api, tiktok_http):
    # Held by a user not linked to TikTok: not this TikTok user's address (the union_id is
    # case-sensitive), and users are found by the link, so the holder gains nothing.
    squatter = User.objects.create_user("squatter", email="UNION-ALICE-123@tiktok.com")
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect(api)
    assert response.status_code == 200
    assert response.json()["user"]["id"] != squatter.pk
    assert TikTokAccount.objects.get().user.email == "Union-Alice-123@tiktok.com"
    squatter.refresh_from_db()
    assert squatter.email == "UNION-ALICE-123@tiktok.com"
    assert not TikTokAccount.objects.filter(user=squatter).exists()


def test_blocked_user_gets_403(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    connect(api)
    User.objects.update(is_active=False)
    response = connect(api)
    assert response.status_code == 403
    assert error_of(response)["details"]["code"] == "account_blocked"
    assert "jwt" not in response.json()


def test_registration_closed_refuses_new_users_but_not_existing_ones(api, tiktok_http, settings):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(USER_INFO_URL, json=user_info_reply({**ALICE, "union_id": "other"}))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    assert connect(api).status_code == 200
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ALLOW_REGISTRATION": False}
    refused = connect(api)
    assert refused.status_code == 403
    assert error_of(refused)["details"]["code"] == "registration_closed"
    assert connect(api).status_code == 200
    assert User.objects.count() == 1


def test_editor_role_puts_new_users_in_wagtail_editors(api, tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "DEFAULT_ROLE": "editor"}
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect(api)
    assert response.json()["user"]["role"] == "editor"
    user = User.objects.get()
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert user.has_perm("wagtailadmin.access_admin")


def test_a_request_field_cannot_choose_the_role(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    body = {"access_token": "act.good-token", "role": "editor"}
    response = api.post(f"{BASE}/connect", body, format="json")
    assert response.json()["user"]["role"] == "member"
    assert not Group.objects.get(name="Editors").user_set.exists()


def test_usernames_are_unique_and_fall_back_from_handle_to_display_name(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    tiktok_http.get(
        USER_INFO_URL, json=user_info_reply({**ALICE, "union_id": "u2", "open_id": "o2"})
    )
    first = connect(api).json()["user"]["username"]
    second = connect(api).json()["user"]["username"]
    assert first == "Alice"
    assert second.startswith("Alice_") and second != first


def test_profile_scope_asks_for_profile_fields_and_uses_the_handle(api, tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {
        **settings.TIKTOK_MOBILE_AUTH,
        "SCOPES": ["user.info.basic", "user.info.profile"],
    }
    tiktok_http.get(USER_INFO_URL, json=user_info_reply({**ALICE, "username": "alice.tt"}))
    response = connect(api)
    assert response.json()["user"]["username"] == "alice.tt"
    assert response.json()["user"]["tiktok"]["username"] == "alice.tt"
    fields = tiktok_http.calls[0].request.params["fields"].split(",")
    assert {"username", "bio_description", "is_verified"} <= set(fields)


def test_a_token_without_the_profile_scope_falls_back_to_basic_fields(api, tiktok_http, settings):
    settings.TIKTOK_MOBILE_AUTH = {
        **settings.TIKTOK_MOBILE_AUTH,
        "SCOPES": ["user.info.basic", "user.info.profile"],
    }
    tiktok_http.get(USER_INFO_URL, status=401, json=user_info_reply(code="scope_not_authorized"))
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect(api)
    assert response.status_code == 200
    assert (
        tiktok_http.calls[1].request.params["fields"] == "open_id,union_id,display_name,avatar_url"
    )


def test_disabled_plugin_answers_404_in_the_envelope(api, settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ENABLED": False}
    for response in (connect(api), api.get(f"{BASE}/me"), api.get(f"{BASE}/callback?code=x")):
        assert response.status_code == 404
        assert error_of(response)["details"]["code"] == "plugin_disabled"


def test_no_token_or_log_id_leak_into_logs_but_log_id_is_logged(api, tiktok_http, caplog):
    tiktok_http.get(USER_INFO_URL, status=401, json=user_info_reply(code="access_token_invalid"))
    with caplog.at_level(logging.DEBUG):
        connect(api, token="act.secret-value")
    assert "act.secret-value" not in caplog.text
    assert "log-err" in caplog.text


def test_a_stale_authorization_header_does_not_block_connect(api, tiktok_http):
    tiktok_http.get(USER_INFO_URL, json=user_info_reply())
    response = connect(api, HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert response.status_code == 200
