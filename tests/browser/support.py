"""What the browser tests do in the Wagtail admin, and on the API beside it.

Helpers take a Playwright ``Page`` whose context has the site as its ``base_url`` (see
conftest.py), so paths are site-relative.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests
import wagtail
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.support.live_site import ROOT, LiveSite

# The docs' screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1 make test
# PYTEST_ARGS=tests/browser), so a test run leaves the work tree clean; otherwise they go to a
# temporary folder, still taken, so a page that cannot render still fails the test.
TIMEOUT_MS = 30_000  # generous: a 2-core machine runs gunicorn, the fake and Chromium at once
OFF_SITE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")
AVATAR = Path(wagtail.__file__).parent / "admin/static/wagtailadmin/images/default-user-avatar.png"
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "tiktok-mobile-auth-screenshots"
)
SCREENSHOT_WIDTH = 1280
# In LiveSite's TIKTOK_APP_REDIRECT_URIS: the native SDK's code flow of connect may use it.
APP_REDIRECT_URI = "https://app.example.com/tiktok/android"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "browser-admin-" + secrets.token_urlsafe(12)


def create_superuser(site: LiveSite) -> None:
    """``manage.py createsuperuser`` against the site's own database, with its environment."""
    command = [sys.executable, "manage.py", "createsuperuser", "--noinput"]
    command += ["--username", ADMIN_USERNAME, "--email", "admin@example.com"]
    env = {**site.env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD}
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


def log_in(page: Page, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD) -> None:
    """Sign in on Wagtail's login page with a password; end on the dashboard."""
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Dashboard"))


def open_from_menu(page: Page, *labels: str) -> None:
    """Click through the admin's sidebar: submenus first (buttons), then the item (a link)."""
    *submenus, item = labels
    for label in submenus:
        page.locator("nav").get_by_role("button", name=label, exact=True).click()
    page.locator("nav").get_by_role("link", name=item, exact=True).click()
    page.wait_for_load_state()


def success_message(page: Page) -> str:
    """The text of Wagtail's success message (fails if there is none)."""
    message = page.locator(".messages .success")
    expect(message).to_be_visible()
    return message.inner_text()


def help_text_of(page: Page, label: str) -> str:
    """The help text the form ties to the field labelled ``label`` (aria-describedby)."""
    described_by = page.get_by_label(label, exact=True).get_attribute("aria-describedby")
    assert described_by, f"the field {label!r} has no help text"
    return page.locator(f"[id='{described_by}']").inner_text()


def save_tiktok_settings(page: Page, **fields: str) -> None:
    """Fill Settings → TikTok sign-in (field label → value: text boxes and selects) and save."""
    page.goto("/admin/settings/tiktok_mobile_auth/tiktoksettings/")
    for label, value in fields.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Save", exact=True).click()
    assert "updated" in success_message(page)


def manage_account(page: Page, account_id: int, *, role: str | None = None, blocked: bool) -> None:
    """Change a TikTok user's role ("Member" / "Editor") and blocked flag in the edit form."""
    page.goto(f"/admin/tiktok_accounts/edit/{account_id}/")
    if role:
        page.get_by_role("radio", name=role, exact=True).check()
    page.get_by_role("checkbox", name="Blocked", exact=True).set_checked(blocked)
    page.get_by_role("button", name="Save", exact=True).click()
    success_message(page)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page, 1280 px wide, as SCREENSHOTS/<name>.

    Wagtail's admin scrolls inside ``<main>``, not the window, so a "full page" shot would
    stop at the viewport: the viewport grows to the content's height first.
    """
    viewport = page.viewport_size or {"width": SCREENSHOT_WIDTH, "height": 800}
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight, ...Array.from(
            document.querySelectorAll("main"),
            (main) => main.getBoundingClientRect().top + main.scrollHeight))"""
    )
    page.set_viewport_size(
        {"width": SCREENSHOT_WIDTH, "height": max(viewport["height"], math.ceil(height))}
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    page.set_viewport_size(viewport)
    return path


def connect_with_code(site: LiveSite, fake: Any, open_id: str) -> requests.Response:
    """POST connect with a fresh code and PKCE verifier, as the native TikTok SDK hands them
    to the app (the code flow; redirect_uri from the site's allow-list)."""
    verifier = secrets.token_urlsafe(48)
    challenge = hashlib.sha256(verifier.encode()).hexdigest()  # TikTok's SDKs send hex
    code = fake.mint_code(open_id, redirect_uri=APP_REDIRECT_URI, code_challenge=challenge)
    body = {"code": code, "code_verifier": verifier, "redirect_uri": APP_REDIRECT_URI}
    return requests.post(site.url("connect"), json=body, timeout=30)


def sign_in_through_api(site: LiveSite, fake: Any, open_id: str) -> dict[str, Any]:
    """Sign ``open_id`` in as the mobile app does; return connect's body (jwt, refresh, user)."""
    response = connect_with_code(site, fake, open_id)
    assert response.status_code == 200, response.text
    return response.json()


def account_id(site: LiveSite, union_id: str) -> int:
    [(pk,)] = site.db.rows(
        "SELECT id FROM tiktok_mobile_auth_tiktokaccount WHERE union_id = ?", union_id
    )
    return pk


def _stay_on_site(route: Route) -> None:
    """Off-site requests never leave the machine: images get a stand-in avatar, the rest
    fails. (A redirect to another host is not routed: the browser's lookup fails.)"""
    if route.request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", path=AVATAR)
    else:
        route.abort()


def new_context(browser: Browser, site: LiveSite, **options: Any) -> BrowserContext:
    context = browser.new_context(
        base_url=site.base_url, viewport={"width": 1280, "height": 800}, **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.route(OFF_SITE, _stay_on_site)
    return context
