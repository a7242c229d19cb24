"""manage.py tiktok_auth_check: effective configuration, sources, masked secrets, probes."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("tiktok_auth_check", *args, stdout=out)
    return out.getvalue()


def test_a_configured_site_passes_and_secrets_are_masked():
    out = run()
    assert "test-client-key" in out
    assert "test-client-secret" not in out
    assert "CLIENT_SECRET" in out and "set" in out
    assert "TIKTOK_CLIENT_KEY (TIKTOK_MOBILE_AUTH['CLIENT_KEY'])" in out
    assert "Database: ok" in out and "Cache: ok" in out
    assert "everything checked is OK" in out


def test_panel_values_are_attributed_to_the_admin_panel(settings):
    from tiktok_mobile_auth.models import TikTokSettings

    TikTokSettings.objects.create(client_key="from-panel")
    settings.TIKTOK_MOBILE_AUTH = {"API_BASE_URL": "https://open.tiktokapis.test"}
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("tiktok_auth_check", stdout=out)
    assert "TIKTOK_CLIENT_SECRET" in str(raised.value)  # still missing: non-zero exit
    [line] = [ln for ln in out.getvalue().splitlines() if ln.strip().startswith("CLIENT_KEY ")]
    assert "'from-panel'" in line and "Wagtail admin: Settings" in line


def test_missing_credentials_fail(settings):
    settings.TIKTOK_MOBILE_AUTH = {"CONFIG_SOURCES": settings.TIKTOK_MOBILE_AUTH["CONFIG_SOURCES"]}
    with pytest.raises(CommandError, match="TIKTOK_CLIENT_KEY"):
        run()


def test_ping_reports_tiktok_reachable_or_not(tiktok):
    assert "(HTTP 401): ok" in run("--ping")  # TikTok answers; the probe's token is no token
    assert len(tiktok.sent("userinfo")) == 1
    tiktok.fault("userinfo", "close")  # the connection drops with no answer
    with pytest.raises(CommandError, match="could not be reached"):
        run("--ping")
