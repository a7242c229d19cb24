"""GET /me, POST /token/refresh and POST /logout."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.support.api import BASE, error_of, me, refresh
from tiktok_mobile_auth.models import RefreshTokenFamily

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_connect_starts_a_family_that_stores_no_token(signed_in):
    refresh_token = RefreshToken(signed_in["refresh"])  # SimpleJWT accepts what we signed
    access = AccessToken(signed_in["jwt"])
    user = User.objects.get()
    assert refresh_token["user_id"] == access["user_id"] == str(user.pk)
    family = RefreshTokenFamily.objects.get()
    assert refresh_token["fam"] == family.pk.hex
    assert (family.user, family.current_jti) == (user, refresh_token["jti"])
    assert family.expires_at.timestamp() == refresh_token["exp"]
    assert family.revoked_at is None
    # A dump of the table holds no usable credential: no column holds a token.
    stored = " ".join(str(value) for value in RefreshTokenFamily.objects.values().get().values())
    assert signed_in["refresh"] not in stored and signed_in["jwt"] not in stored


def test_me_returns_the_same_user_object_as_connect(api, signed_in):
    response = me(api, signed_in["jwt"])
    assert response.status_code == 200
    assert response.json() == signed_in["user"]


def test_me_without_or_with_a_bad_token_is_401_in_the_envelope(api):
    missing = api.get(f"{BASE}/me")
    assert missing.status_code == 401
    assert error_of(missing)["details"]["code"] == "not_authenticated"
    assert missing["WWW-Authenticate"].startswith("Bearer")
    bad = me(api, "not-a-jwt")
    assert bad.status_code == 401
    assert error_of(bad)["details"]["code"] == "token_not_valid"


def test_me_refuses_a_blocked_user_with_403(api, signed_in):
    User.objects.update(is_active=False)
    response = me(api, signed_in["jwt"])
    assert response.status_code == 403
    assert error_of(response)["details"]["code"] == "account_blocked"


def test_me_answers_json_even_to_a_browser(api, signed_in):
    response = api.get(f"{BASE}/me", HTTP_ACCEPT="text/html")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_refresh_rotates_and_the_old_refresh_token_is_spent(api, signed_in):
    first = refresh(api, signed_in["refresh"])
    assert first.status_code == 200
    pair = first.json()
    assert set(pair) == {"jwt", "refresh"}
    assert pair["refresh"] != signed_in["refresh"]
    assert me(api, pair["jwt"]).status_code == 200

    family = RefreshTokenFamily.objects.get()
    assert family.current_jti == RefreshToken(pair["refresh"])["jti"]
    assert family.previous_jti == RefreshToken(signed_in["refresh"])["jti"]
    assert refresh(api, pair["refresh"]).status_code == 200


def test_refresh_is_refused_for_a_blocked_user(api, signed_in):
    User.objects.update(is_active=False)
    response = refresh(api, signed_in["refresh"])
    assert response.status_code == 403
    assert error_of(response)["details"]["code"] == "account_blocked"
    family = RefreshTokenFamily.objects.get()  # nothing spent by a refused refresh
    assert (family.current_jti, family.revoked_at) == (
        RefreshToken(signed_in["refresh"])["jti"],
        None,
    )


def test_refresh_is_refused_for_a_deleted_user(api, signed_in):
    User.objects.all().delete()
    response = refresh(api, signed_in["refresh"])
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "refresh_token_invalid"


@pytest.mark.parametrize("token", ["garbage", "", 42])
def test_refresh_with_garbage_is_401_or_400(api, token):
    response = api.post(f"{BASE}/token/refresh", {"refresh": token}, format="json")
    assert response.status_code == (401 if token == "garbage" else 400)
    error_of(response)


def test_an_access_token_is_not_a_refresh_token(api, signed_in):
    response = refresh(api, signed_in["jwt"])
    assert response.status_code == 401


def test_logout_revokes_the_refresh_token_and_is_idempotent(api, signed_in):
    response = api.post(f"{BASE}/logout", {"refresh": signed_in["refresh"]}, format="json")
    assert response.status_code == 204
    assert refresh(api, signed_in["refresh"]).status_code == 401
    again = api.post(f"{BASE}/logout", {"refresh": signed_in["refresh"]}, format="json")
    assert again.status_code == 204


def test_logout_with_an_invalid_token_is_401(api):
    response = api.post(f"{BASE}/logout", {"refresh": "nope"}, format="json")
    assert response.status_code == 401
    assert error_of(response)["details"]["code"] == "refresh_token_invalid"
