"""Editors sign in to the Wagtail admin with TikTok; members are refused."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth import get_user_model

from tests.support.api import BASE
from tests.support.web import come_back, existing, start
from tiktok_mobile_auth.models import LoginAttempt, SignInEvent
from tiktok_mobile_auth.storage import crypto
from tiktok_mobile_auth.web import browser_binding

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _attempts_in_the_database(settings):
    # These tests read the stored attempt; where attempts live is tested in test_attempts.
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "STORAGE": "database"}


def test_the_login_page_offers_tiktok_with_next(client):
    page = client.get("/admin/login/?next=/admin/pages/").content.decode()
    assert 'id="tiktok-admin-login"' in page
    assert f"{BASE}/admin/login?next=/admin/pages/" in page


def test_start_redirects_to_tiktok_with_state_and_hex_pkce(client):
    query = start(client)
    attempt = LoginAttempt.objects.get()
    assert (attempt.purpose, attempt.app_state) == ("admin", "/admin/pages/")
    assert query["client_key"] == ["test-client-key"]
    assert query["redirect_uri"] == ["https://cms.example.com/api/tiktok-auth-mobile/callback"]
    verifier = crypto.decrypt(attempt.code_verifier_encrypted)
    # TikTok's PKCE variant: the lower-case hex SHA-256 of the verifier, not base64url.
    assert query["code_challenge"] == [hashlib.sha256(verifier.encode()).hexdigest()]
    assert query["code_challenge_method"] == ["S256"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_off_site_next_falls_back_to_the_dashboard(client, next_url):
    start(client, next_url)
    assert LoginAttempt.objects.get().app_state == "/admin/"


def test_an_editor_is_logged_in_and_sent_to_next(client, tiktok):
    existing("editor")
    query = start(client)
    response = come_back(client, query, tiktok)
    assert response.status_code == 302
    assert response["Location"] == "/admin/pages/"
    assert client.get("/admin/").status_code == 200
    (sent,) = tiktok.sent("token")
    verifier = sent["form"]["code_verifier"]  # the one behind the challenge TikTok was shown
    assert hashlib.sha256(verifier.encode()).hexdigest() == query["code_challenge"][0]
    assert sent["form"]["redirect_uri"] == "https://cms.example.com/api/tiktok-auth-mobile/callback"
    event = SignInEvent.objects.get()
    assert (event.outcome, event.flow) == ("success", "admin")


def test_a_member_is_refused_and_not_logged_in(client, tiktok):
    existing("member")
    response = come_back(client, start(client), tiktok)
    assert response.status_code == 403
    assert b'id="tiktok-admin-refused"' in response.content
    assert client.get("/admin/").status_code == 302  # to the login page
    event = SignInEvent.objects.get()
    assert (event.outcome, event.code) == ("failure", "admin_access_denied")


def test_a_new_tiktok_user_gets_the_default_role_and_a_member_is_refused(client, tiktok):
    response = come_back(client, start(client), tiktok)
    assert response.status_code == 403
    assert User.objects.get().groups.get().name == "Members"


def test_a_blocked_editor_is_refused(client, tiktok):
    existing("editor", active=False)
    response = come_back(client, start(client), tiktok)
    assert response.status_code == 403
    assert b"blocked" in response.content
    assert client.get("/admin/").status_code == 302


def test_cancel_at_tiktok_shows_a_page_and_exchanges_nothing(client, tiktok):
    state = start(client)["state"][0]
    response = client.get(f"{BASE}/callback", {"error": "access_denied", "state": state})
    assert response.status_code == 400
    assert tiktok.sent() == []


def test_tiktok_failure_shows_a_page(client, tiktok):
    tiktok.fault("token", "http503")
    response = come_back(client, start(client), tiktok)
    assert response.status_code == 502
    assert len(tiktok.sent("token")) == 1  # a code is single-use: never retried
    assert client.get("/admin/").status_code == 302


def test_the_state_is_single_use(client, tiktok):
    existing("editor")
    query = start(client)
    assert come_back(client, query, tiktok).status_code == 302
    binding = client.cookies[browser_binding.COOKIE_NAME]
    client.logout()  # which forgets every cookie: the same browser keeps its binding one
    client.cookies[browser_binding.COOKIE_NAME] = binding
    replay = client.get(
        f"{BASE}/callback", {"code": "c1", "scopes": "user.info.basic", "state": query["state"][0]}
    )
    assert "error=invalid_state" in replay["Location"]
    assert client.get("/admin/").status_code == 302
