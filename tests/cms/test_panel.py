"""Settings → TikTok sign-in: the admin panel as a configuration source."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from wagtail.models import ModelLogEntry

from tiktok_mobile_auth.conf import get_config
from tiktok_mobile_auth.models import TikTokSettings
from tiktok_mobile_auth.storage import crypto

pytestmark = pytest.mark.django_db

API_ONLY = {"API_BASE_URL": "https://open.tiktokapis.test"}
FORM = {
    "enabled": "on",
    "client_key": "panel-key",
    "client_secret": "panel-secret-value",
    "callback_url": "https://cms.example.com/api/tiktok-auth-mobile/callback",
    "redirect_app_url": "https://app.example.com/tiktok",
    "default_role": "member",
    "allow_registration": "on",
}


@pytest.fixture
def panel_only(settings):
    """No TikTok values in Django settings: the panel is the source."""
    settings.TIKTOK_MOBILE_AUTH = dict(API_ONLY)
    return settings


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    return client


def edit_url() -> str:
    row = TikTokSettings.load()
    return f"/admin/settings/tiktok_mobile_auth/tiktoksettings/{row.pk}/"


def save(client, **changes):
    data = {**FORM, **changes}
    return client.post(edit_url(), {k: v for k, v in data.items() if v is not None})


def test_saved_values_take_effect_on_the_next_request(panel_only, admin_client):
    assert get_config().client_key == ""
    response = save(admin_client)
    assert response.status_code == 302
    config = get_config()
    assert config.client_key == "panel-key"
    assert config.client_secret == "panel-secret-value"
    assert config.redirect_app_url == "https://app.example.com/tiktok"


def test_the_secret_is_encrypted_at_rest_and_never_shown(panel_only, admin_client):
    save(admin_client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tiktok_mobile_auth_tiktoksettings")
        dump = repr(cursor.fetchall())
    assert "panel-secret-value" not in dump
    page = admin_client.get(edit_url())
    assert page.status_code == 200
    assert b"panel-secret-value" not in page.content
    assert b"A secret is saved" in page.content


def test_a_blank_secret_keeps_the_saved_one(panel_only, admin_client):
    save(admin_client)
    save(admin_client, client_secret="", client_key="other-key")
    config = get_config()
    assert config.client_key == "other-key"
    assert config.client_secret == "panel-secret-value"


def test_environment_values_win_and_are_shown_read_only(panel_only, admin_client, settings):
    settings.TIKTOK_MOBILE_AUTH = {**API_ONLY, "CLIENT_KEY": "env-key"}
    save(admin_client, client_key="posted-key")
    assert get_config().client_key == "env-key"
    assert TikTokSettings.load().client_key == ""  # the posted value was not stored
    page = admin_client.get(edit_url()).content.decode()
    assert "Set by TIKTOK_CLIENT_KEY" in page
    assert 'value="env-key"' in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"callback_url": "http://cms.example.com/cb"}, "callback_url", "only redirects to https"),
        ({"callback_url": "https://cms.example.com/cb?x=1"}, "callback_url", "'?' or '#'"),
        ({"callback_url": "cms.example.com/cb"}, "callback_url", "absolute URL"),
        ({"redirect_app_url": "/tiktok"}, "redirect_app_url", "absolute URL"),
        ({"redirect_app_url": "myapp://tiktok"}, "redirect_app_url", "custom scheme"),
    ],
)
def test_invalid_urls_are_refused_with_a_clear_message(
    panel_only, admin_client, changes, field, message
):
    response = save(admin_client, **changes)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert get_config().client_key == ""  # nothing saved


def test_custom_scheme_is_accepted_when_explicitly_allowed(panel_only, admin_client):
    response = save(admin_client, redirect_app_url="myapp://tiktok", allow_custom_scheme="on")
    assert response.status_code == 302
    assert get_config().redirect_app_url == "myapp://tiktok"


def test_http_loopback_callback_is_accepted_in_debug_only(panel_only, admin_client, settings):
    local = {"callback_url": "http://127.0.0.1:8000/api/tiktok-auth-mobile/callback"}
    assert save(admin_client, **local).status_code == 200
    settings.DEBUG = True
    assert save(admin_client, **local).status_code == 302


def test_scope_boxes_and_role_reach_the_configuration(panel_only, admin_client):
    save(admin_client, request_profile_scope="on", default_role="editor", allow_registration=None)
    config = get_config()
    assert config.scopes == ("user.info.basic", "user.info.profile")
    assert config.default_role == "editor"
    assert config.allow_registration is False


def test_every_save_is_audit_logged_with_field_names_but_no_values(panel_only, admin_client):
    save(admin_client)
    save(admin_client, client_secret="", client_key="k2")
    entries = ModelLogEntry.objects.filter(action="tiktok_mobile_auth.settings.edit").order_by("pk")
    assert [e.data["fields"] for e in entries] == [
        ["callback_url", "client_key", "client_secret", "redirect_app_url"],
        ["client_key"],
    ]
    assert entries[0].user.username == "admin"
    assert "panel-secret-value" not in repr([e.data for e in entries])
    assert "Changed the TikTok sign-in settings: client_key" in entries[1].message


def test_only_users_with_the_permission_see_the_panel(panel_only, client):
    editor = get_user_model().objects.create_user("ed", password="pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    response = client.get(edit_url())
    assert response.status_code in (302, 403)
    assert b"client_secret" not in response.content


def test_an_undecryptable_secret_counts_as_missing(panel_only, admin_client, settings, caplog):
    save(admin_client)
    settings.TIKTOK_MOBILE_AUTH = {**API_ONLY, "ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}
    assert get_config().client_secret == ""
    assert "cannot be decrypted" in caplog.text


def test_key_rotation_with_the_reencrypt_command(panel_only, admin_client, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TIKTOK_MOBILE_AUTH = {**API_ONLY, "ENCRYPTION_KEYS": [old]}
    save(admin_client)
    settings.TIKTOK_MOBILE_AUTH = {**API_ONLY, "ENCRYPTION_KEYS": [new, old]}
    assert get_config().client_secret == "panel-secret-value"
    call_command("tiktok_reencrypt")
    settings.TIKTOK_MOBILE_AUTH = {**API_ONLY, "ENCRYPTION_KEYS": [new]}
    assert get_config().client_secret == "panel-secret-value"


def test_without_dedicated_keys_a_key_is_derived_from_the_secret_key(settings):
    token = crypto.encrypt("x")
    assert crypto.decrypt(token) == "x"
    settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token)
