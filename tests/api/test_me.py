"""GET /me: the user, its TikTok account and its role from one SQL statement, and the JWT
authentication's refusals, each as SimpleJWT's own authentication gives it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt import authentication as simplejwt_authentication
from rest_framework_simplejwt import tokens as simplejwt_tokens
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.api import configure, error_of, me
from tiktok_mobile_auth.api import authentication
from tiktok_mobile_auth.api.authentication import PluginJWTAuthentication
from tiktok_mobile_auth.exceptions import AccountBlocked
from tiktok_mobile_auth.models import TikTokAccount

pytestmark = pytest.mark.django_db
User = get_user_model()
JOINED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _unthrottled(settings):
    """No throttle counter: without Redis it is a statement of its own, not me's."""
    configure(settings, THROTTLE_RATES={"me": "off"})


def linked_user(username: str = "alice", *groups: str) -> User:
    user = User.objects.create_user(username, email=f"{username}@tiktok.com", date_joined=JOINED)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    TikTokAccount.objects.create(
        user=user,
        union_id=f"union-{username}",
        open_id=f"open-{username}",
        display_name="Alice A.",
        scopes="user.info.basic,user.info.profile",
        profile={"bio_description": "hi"},
    )
    return user


def jwt(user) -> str:
    return str(AccessToken.for_user(user))


def statements_of(call):
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return response, [query["sql"] for query in captured.captured_queries]


def test_an_editors_user_object_comes_from_one_statement(api):
    user = linked_user("alice", "Editors")
    response, sql = statements_of(lambda: me(api, jwt(user)))
    assert response.status_code == 200, response.content
    assert len(sql) == 1, sql
    body = response.json()
    assert (body["id"], body["username"], body["provider"]) == (user.pk, "alice", "tiktok")
    assert (body["role"], body["blocked"], body["createdAt"]) == (
        "editor",
        False,
        "2024-05-01T12:00:00Z",
    )
    assert body["tiktok"] == {
        "bio_description": "hi",
        "open_id": "open-alice",
        "union_id": "union-alice",
        "display_name": "Alice A.",
        "avatar_url": "",
        "username": None,
        "scopes": ["user.info.basic", "user.info.profile"],
        "deauthorized": False,
    }


def test_a_member_is_a_member(api):
    user = linked_user("bob", "Members")
    assert me(api, jwt(user)).json()["role"] == "member"


def test_the_role_follows_the_configured_editors_group(api, settings):
    configure(settings, EDITOR_GROUP="Moderators")
    in_editors, moderator = linked_user("carol", "Editors"), linked_user("dave", "Moderators")
    assert me(api, jwt(in_editors)).json()["role"] == "member"
    assert me(api, jwt(moderator)).json()["role"] == "editor"


def test_a_user_without_tiktok_account_gets_the_local_user_object_from_one_statement(api):
    admin = User.objects.create_superuser(
        "admin", email="admin@example.com", password="x", date_joined=JOINED
    )
    response, sql = statements_of(lambda: me(api, jwt(admin)))
    assert len(sql) == 1, sql
    # A superuser outside the editors group is a member: the role is the group, nothing else.
    assert response.json() == {
        "id": admin.pk,
        "username": "admin",
        "email": "admin@example.com",
        "provider": "local",
        "confirmed": True,
        "blocked": False,
        "role": "member",
        "createdAt": "2024-05-01T12:00:00Z",
        "updatedAt": None,
        "tiktok": None,
    }


def test_a_deleted_user_is_simplejwts_401(api):
    user = linked_user()
    token = jwt(user)
    user.delete()
    response = me(api, token)
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "user_not_found"


def test_a_blocked_user_is_403_account_blocked(api):
    user = linked_user()
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = me(api, jwt(user))
    assert response.status_code == 403
    assert error_of(response)["details"]["code"] == "account_blocked"


# -- the authentication's answers, against SimpleJWT's own ---------------------------------


def refusal(authentication, token):
    """What ``get_user`` raises for ``token``: (class, code), or None when it accepts it."""
    try:
        authentication.get_user(token)
    except AuthenticationFailed as err:
        # SimpleJWT's errors carry their code as a value: {"detail": ..., "code": ...}
        return type(err), str(err.detail["code"])
    return None


def test_a_token_without_user_id_is_refused_as_simplejwt_refuses_it():
    token = AccessToken.for_user(linked_user())
    del token["user_id"]
    assert refusal(PluginJWTAuthentication(), token) == refusal(JWTAuthentication(), token)
    assert refusal(PluginJWTAuthentication(), token)[0] is InvalidToken


def test_an_unknown_user_is_refused_as_simplejwt_refuses_it():
    token = AccessToken.for_user(linked_user())
    token["user_id"] = "987654"
    assert refusal(PluginJWTAuthentication(), token) == (AuthenticationFailed, "user_not_found")
    assert refusal(JWTAuthentication(), token) == (AuthenticationFailed, "user_not_found")


def test_an_inactive_user_is_account_blocked_where_simplejwt_says_user_inactive():
    user = linked_user()
    token = AccessToken.for_user(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert refusal(JWTAuthentication(), token) == (AuthenticationFailed, "user_inactive")
    with pytest.raises(AccountBlocked):
        PluginJWTAuthentication().get_user(token)


def test_with_check_revoke_token_a_changed_password_is_refused_as_simplejwt_refuses_it(
    monkeypatch,
):
    # SimpleJWT's modules copy its settings object at import (a SIMPLE_JWT override makes a
    # new one they never see): the switch is turned on the object each of them holds.
    for module in (simplejwt_tokens, simplejwt_authentication, authentication):
        monkeypatch.setattr(module.api_settings, "CHECK_REVOKE_TOKEN", True)
    user = linked_user()
    user.set_password("first")
    user.save()
    token = AccessToken.for_user(user)
    assert refusal(PluginJWTAuthentication(), token) is None
    user.set_password("second")
    user.save()
    assert refusal(JWTAuthentication(), token) == (AuthenticationFailed, "password_changed")
    assert refusal(PluginJWTAuthentication(), token) == (AuthenticationFailed, "password_changed")
