"""A request reads the configuration sources once, however many helpers need it."""

from __future__ import annotations

import pytest

from tests.support.api import BASE
from tiktok_mobile_auth.cms import panel
from tiktok_mobile_auth.conf import get_config, one_config_per_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_reads(settings, monkeypatch):
    """Use the default sources (settings, then the admin panel) and count panel reads."""
    settings.TIKTOK_MOBILE_AUTH = {
        k: v for k, v in settings.TIKTOK_MOBILE_AUTH.items() if k != "CONFIG_SOURCES"
    } | {"ACCESS_TOKEN_POLICY": "any"}
    calls = []
    real = panel.panel_source

    def counted():
        calls.append(1)
        return real()

    counted.uses_database = True
    monkeypatch.setattr(panel, "panel_source", counted)
    return calls


def test_a_connect_reads_the_panel_once(api, tiktok, panel_reads):
    token = tiktok.mint_token("open-alice")
    response = api.post(f"{BASE}/connect", {"access_token": token}, format="json")
    assert response.status_code == 200
    assert len(panel_reads) == 1


def test_outside_a_request_every_call_reads_again(panel_reads):
    get_config()
    get_config()
    assert len(panel_reads) == 2


def test_the_pin_ends_with_the_request(panel_reads):
    seen = []
    view = one_config_per_request(lambda: seen.append(get_config() is get_config()))
    view()
    assert seen == [True]
    get_config()
    assert len(panel_reads) == 2  # one for the request, one after it
