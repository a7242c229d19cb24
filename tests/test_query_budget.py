"""SQL query budgets of the hot endpoints (issue 5): a query too many is a regression.

Counted by pytest-django around one request, TikTok mocked with ``responses``. The test runs
inside a transaction, so ``transaction.atomic`` blocks count as SAVEPOINT/RELEASE statements
here (in production they are BEGIN/COMMIT, which are not statements the budget counts).
On the SQLite pass the login attempts and minted-token hashes live in the database
(``STORAGE="auto"`` without Redis); with Redis they move to the cache, so the same budgets
hold with room to spare.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import BASE, TOKEN_URL, USER_INFO_URL, mint, token_reply, user_info_reply

pytestmark = pytest.mark.django_db

RETURNING_CONNECT = 4  # issue 5: at most 4 per returning-user connect
NEW_CONNECT = 12  # issue 5: at most 12 per first sign-in
CODE_CONNECT = 6
REFRESH = 9
ME = 3
LOGOUT = 5
AUTHORIZE = 2
CALLBACK = 4
ANDROID = "https://app.example.com/tiktok/android"


def connect(api, token="act.x"):
    mint(token)
    return api.post(f"{BASE}/connect", {"access_token": token}, format="json")


@pytest.fixture
def returning(api, tiktok):
    """Alice has signed in once; TikTok will vouch for her once more."""
    tiktok.get(USER_INFO_URL, json=user_info_reply())
    first = connect(api)
    assert first.status_code == 200
    return first.json()


def test_new_user_connect(api, tiktok, django_assert_max_num_queries):
    tiktok.get(USER_INFO_URL, json=user_info_reply())
    mint("act.x")
    with django_assert_max_num_queries(NEW_CONNECT):
        response = api.post(f"{BASE}/connect", {"access_token": "act.x"}, format="json")
    assert response.status_code == 200


def test_returning_user_connect(api, returning, django_assert_max_num_queries):
    mint("act.y")
    with django_assert_max_num_queries(RETURNING_CONNECT):
        response = api.post(f"{BASE}/connect", {"access_token": "act.y"}, format="json")
    assert response.status_code == 200


def test_returning_user_connect_with_code(api, returning, tiktok, django_assert_max_num_queries):
    tiktok.post(TOKEN_URL, json=token_reply())
    body = {"code": "code-1", "code_verifier": "A" * 43, "redirect_uri": ANDROID}
    with django_assert_max_num_queries(CODE_CONNECT):
        response = api.post(f"{BASE}/connect", body, format="json")
    assert response.status_code == 200


def test_refresh(api, returning, django_assert_max_num_queries):
    with django_assert_max_num_queries(REFRESH):
        response = api.post(
            f"{BASE}/token/refresh", {"refresh": returning["refresh"]}, format="json"
        )
    assert response.status_code == 200


def test_me(api, returning, django_assert_max_num_queries):
    with django_assert_max_num_queries(ME):
        response = api.get(f"{BASE}/me", HTTP_AUTHORIZATION=f"Bearer {returning['jwt']}")
    assert response.status_code == 200


def test_logout(api, returning, django_assert_max_num_queries):
    with django_assert_max_num_queries(LOGOUT):
        response = api.post(f"{BASE}/logout", {"refresh": returning["refresh"]}, format="json")
    assert response.status_code == 204


def test_authorize_and_callback(client, tiktok, django_assert_max_num_queries):
    with django_assert_max_num_queries(AUTHORIZE):
        started = client.get(f"{BASE}/authorize", {"state": "app-1"})
    assert started.status_code == 302
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    tiktok.post(TOKEN_URL, json=token_reply())
    query = {"code": "code-1", "scopes": "user.info.basic", "state": state}
    with django_assert_max_num_queries(CALLBACK):
        back = client.get(f"{BASE}/callback", query)
    assert back.status_code == 302
    assert "access_token=" in back["Location"]
