"""Settings → TikTok sign-in, in a browser: an admin enters the app's credentials and the
next sign-in uses them; the secret never comes back to the page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from .support import (
    help_text_of,
    log_in,
    open_from_menu,
    screenshot,
    success_message,
)

pytestmark = pytest.mark.browser

# Not the app the other browser tests use (conftest.APP_KEY), so what the exchange sends
# can only come from this test's save.
KEY, SECRET = "panel-key", "panel-secret"


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_credentials_saved_in_the_panel_are_used_by_the_next_sign_in(page, admin_site, fake):
    fake.set_app(KEY, SECRET)
    log_in(page)
    open_from_menu(page, "Settings", "TikTok sign-in")
    expect(page).to_have_title(re.compile(r"TikTok sign-in"))
    # The environment sets the callback URL: the panel shows it read-only.
    expect(page.get_by_label("Callback URL", exact=True)).to_be_disabled()

    page.get_by_label("Client key", exact=True).fill(KEY)
    page.get_by_label("Client secret", exact=True).fill(SECRET)
    page.get_by_role("button", name="Save", exact=True).click()
    assert "updated" in success_message(page)
    assert SECRET not in page.content()

    page.reload()
    assert SECRET not in page.content()
    expect(page.get_by_label("Client key", exact=True)).to_have_value(KEY)
    expect(page.get_by_label("Client secret", exact=True)).to_have_value("")
    assert help_text_of(page, "Client secret").startswith("A secret is saved")
    [(key, stored)] = admin_site.db.rows(
        "SELECT client_key, client_secret_encrypted FROM tiktok_mobile_auth_tiktoksettings"
    )
    assert key == KEY
    assert stored and SECRET not in stored  # encrypted at rest
    screenshot(page, "admin-settings.png")

    # The next sign-in, started by the site (server-issued state + PKCE), then the code
    # TikTok sends back to the callback: every gunicorn worker sees the new credentials.
    browser = requests.Session()  # the sign-in is bound to the browser that started it
    started = browser.get(
        admin_site.url("authorize"), params={"state": "app-1"}, allow_redirects=False, timeout=30
    )
    assert started.status_code == 302, started.text
    sent = query_of(started.headers["Location"])
    assert sent["client_key"] == KEY
    code = fake.mint_code(
        "fake-open-alice",
        redirect_uri=admin_site.url("callback"),
        code_challenge=sent["code_challenge"],
    )
    back = browser.get(
        admin_site.url("callback"),
        params={"code": code, "scopes": "user.info.basic", "state": sent["state"]},
        allow_redirects=False,
        timeout=30,
    )
    assert back.status_code == 302, back.text
    app_link = query_of(back.headers["Location"])
    assert "error" not in app_link, app_link
    assert app_link["access_token"].startswith("act.")
    [exchange] = fake.requests("token")
    assert exchange["form"]["client_key"] == KEY
    assert exchange["form"]["client_secret"] == SECRET
