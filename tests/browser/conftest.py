"""Browser fixtures: one admin site per session, one headless Chromium per test module.

The site is the integration tests' :class:`LiveSite` (gunicorn, its own database, the real
fake TikTok), except that its environment sets no TikTok client key or secret: they come
from Settings → TikTok sign-in, as on a site its editors configure. DEBUG is on so that the
site serves the admin's static files (as ``make run`` does); screenshots need them.

Chromium is Debian's package (``.ci/run`` installs it; Playwright never downloads a browser
here). Without it these tests skip locally and fail in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.live_fixtures import fake, fake_tiktok  # noqa: F401 (shared fixtures)
from tests.support.live_site import LiveSite
from tests.support.services import require_service

from .support import TIMEOUT_MS, create_superuser, log_in, new_context, save_tiktok_settings

CHROMIUM = Path("/usr/bin/chromium")
# Debian's build, headless, and quiet: without the background-networking flags it keeps
# trying to reach the internet, which is closed here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
expect.set_options(timeout=TIMEOUT_MS)
# Every URL that is not the site or the fake TikTok (both on 127.0.0.1).
# Stands in for avatars from off-site hosts (gravatar, TikTok's CDN) in pages and shots.
# The app the panel and the fake TikTok share in the tests that are not about the panel.
APP_KEY, APP_SECRET = "browser-key", "browser-secret"


@pytest.fixture(scope="session")
def chromium() -> Path:
    require_service(f"Chromium ({CHROMIUM})", CHROMIUM.exists())
    return CHROMIUM


@pytest.fixture(scope="session")
def admin_site(chromium, fake_tiktok, tmp_path_factory) -> Iterator[LiveSite]:  # noqa: F811
    site = LiveSite(tmp_path_factory.mktemp("browser"), fake_tiktok.base_url, DJANGO_DEBUG="true")
    # The admin panel must be the configuration source of the credentials: nothing above it
    # (the environment, even the one the tests were started with) may set them.
    for name in ("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET"):
        site.env.pop(name, None)
    try:
        site.start()
        create_superuser(site)
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def browser(chromium) -> Iterator[Browser]:
    # Per module, not per session: while Playwright runs, this thread has a running asyncio
    # loop, and Django's ORM refuses to work in the tests that come after.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, admin_site) -> Iterator[Page]:
    """A page in a fresh context: nobody signed in."""
    context = new_context(browser, admin_site)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def admin_session(browser, admin_site) -> dict:
    """The cookies of a superuser who signed in once on the login page (per module)."""
    context = new_context(browser, admin_site)
    try:
        log_in(context.new_page())
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def admin_page(browser, admin_site, admin_session) -> Iterator[Page]:
    """A page in a context where the superuser is signed in."""
    context = new_context(browser, admin_site, storage_state=admin_session)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def tiktok_app(fake, admin_site, admin_page) -> None:  # noqa: F811
    """The fake TikTok and the site's admin panel know the same app (browser-key)."""
    fake.set_app(APP_KEY, APP_SECRET)
    stored = admin_site.db.rows("SELECT client_key FROM tiktok_mobile_auth_tiktoksettings")
    if stored != [(APP_KEY,)]:  # not saved yet, or test_admin_settings saved its own
        save_tiktok_settings(admin_page, **{"Client key": APP_KEY, "Client secret": APP_SECRET})
