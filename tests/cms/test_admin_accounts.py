"""TikTok users in the Wagtail admin: listing, search, filters, account page, actions."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import ModelLogEntry

from tests.support.api import BASE
from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.models import RefreshTokenFamily, SignInEvent, TikTokAccount
from tiktok_mobile_auth.signin.jwt_tokens import start_family

pytestmark = pytest.mark.django_db
User = get_user_model()
URL = "/admin/tiktok_accounts/"


def make_account(name: str, *, editor: bool = False, active: bool = True) -> TikTokAccount:
    user = User.objects.create_user(name.lower(), email=f"u-{name}@tiktok.com", is_active=active)
    user.groups.add(Group.objects.get(name="Editors" if editor else "Members"))
    return TikTokAccount.objects.create(
        user=user,
        union_id=f"u-{name}",
        open_id=f"o-{name}",
        display_name=name,
        username=f"{name.lower()}.tt",
        avatar_url=f"https://cdn.example/{name}.jpg",
    )


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def listed(response) -> list[str]:
    return [row.display_name for row in response.context["object_list"]]


def test_the_listing_shows_accounts_with_role_and_blocked(admin_client):
    make_account("Alice", editor=True)
    make_account("Bob", active=False)
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert sorted(listed(response)) == ["Alice", "Bob"]
    html = response.content.decode()
    assert "alice.tt" in html and "https://cdn.example/Alice.jpg" in html
    assert "Editor" in html and "Member" in html


def test_search_and_filters(admin_client):
    make_account("Alice", editor=True)
    make_account("Bob", active=False)
    make_account("Carol")
    assert listed(admin_client.get(URL, {"q": "bob.tt"})) == ["Bob"]
    assert listed(admin_client.get(URL, {"role": "editor"})) == ["Alice"]
    assert sorted(listed(admin_client.get(URL, {"role": "member"}))) == ["Bob", "Carol"]
    assert listed(admin_client.get(URL, {"blocked": "true"})) == ["Bob"]


def test_the_account_page_shows_the_sign_in_history(admin_client):
    account = make_account("Alice")
    SignInEvent.objects.create(
        account=account,
        union_id="u-Alice",
        outcome="success",
        code="signed_in",
        flow="code",
        ip_address="198.51.100.7",
    )
    response = admin_client.get(f"{URL}inspect/{account.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "198.51.100.7" in html and "signed_in" in html and "u-Alice" in html


def test_blocking_revokes_refresh_tokens_and_is_audit_logged(admin_client, api):
    account = make_account("Alice")
    pair = start_family(account.user)
    response = admin_client.post(f"{URL}edit/{account.pk}/", {"role": "member", "blocked": "on"})
    assert response.status_code == 302
    account.user.refresh_from_db()
    assert account.user.is_active is False
    assert not RefreshTokenFamily.objects.filter(revoked_at__isnull=True).exists()
    refused = api.post(f"{BASE}/token/refresh", {"refresh": pair["refresh"]}, format="json")
    assert refused.status_code == 403  # blocked (and its session revoked: see below)
    entry = ModelLogEntry.objects.get(action="tiktok_mobile_auth.account.edit")
    assert entry.data["values"] == {"blocked": True}
    assert entry.user.username == "root"
    assert "blocked the user" in entry.message

    # Unblocking lets the user sign in again, but old refresh tokens stay spent.
    admin_client.post(f"{URL}edit/{account.pk}/", {"role": "member"})
    account.user.refresh_from_db()
    assert account.user.is_active is True
    again = api.post(f"{BASE}/token/refresh", {"refresh": pair["refresh"]}, format="json")
    assert again.status_code == 401


def test_changing_the_role_moves_the_user_between_groups(admin_client):
    account = make_account("Alice")
    admin_client.post(f"{URL}edit/{account.pk}/", {"role": "editor"})
    assert list(account.user.groups.values_list("name", flat=True)) == ["Editors"]
    assert account.user.has_perm("wagtailadmin.access_admin")
    admin_client.post(f"{URL}edit/{account.pk}/", {"role": "member"})
    assert list(account.user.groups.values_list("name", flat=True)) == ["Members"]
    entries = ModelLogEntry.objects.filter(action="tiktok_mobile_auth.account.edit")
    assert [e.data["values"] for e in entries.order_by("pk")] == [
        {"role": "editor"},
        {"role": "member"},
    ]


def test_unlinking_keeps_the_user_but_ends_their_sessions(admin_client, api):
    account = make_account("Alice")
    pair = start_family(account.user)
    response = admin_client.post(f"{URL}delete/{account.pk}/")
    assert response.status_code == 302
    assert not TikTokAccount.objects.exists()
    assert User.objects.get(username="alice").email == ""  # released: TikTok sign-in works again
    refused = api.post(f"{BASE}/token/refresh", {"refresh": pair["refresh"]}, format="json")
    assert refused.status_code == 401
    assert ModelLogEntry.objects.filter(action="wagtail.delete").exists()


def test_unlinking_revokes_the_stored_grant_at_tiktok(admin_client, tiktok, settings):
    from tiktok_mobile_auth.signin import tiktok_token_store
    from tiktok_mobile_auth.tiktok import TokenGrant

    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "STORE_TOKENS": True}
    account = make_account("Alice")
    grant = TokenGrant(
        "act.stored",
        open_id="o-Alice",
        scopes=(),
        expires_in=3600,
        refresh_token="rft.stored",
        refresh_expires_in=86400,
    )
    tiktok_token_store.save_grant(account, grant, get_config())
    admin_client.post(f"{URL}delete/{account.pk}/")
    (revoke,) = tiktok.sent("revoke")
    assert revoke["form"]["token"] == "act.stored"
    assert not TikTokAccount.objects.exists()


def test_accounts_cannot_be_added_by_hand(admin_client):
    response = admin_client.get(f"{URL}new/")
    assert response.status_code in (302, 403)
    assert b'name="role"' not in response.content


def test_editors_without_the_permission_see_nothing(client):
    make_account("Alice")
    editor = User.objects.create_user("ed", password="pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    response = client.get(URL)
    assert response.status_code in (302, 403)
    assert b"Alice" not in response.content
