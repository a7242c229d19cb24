"""Wagtail's login page shows "Sign in with TikTok", and check W012 says when it cannot: the
plugin listed after wagtail.admin, or a site's own login template without the button."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tiktok_mobile_auth.cms.login_button import check_login_button

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "tiktok_mobile_auth"
BUTTON = 'id="tiktok-admin-login"'


def site_login_template(settings, tmp_path: Path, body: str) -> None:
    """The site's own wagtailadmin/login.html, found before any app's (TEMPLATES DIRS)."""
    (tmp_path / "wagtailadmin").mkdir()
    (tmp_path / "wagtailadmin" / "login.html").write_text(body)
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(tmp_path)]
    settings.TEMPLATES = templates


def login_page(client) -> str:
    response = client.get(reverse("wagtailadmin_login"), {"next": "/admin/pages/"})
    assert response.status_code == 200
    return response.content.decode()


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_listed_before_wagtail_admin_the_button_is_there_and_nothing_is_reported(client, settings):
    assert settings.INSTALLED_APPS.index(PLUGIN) < settings.INSTALLED_APPS.index("wagtail.admin")
    page = login_page(client)
    assert BUTTON in page
    assert 'href="/api/tiktok-auth-mobile/admin/login?next=/admin/pages/"' in page
    assert 'name="password"' in page  # Wagtail's own form is still there
    assert check_login_button() == []


@pytest.mark.parametrize(
    "below_login",
    [
        pytest.param(
            '{% block below_login %}{% include "tiktok_mobile_auth/admin_login_button.html" %}'
            "{% endblock %}",
            id="includes-the-button",
        ),
        pytest.param("", id="inherits-it-from-the-plugins-template"),
    ],
)
def test_a_site_template_extending_the_login_page_shows_the_button_once(
    client, settings, tmp_path, below_login
):
    site_login_template(
        settings,
        tmp_path,
        '{% extends "wagtailadmin/login.html" %}'
        "{% block branding_login %}Our newsroom{% endblock %}" + below_login,
    )
    page = login_page(client)
    assert "Our newsroom" in page and page.count(BUTTON) == 1
    assert check_login_button() == []


def test_a_site_template_without_the_button_is_reported(client, settings, tmp_path):
    site_login_template(
        settings,
        tmp_path,
        '{% extends "wagtailadmin/admin_base.html" %}{% block furniture %}Our own login'
        "{% endblock %}",
    )
    assert BUTTON not in login_page(client)
    [warning] = check_login_button()
    assert warning.id == "tiktok_mobile_auth.W012"
    assert str(tmp_path / "wagtailadmin" / "login.html") in warning.msg
    assert "admin_login_button.html" in warning.hint


def test_nothing_is_reported_while_tiktok_sign_in_is_disabled(settings, tmp_path):
    site_login_template(settings, tmp_path, "no button here")
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "ENABLED": False}
    assert check_login_button() == []


# Listed after wagtail.admin: a process of its own, since Wagtail's app registry cannot be
# populated twice in one process (its API routers refuse a second mount).
AFTER_SETTINGS = """
from cms_site.settings.test import *  # noqa
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "tiktok_mobile_auth"]
INSTALLED_APPS.insert(INSTALLED_APPS.index("wagtail.admin") + 1, "tiktok_mobile_auth")
"""
RENDER_AND_CHECK = """
import django
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

django.setup()
call_command("migrate", verbosity=0)  # a new SQLite database in DJANGO_VAR_DIR
setup_test_environment()
page = Client().get("/admin/login/", {"next": "/admin/"})
print("status", page.status_code, "button", 'id="tiktok-admin-login"' in page.content.decode())
call_command("check")
"""


def test_listed_after_wagtail_admin_the_button_is_missing_and_check_names_the_fix(tmp_path):
    (tmp_path / "after_settings.py").write_text(AFTER_SETTINGS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "after_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DJANGO_VAR_DIR": str(tmp_path / "var"),
    }
    run = subprocess.run(
        [sys.executable, "-c", RENDER_AND_CHECK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "status 200 button False" in output
    assert output.count("tiktok_mobile_auth.W012") == 1
    assert "wagtail/admin/templates/wagtailadmin/login.html" in output
    assert 'List "tiktok_mobile_auth" before "wagtail.admin" in INSTALLED_APPS' in output
